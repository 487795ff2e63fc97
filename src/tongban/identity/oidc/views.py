"""OpenID Connect provider pages and endpoints (thin layers over django-oauth-toolkit and services.py)."""

import json
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    JwksInfoView,
    RPInitiatedLogoutView,
)

from tongban.core.errors import ServiceError

from . import selectors, services
from .claims import describe_scopes
from .keys import published_keys
from .models import Client, Consent

# prompt values that always show the screen they ask for.
_INTERACTIVE_PROMPTS = {"login", "consent", "create", "select_account"}
# The scopes each consent screen showed, kept in the session: the form's hidden scope field is
# never trusted (a person could be shown "确认您是谁" and post "openid api id_number phone").
_SHOWN_KEY = "tongban_oidc_consent_shown"
_SHOWN_KEEP = 10


class ConsentExpired(ServiceError):
    code = "consent_expired"
    status = 400
    default_message = "授权页面已失效或授权范围与页面不符，请回到原系统重新登录。"


def _shown_key(client_id: str | None, redirect_uri: str | None, state: str | None) -> str:
    return json.dumps([client_id or "", redirect_uri or "", state or ""])


def _remember_shown(request: HttpRequest, data: dict) -> None:
    scopes = data.get("scope") or " ".join(data.get("scopes") or [])
    shown = request.session.get(_SHOWN_KEY, {})
    shown.pop(_shown_key(data.get("client_id"), data.get("redirect_uri"), data.get("state")), None)
    shown[_shown_key(data.get("client_id"), data.get("redirect_uri"), data.get("state"))] = scopes
    request.session[_SHOWN_KEY] = dict(list(shown.items())[-_SHOWN_KEEP:])


def _take_shown(request: HttpRequest, cleaned: dict) -> list[str]:
    """The scopes the consent screen for this request showed (once); refused if none or if the post asks more."""
    shown = request.session.get(_SHOWN_KEY, {})
    scopes = shown.pop(
        _shown_key(cleaned.get("client_id"), cleaned.get("redirect_uri"), cleaned.get("state")), None
    )
    request.session[_SHOWN_KEY] = shown
    if scopes is None or not set((cleaned.get("scope") or "").split()) <= set(scopes.split()):
        raise ConsentExpired()
    return scopes.split()


def _origin(uri: str) -> str | None:
    parts = urlparse(uri or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def _allow_form_target(response: HttpResponse, uri: str | None) -> HttpResponse:
    """Let this page's form lead to the department system: CSP form-action also governs the redirect after posting."""
    origin = _origin(uri or "")
    if origin:
        config = dict(settings.SECURE_CSP)
        config["form-action"] = [*config.get("form-action", [CSP.SELF]), origin]
        response._csp_config = config
    return response


def _return_to_client(request: HttpRequest, uri: str, client: Client) -> HttpResponse:
    """Send the browser back to the department system.

    When the browser came here through one of our own forms (the login form redirecting to
    ``next``), a plain redirect would break our login page's CSP form-action; a page that
    continues by itself avoids that. Other requests get the usual 302.
    """
    if (
        request.headers.get("Sec-Fetch-Site") == "same-origin"
        and request.headers.get("Sec-Fetch-Mode") == "navigate"
    ):
        return render(request, "oidc/continue.html", {"target": uri, "client": client})
    return OAuth2ResponseRedirect(uri, client.get_allowed_schemes())


class AuthorizeView(AuthorizationView):
    """The authorization endpoint with a Chinese consent screen, skipped when the person already agreed."""

    template_name = "oidc/authorize.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        prompt = set(request.GET.get("prompt", "").split())
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError:
            return super().get(request, *args, **kwargs)  # DOT answers the error
        client = Client.objects.get(client_id=credentials["client_id"])
        if credentials.get("code_challenge_method") != "S256":
            return self._refuse(credentials, client, "invalid_request", _("仅支持 S256 方式的 PKCE。"))
        if prompt & _INTERACTIVE_PROMPTS or "resource" in request.GET:
            return super().get(request, *args, **kwargs)
        consent = Consent.objects.filter(user=request.user, client=client).first()
        if client.skip_authorization or (consent is not None and consent.covers(scopes)):
            if isinstance(credentials.get("ui_locales"), list):
                credentials["ui_locales"] = " ".join(credentials["ui_locales"])
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                return self.error_response(error, client)
            services.record_consent(user=request.user, client=client, scopes=scopes)
            return _return_to_client(request, uri, client)
        if "none" in prompt:
            return self._refuse(credentials, client, "consent_required")
        return super().get(request, *args, **kwargs)

    def _refuse(self, credentials: dict, client: Client, error: str, description: str = "") -> HttpResponse:
        """An error answer to the department system's (already validated) redirect URI."""
        params = {"error": error}
        if description:
            params["error_description"] = description
        if credentials.get("state"):
            params["state"] = credentials["state"]
        uri = credentials["redirect_uri"]
        return _return_to_client(self.request, uri + ("&" if "?" in uri else "?") + urlencode(params), client)

    def render_to_response(self, context, **response_kwargs) -> HttpResponse:
        if self.oauth2_data.get("client_id"):
            _remember_shown(self.request, self.oauth2_data)
        response = super().render_to_response(context, **response_kwargs)
        return _allow_form_target(response, self.oauth2_data.get("redirect_uri"))

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        if application is not None:
            context["claim_descriptions"] = describe_scopes(application, kwargs.get("scopes", []))
        return context

    def form_valid(self, form) -> HttpResponse:
        form.cleaned_data["scope"] = " ".join(_take_shown(self.request, form.cleaned_data))
        self.success_url = None
        response = super().form_valid(form)
        issued = self.success_url and "code" in parse_qs(urlparse(self.success_url).query)
        if form.cleaned_data.get("allow") and issued:
            client = Client.objects.get(client_id=form.cleaned_data["client_id"])
            services.record_consent(
                user=self.request.user, client=client, scopes=form.cleaned_data["scope"].split()
            )
        return response


class DiscoveryView(ConnectDiscoveryInfoView):
    """OpenID provider metadata: RS256 with our stored key, PKCE S256, revocation endpoint."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["code_challenge_methods_supported"] = ["S256"]
        data["grant_types_supported"] = ["authorization_code", "refresh_token"]
        data["revocation_endpoint"] = request.build_absolute_uri(reverse("oauth2_provider:revoke-token"))
        data["prompt_values_supported"] = ["none", "login", "consent"]
        data["ui_locales_supported"] = ["zh-CN", "en"]
        new = JsonResponse(data)
        new["Access-Control-Allow-Origin"] = "*"
        return new


class JwksView(JwksInfoView):
    """The public signing keys, read from the database so that every web process publishes the same set."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = JsonResponse({"keys": published_keys()})
        response["Access-Control-Allow-Origin"] = "*"
        max_age = oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS
        response["Cache-Control"] = f"public, max-age={max_age}"
        return response


class LogoutView(RPInitiatedLogoutView):
    """RP-initiated logout with a Chinese confirmation page."""

    template_name = "oidc/logout_confirm.html"

    def render_to_response(self, context, **response_kwargs) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        return _allow_form_target(response, self.oidc_data.get("post_logout_redirect_uri"))


@login_required
@require_http_methods(["GET"])
def connected_apps(request: HttpRequest) -> HttpResponse:
    """My connected department systems, as a page or (for htmx and the account page) as a fragment."""
    connections = selectors.connected_clients(request.user)
    template = "oidc/connected_apps.html" if request.htmx else "oidc/connected_apps_page.html"
    return render(request, template, {"connections": connections})


@login_required
@require_POST
def revoke_connection(request: HttpRequest, client_pk: int) -> HttpResponse:
    try:
        client = services.revoke_connection(user=request.user, client_pk=client_pk)
    except ServiceError as exc:
        return render(
            request,
            "oidc/connected_apps_page.html",
            {"connections": [], "error": exc.message},
            status=exc.status,
        )
    message = _("已取消 %(name)s 的授权，该系统不能再代表您登录或获取您的信息。") % {"name": client.name}
    if request.htmx:
        connections = selectors.connected_clients(request.user)
        return render(request, "oidc/connected_apps.html", {"connections": connections, "notice": message})
    messages.success(request, message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("oidc:connected-apps")
    return redirect(target)
