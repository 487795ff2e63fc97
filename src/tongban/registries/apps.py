from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "tongban.registries"
    verbose_name = "基础库（人口、法人）"
