"""URLs of the OpenID Connect provider.

``provider`` keeps DOT's ``oauth2_provider`` namespace (DOT reverses its own names) with discovery
at the site root, so the issuer is the site's origin; ``urlpatterns`` are the person's own pages.
"""

from django.urls import path, re_path
from oauth2_provider import views as dot

from . import views

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
]
