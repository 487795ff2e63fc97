from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    """Single sign-on: Tongban as an OpenID Connect provider for department systems."""

    name = "tongban.identity.oidc"
    label = "oidc"
    verbose_name = _("统一身份认证（单点登录）")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.identity.account_sections import register_section

        from .passkeys import passkeys_section
        from .selectors import connected_clients

        # "Connected department systems" with revoke buttons on the identity app's account page.
        register_section(
            "oidc/connected_apps.html", lambda request: {"connections": connected_clients(request.user)}
        )
        register_section("oidc/passkeys_section.html", passkeys_section)

        # The platform's key also signs the published audit anchors (tongban.core.anchors).
        from tongban.core.anchors import KeyProvider, register_key_provider

        from .keys import current_signing_key, published_keys

        register_key_provider(KeyProvider(current_signing_key, published_keys))
