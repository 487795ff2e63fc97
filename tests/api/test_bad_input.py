"""Bad input never makes a 5xx (issue 19, finding 3): each case an outside test found, and its kin.

Every answer is a 4xx in the API's error shape with a Chinese message; nothing is written.
"""

import datetime as dt

import pytest
from django.utils import timezone

from tests.certificates.conftest import issued, licence_type, world
from tests.factories import login_verified
from tongban.certificates.models import Share

pytestmark = pytest.mark.django_db

__all__ = ["issued", "licence_type", "world"]

HUGE = "4611686018427387904"  # 2**62: (page - 1) * page_size no longer fits a 64-bit OFFSET
HUGER = "99999999999999999999999999"


def _has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _is_clear_422(response, field):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_parameters"
    assert _has_chinese(body["message"])
    # A body field is named with its body: ``payload.step``.
    assert any(e["field"].split(".")[-1] == field for e in body["errors"]), body
    return body


@pytest.mark.parametrize("path", ["/api/v1/departments", "/api/v1/items", "/api/v1/search?q=许可&"])
@pytest.mark.parametrize("page", [HUGE, HUGER])
def test_a_page_number_past_any_list_is_a_clear_422(client, path, page):
    glue = "" if path.endswith("&") else "?"
    body = _is_clear_422(client.get(f"{path}{glue}page={page}"), "page")
    assert "不能大于" in body["errors"][0]["message"]


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/staff/queue"])
def test_a_huge_page_of_cases_is_a_clear_422(client, world, path):
    if path == "/api/v1/cases":
        client.force_login(world["applicant"])
    else:
        login_verified(client, world["intake"])
    _is_clear_422(client.get(f"{path}?page={HUGE}"), "page")
    _is_clear_422(client.get(f"{path}?page=0"), "page")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/departments/{HUGER}",
        f"/api/v1/items?department={HUGE}",
        f"/api/v1/search?q=许可&department={HUGER}",
        f"/api/v1/wallet/certificates?enterprise_id={HUGER}",
        f"/api/v1/staff/queue?item={HUGER}",
    ],
)
def test_huge_ids_are_refused_not_crashed(client, world, path):
    if "staff" in path:
        login_verified(client, world["intake"])
    else:
        client.force_login(world["applicant"])
    response = client.get(path)
    assert 400 <= response.status_code < 500, response.content
    assert _has_chinese(response.json()["message"])


def test_share_until_a_date_is_taken_as_that_day_in_china(client, issued, world):
    """A date without a time (``2026-12-31``) was compared with an aware ``now``: 500."""
    client.force_login(world["applicant"])
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        f"/api/v1/wallet/certificates/{issued.identifier}/shares",
        {"recipient": "人才中心", "purpose": "人才认定", "valid_until": day.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    share = Share.objects.get(pk=response.json()["id"])
    assert timezone.localtime(share.valid_until).date() == day


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("2026-13-45", 422),
        ("not a date", 422),
        ("9999-12-31T23:59:59", 422),
        ("9999-12-31T23:59:59-23:59", 422),
        ("0001-01-01", 422),
        ("2026-01-01T00:00:00+23:59", 400),
    ],
)
def test_share_with_an_impossible_or_out_of_range_time_is_refused(client, issued, world, value, status):
    client.force_login(world["applicant"])
    response = client.post(
        f"/api/v1/wallet/certificates/{issued.identifier}/shares",
        {"recipient": "人才中心", "purpose": "人才认定", "valid_until": value},
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    assert _has_chinese(response.json()["message"])
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"item_code": "X", "enterprise_id": int(HUGER)},
        {"item_code": "\x00"},
    ],
)
def test_application_with_bad_ids_is_a_4xx(client, world, payload):
    client.force_login(world["applicant"])
    payload = {**payload, "item_code": world["item"].code} if payload["item_code"] == "X" else payload
    response = client.post("/api/v1/applications", payload, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert _has_chinese(response.json()["message"])


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_a_date_outside_any_plausible_range_is_a_clear_422(client, value):
    body = _is_clear_422(client.get(f"/api/v1/ratings/rankings?start={value}&end=2026-12-31"), "start")
    assert "日期超出范围" in body["errors"][0]["message"]


def test_a_malformed_date_says_how_to_write_one(client):
    body = _is_clear_422(client.get("/api/v1/ratings/rankings?start=2026-02-30"), "start")
    assert "2026-12-31" in body["errors"][0]["message"]


def test_a_draft_step_out_of_range_is_a_clear_422(client, world):
    client.force_login(world["applicant"])
    made = client.post(
        "/api/v1/applications", {"item_code": world["item"].code}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    response = client.patch(
        f"/api/v1/applications/{made.json()['id']}", {"step": int(HUGER)}, content_type="application/json"
    )
    _is_clear_422(response, "step")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/items/A%00B", "/api/v1/search?q=%E8%AE%B8%00%E5%8F%AF", "/api/v1/departments?q=%00"],
)
def test_a_nul_character_is_a_clear_422_on_every_database(client, path):
    """PostgreSQL refuses NUL in text: reaching a query it was a 500 there (SQLite stores it)."""
    response = client.get(path)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["type"] == "null_character"
    assert _has_chinese(response.json()["message"])


def test_a_nul_character_in_a_json_body_changes_nothing(client, world):
    client.force_login(world["applicant"])
    made = client.post(
        "/api/v1/applications", {"item_code": world["item"].code}, content_type="application/json"
    )
    url = f"/api/v1/applications/{made.json()['id']}"
    response = client.patch(url, '{"data": {"request": "开\\u0000店"}}', content_type="application/json")
    assert response.status_code == 422, response.content
    assert "\x00" not in str(client.get(url).json()["data"])


def test_a_nul_character_in_a_form_field_is_refused(client, world):
    client.force_login(world["applicant"])
    response = client.post("/api/v1/cases/NO-SUCH/correction", {"data": '{"a": "\x00"}'})
    assert response.status_code == 422, response.content
