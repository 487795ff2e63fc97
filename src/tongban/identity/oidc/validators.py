"""DOT's request validator with Tongban's claims: released per scope, ID number masked unless the client may see it."""

import datetime
import hashlib

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from tongban.core import rawsql

from .claims import CLAIM_SCOPE, user_claims
from .models import RedeemedCode

# How long a redeemed code is remembered: its tokens can live no longer than the refresh token.
_REDEEMED_DAYS = 31


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _token_columns() -> tuple[rawsql.Columns, ...]:
    return (
        rawsql.columns(get_access_token_model(), "t"),
        rawsql.columns(get_application_model(), "c"),
        rawsql.columns(get_user_model(), "u"),
    )


@rawsql.statement
def _token_sql() -> str:
    model, client_model, user_model = get_access_token_model(), get_application_model(), get_user_model()
    access, client, user = _token_columns()
    column = {name: model._meta.get_field(name).column for name in ("application", "user", "token_checksum")}
    return (
        f"SELECT {access.sql}, {client.sql}, {user.sql} FROM {rawsql.table(model)} t "  # noqa: S608 (names from the models, value bound)
        f"LEFT JOIN {rawsql.table(client_model)} c ON c.{client_model._meta.pk.column} = t.{column['application']} "
        f"LEFT JOIN {rawsql.table(user_model)} u ON u.{user_model._meta.pk.column} = t.{column['user']} "
        f"WHERE t.{column['token_checksum']} = %s"
    )


class TongbanOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = CLAIM_SCOPE

    def get_additional_claims(self, request) -> dict:
        return user_claims(request.user, request.client)

    def get_discovery_claims(self, request) -> list[str]:
        return list(CLAIM_SCOPE)

    def validate_bearer_token(self, token, scopes, request) -> bool:
        # A deactivated account's tokens stop working at once, like its session would.
        valid = super().validate_bearer_token(token, scopes, request)
        if valid and not request.user.is_active:
            self._set_oauth2_error_on_request(request, None, scopes)
            return False
        return valid

    def _load_access_token(self, token: str):
        """Every API call starts here: the token with its client and person in one hand-written
        statement (``core.rawsql``) instead of an ORM query built per request."""
        access, client, user = _token_columns()
        with connection.cursor() as cursor:
            cursor.execute(_token_sql(), [hashlib.sha256(token.encode()).hexdigest()])
            row = cursor.fetchone()
        if row is None:
            return None
        found = access.load(row)
        found.application = client.load(row, len(access))
        found.user = user.load(row, len(access) + len(client))
        return found

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid and code:
            revoke_redeemed_code(code, client)
        return valid

    def _save_bearer_token(self, token, request, *args, **kwargs) -> None:
        super()._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code" and token.get("access_token"):
            remember_redeemed_code(request.code, request.client, token["access_token"])

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and request.user.is_active

    def validate_silent_login(self, request) -> bool:
        # prompt=none: an anonymous visitor never reaches the validator (the view answers login_required).
        return True

    def validate_silent_authorization(self, request) -> bool:
        # prompt=none: the view answers consent_required when no consent covers the request.
        return True


def remember_redeemed_code(code: str, client, access_token: str) -> None:
    """Note which tokens the exchange of ``code`` gave, so that a replay can take them back."""
    token = get_access_token_model().objects.filter(token_checksum=_digest(access_token)).first()
    family = (
        get_refresh_token_model()
        .objects.filter(access_token=token)
        .values_list("token_family", flat=True)
        .first()
        if token is not None
        else None
    )
    RedeemedCode.objects.create(
        code_digest=_digest(code),
        client=client,
        access_token_id=getattr(token, "pk", None),
        token_family=family,
    )
    RedeemedCode.objects.filter(
        redeemed_at__lt=timezone.now() - datetime.timedelta(days=_REDEEMED_DAYS)
    ).delete()


def revoke_redeemed_code(code: str, client) -> bool:
    """A code presented again: revoke every token issued from it (RFC 6749 §4.1.2); True if any was."""
    redeemed = RedeemedCode.objects.filter(code_digest=_digest(code), client=client).first()
    if redeemed is None:
        return False
    with transaction.atomic():
        get_refresh_token_model().revoke_family(redeemed.token_family)
        if redeemed.access_token_id is not None:
            get_access_token_model().objects.filter(pk=redeemed.access_token_id).delete()
    return True
