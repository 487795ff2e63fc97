from django.apps import AppConfig


class ConsultConfig(AppConfig):
    name = "tongban.consult"
    verbose_name = "咨询投诉（12345）"

    def ready(self) -> None:
        from tongban.core import periodic

        from .services import escalate_overdue

        periodic.register("consult.escalate_overdue", escalate_overdue)
