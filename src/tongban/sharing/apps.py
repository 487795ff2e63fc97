from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "tongban.sharing"
    verbose_name = "数据共享"

    def ready(self) -> None:
        from tongban.cases import steps

        from . import materials

        steps.material_providers.register(materials.SHARED)
