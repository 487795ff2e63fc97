from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tongban.supervision.reports"
    label = "supervision_reports"
    verbose_name = "定期通报"

    def ready(self) -> None:
        from tongban.core import periodic

        from . import services

        # On the first working day after a month or quarter: that period's reports.
        periodic.register("reports.due_reports", services.due_reports)
