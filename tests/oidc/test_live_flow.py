"""The whole OpenID Connect flow against a live server, driven by an independent client library (Authlib).

The "browser" is a plain requests session that posts the real login form and the consent form;
the department system is Authlib's OAuth2Session with PKCE (S256).
"""

import re
import warnings
from html import unescape
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .conftest import REDIRECT_URI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-123456"


def hidden_fields(html: str, form_id: str | None = None) -> dict:
    if form_id:
        html = html[html.index(f'id="{form_id}"') :]
    html = html[: html.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def sign_in(browser: requests.Session, login_page: requests.Response, username: str) -> requests.Response:
    """Post the real password login form; return what the browser lands on after it."""
    html = login_page.text
    start = html.index('name="method" value="password"')
    form = html[html.rindex("<form", 0, start) :]
    data = hidden_fields(form)
    data.update({"username": username, "password": PASSWORD})
    return browser.post(login_page.url, data=data, headers={"Referer": login_page.url})


@pytest.fixture
def rp_session(live_server, rp):
    meta = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        rp.client.client_id,
        rp.client_secret,
        scope="openid profile id_number phone api",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    return meta, session


def authorize(browser, meta, session, verifier, nonce):
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    return browser.get(url, allow_redirects=False), state


def follow_to_page(browser, response):
    while response.status_code in (301, 302) and not response.headers["Location"].startswith(REDIRECT_URI):
        response = browser.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False)
    return response


def test_code_pkce_token_id_token_userinfo_api_refresh_and_revoke(live_server, citizen, rp_session):
    meta, rp = rp_session
    assert meta["issuer"] == live_server.url
    browser = requests.Session()
    verifier, nonce = generate_token(48), generate_token(16)

    first, state = authorize(browser, meta, rp, verifier, nonce)
    login_page = follow_to_page(browser, first)
    assert login_page.status_code == 200 and 'name="password"' in login_page.text

    consent = sign_in(browser, login_page, "zhangsan")  # the login form sends the browser back to authorize
    assert consent.status_code == 200 and "同意并继续" in consent.text, consent.text[:500]
    assert "您的身份证号码（部分隐藏" in consent.text

    data = hidden_fields(consent.text, "authorizationForm")
    data["allow"] = "on"
    approved = browser.post(consent.url, data=data, headers={"Referer": consent.url}, allow_redirects=False)
    assert approved.status_code == 302
    callback = approved.headers["Location"]
    assert callback.startswith(REDIRECT_URI) and f"state={state}" in callback

    token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert {"access_token", "refresh_token", "id_token"} <= set(token)

    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_options={
            "iss": {"essential": True, "value": meta["issuer"]},
            "aud": {"essential": True, "value": rp.client_id},
            "nonce": {"essential": True, "value": nonce},
        },
    )
    claims.validate()
    assert claims["sub"] == str(citizen.pk)
    assert claims["name"] == "张三"

    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info == {
        "sub": str(citizen.pk),
        "name": "张三",
        "real_name_level": 2,
        "id_number": "1101**********002X",
        "phone_number": "138****5678",
    }
    me = rp.get(f"{live_server.url}/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == citizen.pk

    old_refresh = token["refresh_token"]
    refreshed = rp.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != old_refresh
    assert refreshed["access_token"] != token["access_token"]
    assert rp.get(meta["userinfo_endpoint"]).status_code == 200
    stale = requests.get(
        meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert stale.status_code == 401

    # Consent is remembered: the next sign-in goes straight back with a code.
    again, _state = authorize(browser, meta, rp, generate_token(48), generate_token(16))
    assert again.status_code == 302 and again.headers["Location"].startswith(REDIRECT_URI)
    assert "code=" in again.headers["Location"]

    rp.revoke_token(meta["revocation_endpoint"], token=refreshed["access_token"])
    assert rp.get(meta["userinfo_endpoint"]).status_code == 401
    assert rp.get(f"{live_server.url}/api/v1/me").status_code == 401


def test_authlib_with_a_wrong_secret_gets_no_token(live_server, citizen, rp_session):
    meta, rp = rp_session
    browser = requests.Session()
    verifier = generate_token(48)
    first, _state = authorize(browser, meta, rp, verifier, generate_token(16))
    login_page = follow_to_page(browser, first)
    consent = sign_in(browser, login_page, "zhangsan")
    data = hidden_fields(consent.text, "authorizationForm")
    data["allow"] = "on"
    callback = browser.post(consent.url, data=data, allow_redirects=False).headers["Location"]
    impostor = OAuth2Session(
        rp.client_id, "wrong-secret", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )

    with pytest.raises(OAuthError):
        impostor.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
