from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    """Single sign-on: Tongban as an OpenID Connect provider for department systems."""

    name = "tongban.identity.oidc"
    label = "oidc"
    verbose_name = _("统一身份认证（单点登录）")
    default_auto_field = "django.db.models.BigAutoField"
