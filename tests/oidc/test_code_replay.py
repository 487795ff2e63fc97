"""Finding 9: a replayed authorization code revokes what it bought; consent scope is kept server-side."""

import pytest

from .conftest import authorize_params, code_from, pkce_pair
from .test_provider import basic, consent_and_code, exchange, userinfo

pytestmark = pytest.mark.django_db


def refresh(client, new, refresh_token):
    return client.post(
        "/oidc/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(new),
    )


class TestCodeReplay:
    def test_a_replayed_code_revokes_the_access_and_refresh_tokens_it_gave(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        tokens = exchange(client, rp, code, verifier).json()
        assert userinfo(client, tokens["access_token"]).status_code == 200

        replay = exchange(client, rp, code, verifier)

        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        assert userinfo(client, tokens["access_token"]).status_code == 401
        assert refresh(client, rp, tokens["refresh_token"]).status_code == 400

    def test_tokens_rotated_from_the_code_are_revoked_too(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        first = exchange(client, rp, code, verifier).json()
        rotated = refresh(client, rp, first["refresh_token"]).json()
        assert userinfo(client, rotated["access_token"]).status_code == 200

        assert exchange(client, rp, code, verifier).status_code == 400

        assert userinfo(client, rotated["access_token"]).status_code == 401
        assert refresh(client, rp, rotated["refresh_token"]).status_code == 400

    def test_another_code_of_the_same_person_keeps_its_tokens(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        exchange(client, rp, code, verifier)
        other_code, other_verifier = consent_and_code(client, rp)
        other = exchange(client, rp, other_code, other_verifier).json()

        assert exchange(client, rp, code, verifier).status_code == 400

        assert userinfo(client, other["access_token"]).status_code == 200

    def test_an_unknown_code_revokes_nothing_and_is_refused(self, client, citizen, rp):
        client.force_login(citizen)
        code, verifier = consent_and_code(client, rp)
        tokens = exchange(client, rp, code, verifier).json()
        assert exchange(client, rp, "made-up-code", verifier).status_code == 400
        assert userinfo(client, tokens["access_token"]).status_code == 200


class TestConsentScope:
    def _consent_page(self, client, rp, scope):
        _verifier, challenge = pkce_pair()
        page = client.get("/oidc/authorize/", authorize_params(rp.client.client_id, challenge, scope=scope))
        assert page.status_code == 200
        data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        data["allow"] = "on"
        return page, data

    def test_a_posted_scope_wider_than_the_consent_shown_is_not_granted(self, client, citizen, rp):
        client.force_login(citizen)
        _page, data = self._consent_page(client, rp, "openid")
        data["scope"] = "openid api id_number phone"

        response = client.post("/oidc/authorize/", data)

        if response.status_code == 302 and "code=" in response["Location"]:
            from oauth2_provider.models import Grant

            grant = Grant.objects.get(code=code_from(response["Location"]))
            assert grant.scope.split() == ["openid"]
        else:
            assert response.status_code in (400, 403)
        from tongban.identity.oidc.models import Consent

        consent = Consent.objects.filter(user=citizen, client=rp.client).first()
        assert consent is None or set(consent.scope_list) <= {"openid"}

    def test_a_consent_post_without_a_consent_page_is_refused(self, client, citizen, rp):
        client.force_login(citizen)
        _page, data = self._consent_page(client, rp, "openid")
        client.logout()
        client.force_login(citizen)  # a new session: no consent page was shown in it
        response = client.post("/oidc/authorize/", data)
        assert not (response.status_code == 302 and "code=" in response.get("Location", ""))

    def test_the_scope_shown_is_granted_as_shown(self, client, citizen, rp):
        client.force_login(citizen)
        _page, data = self._consent_page(client, rp, "openid profile")
        response = client.post("/oidc/authorize/", data)
        assert response.status_code == 302
        from oauth2_provider.models import Grant

        grant = Grant.objects.get(code=code_from(response["Location"]))
        assert set(grant.scope.split()) == {"openid", "profile"}
