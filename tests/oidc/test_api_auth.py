"""The JSON API accepts our access tokens (with the api scope) and the session; everything else is a JSON 401."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone
from ninja.errors import HttpError
from oauth2_provider.models import get_access_token_model

from tongban.identity.oidc.auth import SessionCsrfAuth
from tongban.identity.oidc.models import Client

from .conftest import REDIRECT_URI
from .test_provider import basic, consent_and_code, exchange, tokens_for

pytestmark = pytest.mark.django_db


def me(client, token=None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get("/api/v1/me", **headers)


class TestBearer:
    def test_valid_token_with_api_scope_acts_as_its_person(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        client.logout()
        response = me(client, tokens["access_token"])
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["id"] == citizen.pk
        assert body["name"] == "张三"
        assert body["real_name_level"] == 2
        assert body["id_number"] == "1101**********002X"
        assert body["mobile"] == "138****5678"
        assert body["connected_systems"][0]["name"] == "不动产登记系统"

    def test_token_of_another_person_shows_that_person_only(self, client, citizen, other_citizen, rp):
        mine = tokens_for(client, citizen, rp, scope="openid api")
        theirs = tokens_for(client, other_citizen, rp, scope="openid api")
        client.logout()
        assert me(client, mine["access_token"]).json()["id"] == citizen.pk
        assert me(client, theirs["access_token"]).json()["id"] == other_citizen.pk

    def test_token_without_api_scope_is_refused(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid profile")
        client.logout()
        response = me(client, tokens["access_token"])
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"

    @pytest.mark.parametrize("garbage", ["garbage", "a" * 200, "", "Bearer"])
    def test_garbage_token_is_a_json_401(self, client, garbage):
        response = me(client, garbage)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] in ("invalid_token", "unauthenticated")

    def test_expired_token_is_a_json_401(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        client.logout()
        get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
        response = me(client, tokens["access_token"])
        assert response.status_code == 401
        assert response.json() == {
            "code": "invalid_token",
            "message": "访问令牌无效、已过期或已被撤销，请重新登录授权。",
        }

    def test_revoked_token_is_a_json_401(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        client.logout()
        client.post("/oidc/revoke/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp))
        assert me(client, tokens["access_token"]).status_code == 401

    def test_token_of_a_revoked_connection_is_refused(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        response = client.post(f"/account/connected-apps/{rp.client.pk}/revoke/")
        assert response.status_code == 302
        client.logout()
        assert me(client, tokens["access_token"]).status_code == 401

    def test_token_of_a_deactivated_client_is_refused(self, client, citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        client.logout()
        Client.objects.filter(pk=rp.client.pk).update(is_active=False)
        assert me(client, tokens["access_token"]).status_code == 401

    def test_bearer_wins_over_a_session_of_someone_else(self, client, citizen, other_citizen, rp):
        tokens = tokens_for(client, citizen, rp, scope="openid api")
        client.force_login(other_citizen)
        assert me(client, tokens["access_token"]).json()["id"] == citizen.pk


class TestSession:
    def test_signed_in_page_scripts_use_the_session(self, client, citizen):
        client.force_login(citizen)
        response = me(client)
        assert response.status_code == 200 and response.json()["id"] == citizen.pk

    def test_anonymous_is_a_json_401(self, client):
        response = me(client)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"

    def test_unsafe_methods_need_the_csrf_token(self, citizen):
        request = RequestFactory().post("/api/v1/anything")
        request.user = citizen
        request.COOKIES["sessionid"] = "x"
        request._dont_enforce_csrf_checks = False
        with pytest.raises(HttpError) as exc:
            SessionCsrfAuth(csrf=True)(request)
        assert exc.value.status_code == 403

    def test_safe_methods_need_no_csrf_token(self, citizen):
        request = RequestFactory().get("/api/v1/me")
        request.user = citizen
        request.COOKIES["sessionid"] = "x"
        assert SessionCsrfAuth(csrf=True)(request) == citizen


class TestCommand:
    def test_create_prints_json_with_working_credentials(self, client, citizen, department):
        out = StringIO()
        call_command(
            "oidc-client",
            "create",
            "--name",
            "公积金系统",
            "--redirect-uri",
            REDIRECT_URI,
            "--department",
            str(department.pk),
            stdout=out,
        )
        data = json.loads(out.getvalue())
        assert data["name"] == "公积金系统"
        assert data["department"] == department.pk
        assert data["may_receive_full_id"] is False
        stored = Client.objects.get(client_id=data["client_id"])
        assert stored.client_secret != data["client_secret"]  # only the hash is kept
        assert stored.algorithm == "RS256"

        from tongban.identity.oidc.services import NewClient

        new = NewClient(client=stored, client_secret=data["client_secret"])
        client.force_login(citizen)
        code, verifier = consent_and_code(client, new)
        response = exchange(client, new, code, verifier)
        assert response.status_code == 200 and "id_token" in response.json()

    def test_full_id_flag(self, db):
        out = StringIO()
        call_command(
            "oidc-client", "create", "--name", "社保", "--redirect-uri", REDIRECT_URI, "--full-id", stdout=out
        )
        assert Client.objects.get(client_id=json.loads(out.getvalue())["client_id"]).may_receive_full_id

    def test_unknown_department_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="找不到编号为 999999 的部门"):
            call_command(
                "oidc-client",
                "create",
                "--name",
                "X",
                "--redirect-uri",
                REDIRECT_URI,
                "--department",
                "999999",
            )

    def test_bad_redirect_uri_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="接入系统信息不正确"):
            call_command("oidc-client", "create", "--name", "X", "--redirect-uri", "not a uri")
        assert not Client.objects.exists()
