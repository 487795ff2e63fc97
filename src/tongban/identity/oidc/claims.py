"""Which claims each scope releases, and how the consent screen describes them in plain words.

``id_number`` gives the masked ID number unless the client is registered for the full one;
``phone`` always gives the masked number. ``api`` lets a system call the JSON API as the person.
"""

from django.utils.translation import gettext_lazy as _

from tongban.core.masking import mask_id_number, mask_mobile

SCOPES = ["openid", "profile", "id_number", "phone", "api"]

# Claim name -> the scope that releases it.
CLAIM_SCOPE = {
    "sub": "openid",
    "name": "profile",
    "real_name_level": "profile",
    "id_number": "id_number",
    "phone_number": "phone",
}


def scope_descriptions(client) -> dict[str, str]:
    """Plain-language description of each scope for this client (the full-ID wording only when it applies)."""
    return {
        "openid": _("确认您是谁：一个只用于该系统的账号编号，不含个人信息"),
        "profile": _("您的姓名和实名认证等级"),
        "id_number": (
            _("您的完整身份证号码")
            if getattr(client, "may_receive_full_id", False)
            else _("您的身份证号码（部分隐藏，如 1101**********1234）")
        ),
        "phone": _("您的手机号码（部分隐藏，如 138****5678）"),
        "api": _("以您的身份使用通办接口，能做的事与您在本网站上相同"),
    }


def describe_scopes(client, scopes: list[str]) -> list[str]:
    descriptions = scope_descriptions(client)
    return [str(descriptions[s]) for s in scopes if s in descriptions]


def user_claims(user, client) -> dict:
    """Every claim this user has for this client, before filtering by the granted scopes."""
    claims = {
        # A name counts only once verified against the population registry (L2 and above).
        "name": (user.real_name or None) if user.real_name_level >= 2 else None,
        "real_name_level": user.real_name_level,
        "id_number": None,
        "phone_number": mask_mobile(user.mobile) if user.mobile else None,
    }
    if user.id_number:
        full = getattr(client, "may_receive_full_id", False)
        claims["id_number"] = user.id_number if full else mask_id_number(user.id_number)
    return {k: v for k, v in claims.items() if v is not None}
