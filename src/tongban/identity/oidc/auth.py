"""Authentication for the JSON API: OIDC access tokens (``Authorization: Bearer …``) or the web session.

A token acts exactly as its person does on the pages (same service functions, same checks); it
must carry the ``api`` scope, so a system that only signs people in cannot act for them.
The session is for the pages' own scripts and needs the CSRF token on unsafe methods.
"""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import SessionAuth
from ninja.security.http import HttpAuthBase
from oauth2_provider.oauth2_backends import get_oauthlib_core

from tongban.core.errors import ServiceError

API_SCOPE = "api"


class InvalidAccessToken(ServiceError):
    code = "invalid_token"
    status = 401
    default_message = _("访问令牌无效、已过期或已被撤销，请重新登录授权。")


class InsufficientScope(ServiceError):
    code = "insufficient_scope"
    status = 403
    default_message = _("该访问令牌未获授权调用通办接口（缺少 api 授权范围）。")


class AccessTokenAuth(HttpAuthBase):
    """Bearer tokens issued by our OpenID Connect provider, checked by django-oauth-toolkit."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # not ours: let session authentication try
        if not token.strip():
            raise InvalidAccessToken()
        core = get_oauthlib_core()
        valid, oauth_request = core.verify_request(request, scopes=[])
        if not valid:
            raise InvalidAccessToken()
        if API_SCOPE not in oauth_request.access_token.scope.split():
            raise InsufficientScope()
        request.user = oauth_request.user
        request.oauth2_client = oauth_request.client
        request.access_token = oauth_request.access_token
        return oauth_request.user


class SessionCsrfAuth(SessionAuth):
    """The signed-in person's session, with Django's CSRF check on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api_auth = [AccessTokenAuth(), SessionCsrfAuth(csrf=True)]
