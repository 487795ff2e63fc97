from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tongban.notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from tongban.cases.signals import case_event_recorded
        from tongban.core import periodic
        from tongban.ratings.signals import rectification_completed

        from . import services

        case_event_recorded.connect(services.on_case_event, dispatch_uid="notifications.case_event")
        rectification_completed.connect(
            services.on_rectification_completed, dispatch_uid="notifications.rect"
        )
        periodic.register("notifications.retry_due", services.retry_due)
