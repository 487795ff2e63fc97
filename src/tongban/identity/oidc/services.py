"""Writes for single sign-on: registering department systems, recording consent, revoking connections."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.departments.models import Department

from .claims import SCOPES
from .models import Client, Consent


@dataclass(frozen=True)
class NewClient:
    client: Client
    client_secret: str  # plain text, shown once; only its hash is stored


def _may_manage_clients(actor: AbstractBaseUser | None) -> bool:
    # None is the operator at the command line, who already has the server's keys.
    return actor is None or bool(getattr(actor, "is_superuser", False))


@transaction.atomic
def create_client(
    *,
    name: str,
    redirect_uris: list[str],
    department_id: int | None = None,
    may_receive_full_id: bool = False,
    post_logout_redirect_uris: list[str] | None = None,
    actor: AbstractBaseUser | None = None,
) -> NewClient:
    """Register a department system as a confidential client using the authorization code flow."""
    if not _may_manage_clients(actor):
        raise PermissionDenied()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写接入系统名称。"), field="name")
    if not redirect_uris:
        raise InvalidInput(_("请至少填写一个回调地址。"), field="redirect_uris")
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            raise InvalidInput(_("找不到编号为 %(id)s 的部门。") % {"id": department_id}, field="department")
    secret = generate_client_secret()
    client = Client(
        name=name,
        redirect_uris=" ".join(redirect_uris),
        post_logout_redirect_uris=" ".join(post_logout_redirect_uris or []),
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        algorithm=Client.RS256_ALGORITHM,
        client_secret=secret,
        hash_client_secret=True,
        department=department,
        may_receive_full_id=may_receive_full_id,
    )
    try:
        client.full_clean(exclude=["user", "client_secret"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(
            _("接入系统信息不正确：%(msg)s") % {"msg": "；".join(messages)}, field=field
        ) from exc
    client.save()
    return NewClient(client=client, client_secret=secret)


@transaction.atomic
def record_consent(*, user: AbstractBaseUser, client: Client, scopes: list[str]) -> Consent:
    """Remember what the person allowed, so the consent screen is not shown again for the same scopes."""
    scopes = [s for s in scopes if s in SCOPES]
    consent = Consent.objects.select_for_update().filter(user=user, client=client).first()
    if consent is None:
        return Consent.objects.create(user=user, client=client, scopes=" ".join(sorted(set(scopes))))
    consent.scopes = " ".join(sorted(set(consent.scope_list) | set(scopes)))
    consent.save(update_fields=["scopes", "updated_at"])
    return consent


def _revoke_tokens(*, user: AbstractBaseUser | None, client: Client) -> None:
    owner = {"user": user} if user is not None else {}
    for refresh in get_refresh_token_model().objects.filter(
        application=client, revoked__isnull=True, **owner
    ):
        refresh.revoke()
    get_access_token_model().objects.filter(application=client, **owner).delete()
    get_id_token_model().objects.filter(application=client, **owner).delete()
    get_grant_model().objects.filter(application=client, **owner).delete()


@transaction.atomic
def revoke_connection(*, user: AbstractBaseUser, client_pk: int) -> Client:
    """The person withdraws a department system's access: consent and every token it holds go at once.

    Only the person's own connections can be revoked; any other id is simply not found.
    """
    if not user.is_authenticated:
        raise NotFound()
    consent = Consent.objects.select_related("client").filter(user=user, client_id=client_pk).first()
    client = consent.client if consent else None
    if client is None:
        token_client = get_access_token_model().objects.filter(user=user, application_id=client_pk).first()
        client = token_client.application if token_client else None
    if client is None:
        raise NotFound(_("找不到该接入系统，或您未授权过它。"))
    Consent.objects.filter(user=user, client=client).delete()
    _revoke_tokens(user=user, client=client)
    return client


@transaction.atomic
def deactivate_client(*, client: Client, actor: AbstractBaseUser | None = None) -> None:
    """Switch a department system off: it can no longer sign anyone in, and its tokens stop working."""
    if not _may_manage_clients(actor):
        raise PermissionDenied()
    client.is_active = False
    client.save(update_fields=["is_active", "updated"])
    _revoke_tokens(user=None, client=client)
