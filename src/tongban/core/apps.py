from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongban.core"
    verbose_name = "通办核心"
