from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tongban.notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from tongban.appointments.signals import booking_event_recorded
        from tongban.cases import steps
        from tongban.cases.signals import case_event_recorded, joint_submitted
        from tongban.core import periodic
        from tongban.ratings.signals import rectification_completed

        from . import services

        case_event_recorded.connect(services.on_case_event, dispatch_uid="notifications.case_event")
        joint_submitted.connect(services.on_joint_submitted, dispatch_uid="notifications.joint_submitted")
        rectification_completed.connect(
            services.on_rectification_completed, dispatch_uid="notifications.rect"
        )
        booking_event_recorded.connect(services.on_booking_event, dispatch_uid="notifications.booking")
        periodic.register("notifications.retry_due", services.retry_due)
        steps.notice_steps.register(
            steps.NoticeStep("notifications.joint_notice", services.notify_joint_notice)
        )
