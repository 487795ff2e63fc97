"""DOT's request validator with Tongban's claims: released per scope, ID number masked unless the client may see it."""

import hashlib

from django.contrib.auth import get_user_model
from django.db import connection
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from tongban.core import rawsql

from .claims import CLAIM_SCOPE, user_claims


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

    def get_additional_claims(self, request) -> dict:  # noqa: ANN001
        return user_claims(request.user, request.client)

    def get_discovery_claims(self, request) -> list[str]:  # noqa: ANN001
        return list(CLAIM_SCOPE)

    def validate_bearer_token(self, token, scopes, request) -> bool:  # noqa: ANN001
        # A deactivated account's tokens stop working at once, like its session would.
        valid = super().validate_bearer_token(token, scopes, request)
        if valid and not request.user.is_active:
            self._set_oauth2_error_on_request(request, None, scopes)
            return False
        return valid

    def _load_access_token(self, token: str):  # noqa: ANN202
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

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:  # noqa: ANN001, ANN002, ANN003
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and request.user.is_active

    def validate_silent_login(self, request) -> bool:  # noqa: ANN001
        # prompt=none: an anonymous visitor never reaches the validator (the view answers login_required).
        return True

    def validate_silent_authorization(self, request) -> bool:  # noqa: ANN001
        # prompt=none: the view answers consent_required when no consent covers the request.
        return True
