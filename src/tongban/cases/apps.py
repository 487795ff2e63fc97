from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tongban.cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from tongban.forms import preview

        from .form_preview import render_preview

        preview.register(render_preview)
