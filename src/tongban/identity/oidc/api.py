"""``/api/v1/me``: the first endpoint behind API authentication (token or session)."""

from django.http import HttpRequest
from ninja import Router, Schema

from .auth import api_auth
from .selectors import connected_clients, masked_profile

router = Router(tags=["账号"], auth=api_auth)


class ConnectionOut(Schema):
    client_pk: int
    name: str
    department: str
    granted: list[str]


class MeOut(Schema):
    id: int
    kind: str
    name: str
    real_name_level: int
    real_name_level_label: str
    id_number: str
    mobile: str
    connected_systems: list[ConnectionOut]


@router.get("/me", response=MeOut, summary="当前用户（证件号码、手机号部分隐藏）")
def me(request: HttpRequest) -> dict:
    profile = masked_profile(request.user)
    profile["connected_systems"] = connected_clients(request.user)
    return profile
