from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "tongban.opendata"
    label = "opendata"
    verbose_name = "开放数据"

    def ready(self) -> None:
        from tongban.core import periodic

        from . import services

        periodic.register("opendata.refresh_statistics", services.refresh_due)

        # 办件公示 (supervision.reports, earlier in the layering) suppresses small cells by this rule.
        from tongban.supervision.reports.publicity import register_small_cell_rule

        from .suppression import suppress_group

        register_small_cell_rule(suppress_group)
