from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "tongban.appointments"
    verbose_name = "预约取号"

    def ready(self) -> None:
        from tongban.core import periodic

        from . import services

        periodic.register("appointments.generate_slots", services.generate_upcoming_slots)
        periodic.register("appointments.no_shows", services.mark_no_shows)
        periodic.register("appointments.reminders", services.send_reminders)
