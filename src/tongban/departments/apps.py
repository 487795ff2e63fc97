from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    name = "tongban.departments"
    verbose_name = "实施主体"
