"""Who may touch a person's single sign-on objects: only that person.

Every object URL of this part (pages and API) is tried as an anonymous visitor, another citizen
and a member of staff; none of them may see or change the owner's connection.
"""

import pytest

from tests.factories import StaffUserFactory, login_verified
from tongban.identity.oidc.models import Consent
from tongban.identity.oidc.services import record_consent

pytestmark = pytest.mark.django_db

# (label, method, url template, expected status for anonymous / another citizen / staff)
TABLE = [
    ("revoke connection", "post", "/account/connected-apps/{client_pk}/revoke/", 302, 404, 404),
    ("revoke unknown id", "post", "/account/connected-apps/999999/revoke/", 302, 404, 404),
    ("list connections", "get", "/account/connected-apps/", 302, 200, 200),
    ("api me", "get", "/api/v1/me", 401, 200, 200),
]


@pytest.fixture
def owner_connection(citizen, rp):
    record_consent(user=citizen, client=rp.client, scopes=["openid", "profile"])
    return rp.client


@pytest.fixture
def actor(request, client, other_citizen):
    kind = request.param
    if kind == "other citizen":
        client.force_login(other_citizen)
    elif kind == "staff":
        login_verified(client, StaffUserFactory(username="staff-other-dept"))
    return kind


@pytest.mark.parametrize("actor", ["anonymous", "other citizen", "staff"], indirect=True)
@pytest.mark.parametrize("label, method, url, anonymous, other, staff", TABLE, ids=[row[0] for row in TABLE])
def test_only_the_owner(
    client, actor, owner_connection, citizen, label, method, url, anonymous, other, staff
):
    expected = {"anonymous": anonymous, "other citizen": other, "staff": staff}[actor]
    response = getattr(client, method)(url.format(client_pk=owner_connection.pk))
    assert response.status_code == expected, (label, actor, response.content[:300])
    if expected == 302:
        assert "/account/login/" in response["Location"]
    # Whatever happened, the owner's connection is untouched and never shown to others.
    assert Consent.objects.filter(user=citizen, client=owner_connection).exists()
    assert "不动产登记系统" not in response.content.decode()


def test_the_owner_can_see_and_revoke(client, citizen, owner_connection):
    client.force_login(citizen)
    assert "不动产登记系统" in client.get("/account/connected-apps/").content.decode()
    response = client.post(f"/account/connected-apps/{owner_connection.pk}/revoke/")
    assert response.status_code == 302
    assert not Consent.objects.filter(user=citizen).exists()


def test_revoke_needs_post(client, citizen, owner_connection):
    client.force_login(citizen)
    assert client.get(f"/account/connected-apps/{owner_connection.pk}/revoke/").status_code == 405
    assert Consent.objects.filter(user=citizen).exists()


def test_revoke_refuses_a_foreign_next_url(client, citizen, owner_connection):
    client.force_login(citizen)
    response = client.post(
        f"/account/connected-apps/{owner_connection.pk}/revoke/", {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/account/connected-apps/"


def test_account_page_shows_connected_systems(client, citizen, owner_connection):
    client.force_login(citizen)
    html = client.get("/account/").content.decode()
    assert "已授权的部门系统" in html and "不动产登记系统" in html
    assert f"/account/connected-apps/{owner_connection.pk}/revoke/" in html
