from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "tongban.sharing"
    verbose_name = "数据共享"

    def ready(self) -> None:
        import os

        from tongban.cases import steps

        from . import materials, readaudit

        steps.material_providers.register(materials.SHARED)
        if os.environ.get(readaudit.ENV):
            readaudit.connect()
