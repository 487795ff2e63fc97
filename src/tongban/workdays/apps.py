from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "tongban.workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import calendar
        from .models import DayOverride, PublishedYear

        for model in (DayOverride, PublishedYear):
            for signal in (post_save, post_delete):
                signal.connect(
                    calendar.changed, sender=model, dispatch_uid=f"workdays.{model.__name__}.{signal}"
                )
