"""Staff see ID and mobile numbers masked; a full number is one action with a purpose, logged
(issue 19, finding 5). The outside test saw the full 18-digit ID and mobile number on
/staff/cases/{n}/ and /api/v1/cases/{n} for every member of the department."""

import pytest

from tests.certificates.conftest import issued, licence_type
from tests.factories import login_verified
from tongban.core.masking import mask_id_number, mask_mobile
from tongban.registries.models import DataAccessLog

from .conftest import world
from .test_flow import submitted_case

pytestmark = pytest.mark.django_db

__all__ = ["issued", "licence_type", "world"]


@pytest.fixture
def case(world):
    return submitted_case(world)


def _numbers(world):
    person = world["applicant"]
    return person.id_number, person.mobile


def _reveals(case):
    """Logged reads of the case's full numbers (viewing the page logs a read of the case too)."""
    return [
        row for row in DataAccessLog.objects.filter(case_number=case.number) if "身份证号码" in row.fields
    ]


def test_the_staff_case_page_shows_numbers_masked(client, world, case):
    id_number, mobile = _numbers(world)
    login_verified(client, world["intake"])
    page = client.get(f"/staff/cases/{case.number}/").content.decode()
    assert id_number not in page and mobile not in page
    assert mask_id_number(id_number) in page and mask_mobile(mobile) in page
    assert "查看完整号码" in page and 'name="purpose"' in page
    assert _reveals(case) == []


def test_revealing_with_a_purpose_shows_the_numbers_once_and_logs_the_read(client, world, case):
    id_number, mobile = _numbers(world)
    login_verified(client, world["reviewer"])
    response = client.post(f"/staff/cases/{case.number}/reveal/", {"purpose": "核对申请人身份"})
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert id_number in page and mobile in page
    (row,) = _reveals(case)
    assert row.purpose == "核对申请人身份"
    assert row.accessor == world["reviewer"] and row.department == case.department
    assert row.subject_id_number == id_number
    assert set(row.fields) == {"身份证号码", "手机号码"}
    # The next view is masked again.
    again = client.get(f"/staff/cases/{case.number}/").content.decode()
    assert id_number not in again


def test_revealing_without_a_purpose_is_refused_and_logs_nothing(client, world, case):
    id_number, _ = _numbers(world)
    login_verified(client, world["intake"])
    response = client.post(f"/staff/cases/{case.number}/reveal/", {"purpose": "   "})
    page = response.content.decode()
    assert response.status_code == 400
    assert "请说明查看完整号码的用途" in page and id_number not in page
    assert _reveals(case) == []


def test_revealing_is_a_post(client, world, case):
    login_verified(client, world["intake"])
    assert client.get(f"/staff/cases/{case.number}/reveal/?purpose=x").status_code == 405
    assert _reveals(case) == []


def test_staff_of_another_department_cannot_reveal(client, world, case):
    login_verified(client, world["outsider"])
    response = client.post(f"/staff/cases/{case.number}/reveal/", {"purpose": "好奇"})
    assert response.status_code == 404
    assert _reveals(case) == []


def test_the_applicant_sees_the_reveal_in_who_used_my_data(client, world, case):
    login_verified(client, world["decider"])
    client.post(f"/staff/cases/{case.number}/reveal/", {"purpose": "电话联系申请人"})
    client.force_login(world["applicant"])
    body = client.get("/api/v1/identity/data-use").json()
    assert any(entry["purpose"] == "电话联系申请人" for entry in body)


class TestApi:
    def test_staff_get_the_case_with_numbers_masked(self, client, world, case):
        id_number, mobile = _numbers(world)
        login_verified(client, world["intake"])
        body = client.get(f"/api/v1/cases/{case.number}").json()
        assert body["data"]["applicant_id_number"] == mask_id_number(id_number)
        assert body["data"]["mobile"] == mask_mobile(mobile)
        assert id_number not in str(body) and mobile not in str(body)

    def test_the_applicant_sees_their_own_numbers(self, client, world, case):
        id_number, _ = _numbers(world)
        client.force_login(world["applicant"])
        assert client.get(f"/api/v1/cases/{case.number}").json()["data"]["applicant_id_number"] == id_number

    def test_reveal_needs_a_purpose_and_is_logged(self, client, world, case):
        id_number, mobile = _numbers(world)
        login_verified(client, world["intake"])
        url = f"/api/v1/staff/cases/{case.number}/reveal"
        missing = client.post(url, {}, content_type="application/json")
        assert missing.status_code == 422
        blank = client.post(url, {"purpose": " "}, content_type="application/json")
        assert blank.status_code == 400 and blank.json()["field"] == "purpose"
        assert _reveals(case) == []
        shown = client.post(url, {"purpose": "核验身份"}, content_type="application/json")
        assert shown.status_code == 200, shown.content
        assert shown.json()["fields"] == {"applicant_id_number": id_number, "mobile": mobile}
        assert [r.purpose for r in _reveals(case)] == ["核验身份"]

    def test_outsiders_and_the_applicant_cannot_reveal(self, client, world, case):
        url = f"/api/v1/staff/cases/{case.number}/reveal"
        login_verified(client, world["outsider"])
        assert client.post(url, {"purpose": "x"}, content_type="application/json").status_code == 404
        client.force_login(world["applicant"])
        assert client.post(url, {"purpose": "x"}, content_type="application/json").status_code == 404
        assert _reveals(case) == []


def test_the_staff_certificate_page_shows_the_holder_id_masked(client, world, issued):
    login_verified(client, world["issuer"])
    page = client.get(f"/staff/certificates/{issued.identifier}/").content.decode()
    assert issued.holder_number not in page
    assert mask_id_number(issued.holder_number) in page


def test_the_staff_certificate_api_answers_with_the_holder_id_masked(client, world, issued):
    """Revoking or replacing through the API answers with the certificate as staff see it."""
    login_verified(client, world["issuer"])
    url = f"/api/v1/certificates/{issued.identifier}"
    replaced = client.post(
        f"{url}/replace", {"reason": "换证", "renew": True}, content_type="application/json"
    )
    assert replaced.status_code == 201, replaced.content
    assert replaced.json()["holder"]["number"] == mask_id_number(issued.holder_number)
    revoked = client.post(
        f"/api/v1/certificates/{replaced.json()['identifier']}/revoke",
        {"reason": "注销", "kind": "cancel"},
        content_type="application/json",
    )
    assert revoked.status_code == 200, revoked.content
    assert issued.holder_number not in revoked.content.decode()
    assert revoked.json()["holder"]["number"] == mask_id_number(issued.holder_number)
