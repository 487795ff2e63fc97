"""URLs of the OpenID Connect provider.

``provider`` keeps DOT's ``oauth2_provider`` namespace (DOT reverses its own names) with discovery
at the site root, so the issuer is the site's origin; ``urlpatterns`` are the person's own pages.
"""

from django.urls import path, re_path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.views import BeginCredentialRegistrationView, CompleteCredentialRegistrationView
from oauth2_provider import views as dot

from . import passkeys, views

provider = (
    [
        re_path(
            r"^\.well-known/openid-configuration/?$",
            views.DiscoveryView.as_view(),
            name="oidc-connect-discovery-info",
        ),
        path(".well-known/jwks.json", views.JwksView.as_view(), name="jwks-info"),
        path("oidc/authorize/", views.AuthorizeView.as_view(), name="authorize"),
        path("oidc/token/", dot.TokenView.as_view(), name="token"),
        path("oidc/revoke/", dot.RevokeTokenView.as_view(), name="revoke-token"),
        path("oidc/userinfo/", dot.UserInfoView.as_view(), name="user-info"),
        path("oidc/logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
    ],
    "oauth2_provider",
)

app_name = "oidc"
urlpatterns = [
    path("account/connected-apps/", views.connected_apps, name="connected-apps"),
    path("account/connected-apps/<int:client_pk>/revoke/", views.revoke_connection, name="revoke"),
    path("account/passkeys/", passkeys.passkeys_page, name="passkeys"),
    path("account/passkeys/<int:pk>/remove/", passkeys.remove_passkey, name="passkey-remove"),
    path("account/login/passkey/", passkeys.sign_in_page, name="passkey-sign-in"),
    path("account/login/two-factor/passkey/", passkeys.second_factor_page, name="passkey-second-factor"),
    path(
        "passkeys/register/begin/", BeginCredentialRegistrationView.as_view(), name="passkey-register-begin"
    ),
    path(
        "passkeys/register/complete/",
        CompleteCredentialRegistrationView.as_view(),
        name="passkey-register-complete",
    ),
    path("passkeys/second-factor/begin/", passkeys.SecondFactorBegin.as_view(), name="passkey-2fa-begin"),
    path(
        "passkeys/second-factor/complete/",
        passkeys.SecondFactorComplete.as_view(),
        name="passkey-2fa-complete",
    ),
    path("passkeys/sign-in/begin/", passkeys.SignInBegin.as_view(), name="passkey-signin-begin"),
    path("passkeys/sign-in/complete/", passkeys.SignInComplete.as_view(), name="passkey-signin-complete"),
    path(
        "passkeys/jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn", "tongban.identity.oidc"]),
        name="passkey-jsi18n",
    ),
]
