from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "tongban.ratings"
    verbose_name = "好差评"

    def ready(self) -> None:
        from tongban.appointments import hooks
        from tongban.core import periodic

        from .services import apply_default_ratings, open_window_visit

        periodic.register("ratings.default_after_7_days", apply_default_ratings)
        # A ticket served at a hall window opens its visit for rating (好差评, one path).
        hooks.register_visit_opener(
            lambda clerk, department, item: open_window_visit(clerk=clerk, department=department).token
        )
