from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "tongban.catalog"
    verbose_name = "政务服务事项"

    def ready(self) -> None:
        from tongban.core import periodic

        from .search import signals
        from .search_log import services as search_log

        signals.connect()
        periodic.register("catalog.search_log_expire", search_log.expire_old)
