"""Finding 8: HSTS behind TLS, and the pages' security headers on static files too."""

import pytest
from django.test import Client, override_settings

from tests.fresh_settings import fresh_settings

pytestmark = pytest.mark.django_db

YEAR = 365 * 86400
KEYS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
)


def production(tmp_path, **env: str) -> dict:
    return fresh_settings(
        f"{{k: getattr(settings, k) for k in {KEYS!r}}}", TONGBAN_VAR_DIR=str(tmp_path), **env
    )


def test_behind_a_tls_proxy_hsts_is_a_year_and_plain_http_is_redirected(tmp_path):
    values = production(tmp_path, TONGBAN_BEHIND_PROXY="1")
    assert values["SECURE_HSTS_SECONDS"] == YEAR
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True


def test_hsts_length_subdomains_and_redirect_are_configurable(tmp_path):
    values = production(
        tmp_path,
        TONGBAN_BEHIND_PROXY="1",
        TONGBAN_HSTS_SECONDS="600",
        TONGBAN_HSTS_INCLUDE_SUBDOMAINS="1",
        TONGBAN_SSL_REDIRECT="0",
    )
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is False


def test_without_tls_no_hsts_and_no_redirect(tmp_path):
    values = production(tmp_path, TONGBAN_SECURE_COOKIES="0")
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_SSL_REDIRECT"] is False


def behind_proxy(tmp_path):
    """The settings a TONGBAN_BEHIND_PROXY=1 process has, applied to this test process."""
    values = production(tmp_path, TONGBAN_BEHIND_PROXY="1")
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return override_settings(**values)


def test_a_page_behind_tls_carries_strict_transport_security(tmp_path):
    with behind_proxy(tmp_path):
        response = Client().get("/", HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == f"max-age={YEAR}"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_plain_http_behind_the_proxy_is_redirected_but_healthz_stays_reachable(tmp_path):
    with behind_proxy(tmp_path):
        client = Client()
        page = client.get("/", HTTP_X_FORWARDED_PROTO="http")
        assert page.status_code == 301 and page["Location"].startswith("https://")
        assert client.get("/healthz", HTTP_X_FORWARDED_PROTO="http").status_code == 200
        assert client.get("/healthz").status_code == 200


def test_a_static_file_carries_nosniff_csp_and_referrer_policy(client):
    response = client.get("/static/web/site.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    page = client.get("/healthz")
    assert response["Referrer-Policy"] == page["Referrer-Policy"]


def test_a_static_file_behind_tls_carries_hsts(tmp_path):
    with behind_proxy(tmp_path):
        response = Client().get("/static/web/site.css", HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == f"max-age={YEAR}"
        assert "Content-Security-Policy" in response
