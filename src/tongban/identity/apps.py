from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "tongban.identity"
    verbose_name = "统一身份认证"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the deployment checks
            throttle,  # noqa: F401 - counts failed logins by address and site-wide
        )
