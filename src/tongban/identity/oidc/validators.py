"""DOT's request validator with Tongban's claims: released per scope, ID number masked unless the client may see it."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from .claims import CLAIM_SCOPE, user_claims


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

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:  # noqa: ANN001, ANN002, ANN003
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and request.user.is_active

    def validate_silent_login(self, request) -> bool:  # noqa: ANN001
        # prompt=none: an anonymous visitor never reaches the validator (the view answers login_required).
        return True

    def validate_silent_authorization(self, request) -> bool:  # noqa: ANN001
        # prompt=none: the view answers consent_required when no consent covers the request.
        return True
