"""``{% load passkeys %}{% passkey_button "second_factor" %}`` (after the password) or ``"sign_in"`` (instead of it)."""

from django import template

from ..passkeys import passkey_config

register = template.Library()


@register.inclusion_tag("oidc/passkey_button.html", takes_context=True)
def passkey_button(context, ceremony: str = "sign_in") -> dict:
    request = context["request"]
    return {
        "ceremony": ceremony,
        "passkey_config": passkey_config(request, ceremony),
        "csp_nonce": context.get("csp_nonce", ""),
    }
