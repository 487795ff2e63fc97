"""Reads shared by the account page and the API: which department systems a person has connected."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from tongban.core.masking import mask_id_number, mask_mobile

from .claims import describe_scopes
from .models import Consent


@dataclass(frozen=True)
class Connection:
    client_pk: int
    name: str
    department: str
    granted: list[str]
    first_granted_at: datetime
    last_granted_at: datetime


def connected_clients(user: AbstractBaseUser) -> list[Connection]:
    """The department systems this person has allowed to sign them in, newest first."""
    if not user.is_authenticated:
        return []
    consents = Consent.objects.filter(user=user, client__is_active=True).select_related("client__department")
    return [
        Connection(
            client_pk=c.client_id,
            name=c.client.name,
            department=c.client.department.name if c.client.department else "",
            granted=describe_scopes(c.client, c.scope_list),
            first_granted_at=c.created_at,
            last_granted_at=c.updated_at,
        )
        for c in consents
    ]


def masked_profile(user: AbstractBaseUser) -> dict:
    """The person's own profile with the ID and mobile numbers masked, as the account page shows it."""
    return {
        "id": user.pk,
        "kind": user.kind,
        "name": user.real_name,
        "real_name_level": user.real_name_level,
        "real_name_level_label": str(user.get_real_name_level_display()),
        "id_number": mask_id_number(user.id_number),
        "mobile": mask_mobile(user.mobile),
    }
