from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tongban.web"
    verbose_name = "门户页面"

    def ready(self) -> None:
        from . import pagecache

        pagecache.connect()
