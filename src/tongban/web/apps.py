from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tongban.web"
    verbose_name = "门户页面"

    def ready(self) -> None:
        from tongban.identity.workbench import register_home

        from . import pagecache, workbench

        pagecache.connect()
        register_home(workbench.workbench)
