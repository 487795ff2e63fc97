"""The provider through Django's test client: discovery, keys, consent, claims per scope, refusals."""

import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings
from jwcrypto import jwk, jwt

from tongban.identity.oidc.keys import current_signing_key
from tongban.identity.oidc.models import Consent, SigningKey

from .conftest import ID_NUMBER, REDIRECT_URI, authorize_params, code_from, pkce_pair

pytestmark = pytest.mark.django_db


def basic(new) -> str:
    raw = f"{new.client.client_id}:{new.client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def consent_and_code(client, new, scope="openid profile", **extra):
    verifier, challenge = pkce_pair()
    params = authorize_params(new.client.client_id, challenge, scope=scope, **extra)
    page = client.get("/oidc/authorize/", params)
    if page.status_code == 200:
        form = page.context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data["allow"] = "on"
        page = client.post("/oidc/authorize/", data)
    assert page.status_code == 302, page.content
    return code_from(page["Location"]), verifier


def exchange(client, new, code, verifier):
    return client.post(
        "/oidc/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=basic(new),
    )


def tokens_for(client, user, new, scope="openid profile"):
    client.force_login(user)
    code, verifier = consent_and_code(client, new, scope=scope)
    response = exchange(client, new, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def userinfo(client, access_token):
    return client.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


class TestDiscoveryAndKeys:
    def test_discovery_document_at_the_well_known_address(self, client):
        data = client.get("/.well-known/openid-configuration").json()
        assert data["issuer"] == "http://testserver"
        assert data["authorization_endpoint"] == "http://testserver/oidc/authorize/"
        assert data["token_endpoint"] == "http://testserver/oidc/token/"
        assert data["userinfo_endpoint"] == "http://testserver/oidc/userinfo/"
        assert data["jwks_uri"] == "http://testserver/.well-known/jwks.json"
        assert data["end_session_endpoint"] == "http://testserver/oidc/logout/"
        assert data["revocation_endpoint"] == "http://testserver/oidc/revoke/"
        assert data["id_token_signing_alg_values_supported"] == ["RS256"]
        assert data["code_challenge_methods_supported"] == ["S256"]
        assert data["response_types_supported"] == ["code"]
        assert {"openid", "profile", "id_number", "phone", "api"} <= set(data["scopes_supported"])
        assert {"sub", "name", "real_name_level", "id_number", "phone_number"} <= set(
            data["claims_supported"]
        )

    def test_signing_key_generated_once_stored_encrypted_and_published(self, client):
        assert SigningKey.objects.count() == 0
        first = client.get("/.well-known/jwks.json").json()["keys"]
        second = client.get("/.well-known/jwks.json").json()["keys"]
        assert SigningKey.objects.count() == 1
        assert first == second and len(first) == 1
        assert first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256" and "d" not in first[0]
        stored = SigningKey.objects.get()
        assert "PRIVATE KEY" not in stored.encrypted_private_key
        assert stored.kid == first[0]["kid"]

    def test_stored_key_is_read_back_not_regenerated(self, client):
        client.get("/.well-known/jwks.json")
        kid = SigningKey.objects.get().kid
        from tongban.identity.oidc import keys

        keys._decrypt.cache_clear()  # as a fresh process would start
        assert current_signing_key().thumbprint() == kid

    def test_other_secret_key_cannot_decrypt(self, client, settings):
        client.get("/.well-known/jwks.json")
        from django.core.exceptions import ImproperlyConfigured

        from tongban.identity.oidc import keys

        keys._decrypt.cache_clear()
        settings.SECRET_KEY = "another-secret-key-" + "x" * 40
        with pytest.raises(ImproperlyConfigured):
            current_signing_key()
        settings.SECRET_KEY_FALLBACKS = [self._original_secret()]
        assert current_signing_key().thumbprint() == SigningKey.objects.get().kid

    @staticmethod
    def _original_secret():
        from tongban import settings as project_settings

        return project_settings.SECRET_KEY

    def test_configured_key_wins_over_database(self, client):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        with override_settings(TONGBAN_OIDC_RSA_PRIVATE_KEY=pem):
            keys = client.get("/.well-known/jwks.json").json()["keys"]
        assert [k["kid"] for k in keys] == [jwk.JWK.from_pem(pem.encode()).thumbprint()]
        assert SigningKey.objects.count() == 0


class TestConsent:
    def test_anonymous_is_sent_to_login(self, client, rp):
        _verifier, challenge = pkce_pair()
        response = client.get("/oidc/authorize/", authorize_params(rp.client.client_id, challenge))
        assert response.status_code == 302
        assert "next=" in response["Location"] and "/oidc/authorize/" in response["Location"]

    def test_consent_screen_lists_claims_in_plain_chinese(self, client, citizen, rp):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        page = client.get(
            "/oidc/authorize/",
            authorize_params(rp.client.client_id, challenge, scope="openid profile id_number phone"),
        )
        html = page.content.decode()
        assert page.status_code == 200
        assert "“不动产登记系统”请求使用您的通办账号登录" in html
        assert "您的姓名和实名认证等级" in html
        assert "您的身份证号码（部分隐藏" in html
        assert "您的手机号码（部分隐藏" in html
        assert "您的完整身份证号码" not in html
        assert "同意并继续" in html and "拒绝" in html
        assert "https://dept.example.cn" in page["Content-Security-Policy"]

    def test_full_id_wording_only_for_clients_registered_for_it(self, client, citizen, rp_full_id):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        page = client.get(
            "/oidc/authorize/",
            authorize_params(rp_full_id.client.client_id, challenge, scope="openid id_number"),
        )
        assert "您的完整身份证号码" in page.content.decode()

    def test_consent_is_asked_once_for_the_same_scopes(self, client, citizen, rp):
        client.force_login(citizen)
        consent_and_code(client, rp)
        assert Consent.objects.get(user=citizen, client=rp.client).scope_list == ["openid", "profile"]
        _verifier, challenge = pkce_pair()
        again = client.get("/oidc/authorize/", authorize_params(rp.client.client_id, challenge))
        assert again.status_code == 302 and "code=" in again["Location"]
        narrower = client.get(
            "/oidc/authorize/", authorize_params(rp.client.client_id, challenge, scope="openid")
        )
        assert narrower.status_code == 302

    def test_new_scope_or_prompt_consent_shows_the_screen_again(self, client, citizen, rp):
        client.force_login(citizen)
        consent_and_code(client, rp)
        _verifier, challenge = pkce_pair()
        wider = client.get(
            "/oidc/authorize/", authorize_params(rp.client.client_id, challenge, scope="openid profile phone")
        )
        assert wider.status_code == 200
        forced = client.get(
            "/oidc/authorize/", authorize_params(rp.client.client_id, challenge, prompt="consent")
        )
        assert forced.status_code == 200

    def test_prompt_none_without_consent_returns_consent_required(self, client, citizen, rp):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        response = client.get(
            "/oidc/authorize/", authorize_params(rp.client.client_id, challenge, prompt="none")
        )
        assert response.status_code == 302
        query = parse_qs(urlparse(response["Location"]).query)
        assert query["error"] == ["consent_required"] and query["state"] == ["st-1"]

    def test_refusing_gives_access_denied_and_records_nothing(self, client, citizen, rp):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        page = client.get("/oidc/authorize/", authorize_params(rp.client.client_id, challenge))
        data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        response = client.post("/oidc/authorize/", data)
        assert parse_qs(urlparse(response["Location"]).query)["error"] == ["access_denied"]
        assert not Consent.objects.exists()

    def test_unknown_client_shows_an_error_page_without_redirecting(self, client, citizen):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        response = client.get("/oidc/authorize/", authorize_params("no-such-client", challenge))
        assert response.status_code == 400
        assert "授权请求无效" in response.content.decode()

    def test_unregistered_redirect_uri_is_not_followed(self, client, citizen, rp):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        params = authorize_params(rp.client.client_id, challenge, redirect_uri="https://evil.example.com/cb")
        response = client.get("/oidc/authorize/", params)
        assert response.status_code == 400

    def test_pkce_is_required(self, client, citizen, rp):
        client.force_login(citizen)
        params = authorize_params(rp.client.client_id, "x")
        del params["code_challenge"], params["code_challenge_method"]
        response = client.get("/oidc/authorize/", params)
        assert response.status_code == 302
        assert "error=invalid_request" in response["Location"]

    def test_plain_pkce_is_refused(self, client, citizen, rp):
        client.force_login(citizen)
        _verifier, challenge = pkce_pair()
        response = client.get(
            "/oidc/authorize/",
            authorize_params(rp.client.client_id, challenge, code_challenge_method="plain"),
        )
        assert response.status_code == 302 and "error=" in response["Location"]
        assert "code=" not in response["Location"]

    def test_wrong_code_verifier_is_refused(self, client, citizen, rp):
        client.force_login(citizen)
        code, _verifier = consent_and_code(client, rp)
        response = exchange(client, rp, code, "wrong-verifier-" + "a" * 40)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


class TestClaims:
    def test_id_token_is_rs256_signed_with_the_published_key(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp)
        keyset = jwk.JWKSet.from_json(client.get("/.well-known/jwks.json").content)
        token = jwt.JWT(jwt=tokens["id_token"], key=keyset, algs=["RS256"])
        claims = json.loads(token.claims)
        assert claims["sub"] == str(citizen.pk)
        assert claims["aud"] == rp.client.client_id
        assert claims["iss"] == "http://testserver"
        assert claims["nonce"] == "n-1"
        assert claims["name"] == "张三"

    def test_openid_only_gives_just_the_subject(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid")
        assert userinfo(client, tokens["access_token"]).json() == {"sub": str(citizen.pk)}

    def test_profile_gives_name_and_real_name_level(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid profile")
        assert userinfo(client, tokens["access_token"]).json() == {
            "sub": str(citizen.pk),
            "name": "张三",
            "real_name_level": 2,
        }

    def test_id_number_is_masked_for_ordinary_clients(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid id_number phone")
        info = userinfo(client, tokens["access_token"]).json()
        assert info["id_number"] == "1101**********002X"
        assert info["phone_number"] == "138****5678"
        assert "name" not in info

    def test_full_id_number_only_for_clients_registered_for_it(self, client, citizen, rp_full_id):
        tokens = tokens_for(client, citizen, rp_full_id, scope="openid id_number phone")
        info = userinfo(client, tokens["access_token"]).json()
        assert info["id_number"] == ID_NUMBER
        assert info["phone_number"] == "138****5678"

    def test_unverified_person_has_no_id_number_claim(self, client, other_citizen, rp):
        tokens = tokens_for(client, other_citizen, rp, scope="openid profile id_number")
        info = userinfo(client, tokens["access_token"]).json()
        assert "id_number" not in info and "name" not in info
        assert info["real_name_level"] == 1


class TestTokens:
    def test_refresh_rotates_and_the_old_refresh_token_is_refused(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp)
        refreshed = client.post(
            "/oidc/token/",
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            HTTP_AUTHORIZATION=basic(rp),
        )
        assert refreshed.status_code == 200
        new = refreshed.json()
        assert new["refresh_token"] != tokens["refresh_token"]
        assert userinfo(client, new["access_token"]).status_code == 200
        replay = client.post(
            "/oidc/token/",
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            HTTP_AUTHORIZATION=basic(rp),
        )
        assert replay.status_code == 400
        # Reuse of a rotated refresh token revokes the whole family.
        assert userinfo(client, new["access_token"]).status_code == 401

    def test_code_is_single_use(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        assert exchange(client, rp, code, verifier).status_code == 200
        assert exchange(client, rp, code, verifier).status_code == 400

    def test_wrong_client_secret_is_refused(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        rp_wrong = type(rp)(client=rp.client, client_secret="not-the-secret")
        assert exchange(client, rp_wrong, code, verifier).status_code == 401

    def test_revoked_access_token_is_refused(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp)
        response = client.post(
            "/oidc/revoke/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
        )
        assert response.status_code == 200
        assert userinfo(client, tokens["access_token"]).status_code == 401

    def test_deactivated_client_is_refused_everywhere(self, client, citizen, rp):
        from tongban.identity.oidc.services import deactivate_client

        tokens = tokens_for(client, citizen, rp)
        deactivate_client(client=rp.client)
        assert userinfo(client, tokens["access_token"]).status_code == 401
        refreshed = client.post(
            "/oidc/token/",
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            HTTP_AUTHORIZATION=basic(rp),
        )
        assert refreshed.status_code in (400, 401)
        _verifier, challenge = pkce_pair()
        response = client.get("/oidc/authorize/", authorize_params(rp.client.client_id, challenge))
        assert response.status_code in (302, 400) and "code=" not in response.get("Location", "")

    def test_deactivated_person_tokens_stop_working(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp)
        citizen.is_active = False
        citizen.save()
        assert userinfo(client, tokens["access_token"]).status_code == 401
        refreshed = client.post(
            "/oidc/token/",
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            HTTP_AUTHORIZATION=basic(rp),
        )
        assert refreshed.status_code == 400


class TestLogout:
    def test_rp_initiated_logout_ends_the_session_and_tokens(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp)
        page = client.get(
            "/oidc/logout/", {"id_token_hint": tokens["id_token"], "client_id": rp.client.client_id}
        )
        assert page.status_code == 200
        assert "退出通办账号" in page.content.decode()
        data = {k: v for k, v in page.context["form"].initial.items() if v}
        data["allow"] = "on"
        response = client.post("/oidc/logout/", data)
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
        assert userinfo(client, tokens["access_token"]).status_code == 401
