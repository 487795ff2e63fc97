from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "tongban.ratings"
    verbose_name = "好差评"

    def ready(self) -> None:
        from tongban.core import periodic

        from .services import apply_default_ratings

        periodic.register("ratings.default_after_7_days", apply_default_ratings)
