from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tongban.cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from tongban.forms import preview

        from . import panels
        from .form_preview import render_preview
        from .views.crossregion import PANEL
        from .views.joint_processing import PANEL as JOINT_PANEL

        preview.register(render_preview)
        panels.register(PANEL)
        panels.register(JOINT_PANEL)
