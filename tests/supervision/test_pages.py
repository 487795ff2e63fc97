"""The dashboard, the drill-down and the JSON API: what each role sees, and every refusal."""

import pytest

from tests.cases.conftest import citizen
from tests.factories import login_verified
from tongban.cases import services
from tongban.supervision import rollups

from .conftest import grant, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(world):
    staff, applicant = world["staff"], world["applicant"]
    grant(submit(world["item"], applicant), staff)
    services.refuse_case(actor=staff, case=submit(world["item"], applicant), reason="不属于本机关职权范围。")
    grant(submit(world["online_item"], citizen("王芳")), world["second_staff"])
    submit(world["far_item"], citizen("赵六"))
    rollups.drain()
    return world


def test_supervisor_sees_their_region_with_charts_and_tables(client, filled):
    login_verified(client, filled["supervisor"])
    page = client.get("/staff/supervision/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "广安区行政审批局" in html and "广安区民政局" in html
    assert "岳池县行政审批局" in html  # the city (5116) covers every county below it
    assert html.count("data:image/svg+xml;base64,") >= 2
    assert "每月数据" in html  # the charts' data as a table
    assert "/staff/supervision/cases/?measure=received" in html


def test_city_supervisor_totals_cover_the_counties(client, filled):
    login_verified(client, filled["supervisor"])
    rows = client.get("/api/v1/supervision/indicators?group_by=region&region_level=3").json()
    by_county = {row["region_code"]: row["received"] for row in rows}
    assert by_county == {"511602": 3, "511621": 1}
    assert (
        sum(row["received"] for row in client.get("/api/v1/supervision/indicators?region=5116").json()) == 4
    )


def test_supervisor_of_another_region_is_refused(client, filled):
    login_verified(client, filled["far_supervisor"])
    assert client.get("/staff/supervision/?region=511602").status_code == 403
    assert client.get(f"/staff/supervision/?department={filled['department'].pk}").status_code == 404
    assert client.get("/api/v1/supervision/indicators?region=511602").status_code == 403
    assert (
        client.get(
            f"/api/v1/supervision/cases?measure=received&department={filled['department'].pk}"
        ).status_code
        == 404
    )
    own = client.get("/api/v1/supervision/indicators").json()
    assert sum(row["received"] for row in own) == 1  # 岳池县 only


def test_department_member_sees_only_their_department(client, filled):
    login_verified(client, filled["staff"])
    page = client.get("/staff/supervision/").content.decode()
    assert "广安区行政审批局" in page
    rows = client.get("/api/v1/supervision/indicators").json()
    assert sum(row["received"] for row in rows) == 2
    assert client.get("/api/v1/supervision/indicators?region=5116").status_code == 403
    assert client.get(f"/api/v1/supervision/indicators?department={filled['second'].pk}").status_code == 404
    assert (
        client.get(f"/staff/supervision/cases/?measure=received&department={filled['second'].pk}").status_code
        == 404
    )


def test_citizen_and_anonymous_are_refused(client, filled):
    assert client.get("/staff/supervision/").status_code == 302
    assert client.get("/api/v1/supervision/indicators").status_code in (401, 403)
    client.force_login(filled["applicant"])
    assert client.get("/staff/supervision/").status_code == 404
    assert client.get("/api/v1/supervision/indicators").status_code == 403


def test_drill_down_lists_the_cases_behind_a_number_masked(client, filled):
    login_verified(client, filled["supervisor"])
    page = client.get("/staff/supervision/cases/?measure=received&region=5116")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("/staff/cases/") == 4
    assert "张三" not in html and "*三" in html
    refused = client.get("/staff/supervision/cases/?measure=refused&region=5116").content.decode()
    assert refused.count("/staff/cases/") == 1
    api = client.get("/api/v1/supervision/cases?measure=concluded&region=5116").json()
    assert len(api) == 2 and all("*" in row["applicant"] for row in api)


def test_bad_input_gets_a_chinese_error(client, filled):
    login_verified(client, filled["supervisor"])
    assert client.get("/staff/supervision/cases/?measure=nonsense").status_code == 400
    assert (
        "月份格式" in client.get("/staff/supervision/cases/?measure=received&from=2026-13").content.decode()
    )
    assert client.get("/staff/supervision/?months=7").status_code == 400
    assert client.get("/staff/supervision/?region=abc").status_code == 400
    assert client.get("/api/v1/supervision/indicators?region=abc").status_code in (400, 422)


def test_workbench_links_the_dashboard_for_supervisors(client, filled):
    login_verified(client, filled["supervisor"])
    assert "/staff/supervision/" in client.get("/staff/").content.decode()


def test_cached_dashboard_follows_the_rollups(client, filled):
    """The page is cached per scope, keyed by the cursor: a counted event shows at once."""
    from tongban.supervision import dashboard

    login_verified(client, filled["supervisor"])
    first = client.get("/staff/supervision/").context["figures"][0]
    assert first.value == "4"
    submit(filled["item"], filled["applicant"])
    assert client.get("/staff/supervision/").context["figures"][0].value == "4"  # not yet counted
    rollups.drain()
    assert client.get("/staff/supervision/").context["figures"][0].value == "5"
    assert dashboard.LABELS["received"]
