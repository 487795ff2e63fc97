"""The reports list in the JSON API (``/api/v1/supervision/reports``): a supervisor's regions and
below, newest period first, filtered by region and kind, paged, file links only once made; a
region outside theirs and anyone without a 监察 role are refused."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import login_verified
from tongban.supervision.reports.models import Report

pytestmark = pytest.mark.django_db

URL = "/api/v1/supervision/reports"


def _report(code: str, name: str, kind: str, start: dt.date, *, ready: bool = True) -> Report:
    months = 3 if kind == Report.Kind.QUARTER else 1
    end = dt.date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    report = Report(
        region_code=code,
        region_name=name,
        kind=kind,
        period_start=start,
        period_end=end - dt.timedelta(days=1),
        status=Report.Status.READY if ready else Report.Status.QUEUED,
        generated_at=timezone.now() if ready else None,
    )
    if ready:
        report.pdf.save(f"api-{code}-{kind}-{start}.pdf", ContentFile(b"%PDF-1.4"), save=False)
        report.xlsx.save(f"api-{code}-{kind}-{start}.xlsx", ContentFile(b"PK"), save=False)
    report.save()
    return report


@pytest.fixture
def reports(world):
    return {
        "city_oct": _report("5116", "广安市", Report.Kind.MONTH, dt.date(2026, 10, 1)),
        "city_nov": _report("5116", "广安市", Report.Kind.MONTH, dt.date(2026, 11, 1), ready=False),
        "county_q3": _report("511602", "广安区", Report.Kind.QUARTER, dt.date(2026, 7, 1)),
        "far_oct": _report("511621", "岳池县", Report.Kind.MONTH, dt.date(2026, 10, 1)),
    }


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def test_the_city_supervisor_lists_the_city_and_its_counties_newest_first(client, world, reports):
    login_verified(client, world["supervisor"])
    r = reports
    assert _ids(client.get(URL)) == [r["city_nov"].pk, r["city_oct"].pk, r["far_oct"].pk, r["county_q3"].pk]
    assert _ids(client.get(f"{URL}?region=511602")) == [r["county_q3"].pk]
    assert _ids(client.get(f"{URL}?kind=quarter")) == [r["county_q3"].pk]
    assert _ids(client.get(f"{URL}?page=2")) == []


def test_file_links_only_once_the_report_is_made(client, world, reports):
    login_verified(client, world["supervisor"])
    rows = {row["id"]: row for row in client.get(URL).json()}
    made, queued = rows[reports["city_oct"].pk], rows[reports["city_nov"].pk]
    assert made["pdf_url"] == f"/staff/supervision/reports/{reports['city_oct'].pk}/report.pdf"
    assert made["xlsx_url"].endswith("/report.xlsx") and made["status"] == "ready"
    assert (queued["pdf_url"], queued["xlsx_url"], queued["status"]) == (None, None, "queued")
    assert client.get(made["pdf_url"]).status_code == 200
    one = client.get(f"{URL}/{reports['county_q3'].pk}").json()
    assert (one["region_name"], one["kind"], one["period_end"]) == ("广安区", "quarter", "2026-09-30")


def test_a_county_supervisor_sees_their_county_only(client, world, reports):
    login_verified(client, world["far_supervisor"])
    assert _ids(client.get(URL)) == [reports["far_oct"].pk]
    assert client.get(f"{URL}?region=5116").status_code == 403
    assert client.get(f"{URL}?region=511602").status_code == 403
    assert client.get(f"{URL}/{reports['city_oct'].pk}").status_code == 404


def test_staff_without_a_supervisor_role_citizens_and_anonymous_are_refused(client, world, reports):
    assert client.get(URL).status_code == 401
    login_verified(client, world["staff"])
    refused = client.get(URL)
    assert refused.status_code == 403 and "只有监察人员" in refused.json()["message"]
    client.force_login(world["applicant"])
    assert client.get(URL).status_code == 403


def test_bad_filters_are_refused(client, world, reports):
    login_verified(client, world["supervisor"])
    for query in ("region=abc", "kind=year", "page=0"):
        assert client.get(f"{URL}?{query}").status_code in (400, 422), query
