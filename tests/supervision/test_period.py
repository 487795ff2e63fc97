"""The dashboard's period filter: the last N months, a calendar quarter or a calendar year; the
running quarter or year ends today; a period not begun yet, too early or malformed is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import login_verified
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput
from tongban.supervision import dashboard, rollups

from .conftest import submit

TODAY = dt.date(2026, 11, 15)


def test_months_quarters_and_years_are_parsed():
    twelve = dashboard.parse_period("12", TODAY)
    assert (twelve.start, twelve.end, twelve.months) == (dt.date(2025, 12, 1), TODAY, 12)
    q3 = dashboard.parse_period("2026-Q3", TODAY)
    assert (q3.start, q3.end, q3.months, q3.label) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        3,
        "2026年第3季度",
    )
    running = dashboard.parse_period("2026-q4", TODAY)
    assert (running.start, running.end, running.months) == (dt.date(2026, 10, 1), TODAY, 2)
    past = dashboard.parse_period("2025", TODAY)
    assert (past.start, past.end, past.months, past.label) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
        12,
        "2025年",
    )
    assert dashboard.parse_period("2026", TODAY).end == TODAY


@pytest.mark.parametrize("text", ["7", "2027", "2027-Q1", "2026-Q5", "1999", "2026-13", "abc", ""])
def test_a_bad_or_future_period_is_refused(text):
    with pytest.raises(InvalidInput):
        dashboard.parse_period(text, TODAY)


def test_choices_offer_months_then_quarters_then_years_running_first():
    values = [p.value for p in dashboard.period_choices(TODAY)]
    assert values[:4] == ["3", "6", "12", "24"]
    assert values[4:12] == [
        "2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"
    ]  # fmt: skip
    assert values[12:] == ["2026", "2025", "2024"]
    assert all(dashboard.parse_period(v, TODAY).value == v for v in values)


@pytest.fixture
def last_year(world):
    """Two cases this month, one moved to the same month a year ago (counted again)."""
    submit(world["item"], world["applicant"])
    old = submit(world["item"], world["applicant"])
    Case.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=366))
    rollups.drain()
    rollups.refresh_cases([old.pk])
    return world


def _received(page) -> str:
    return page.context["figures"][0].value


def test_the_dashboard_counts_the_chosen_quarter_or_year(client, last_year):
    login_verified(client, last_year["supervisor"])
    today = timezone.localdate()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    page = client.get(f"/staff/supervision/?period={quarter}")
    assert page.status_code == 200 and _received(page) == "1"
    assert page.context["period"].value == quarter
    assert len(page.context["trend"]) == (today.month - 1) % 3 + 1  # the quarter's months so far
    assert f'<option value="{quarter}" selected>' in page.content.decode()
    year = client.get(f"/staff/supervision/?period={today.year - 1}")
    assert _received(year) == "1" and len(year.context["trend"]) == 12
    assert _received(client.get(f"/staff/supervision/?period={today.year - 2}")) == "0"
    assert _received(client.get("/staff/supervision/?period=24")) == "2"
    assert _received(client.get("/staff/supervision/?months=24")) == "2"  # the older parameter


def test_a_bad_period_gets_a_chinese_error(client, world):
    login_verified(client, world["supervisor"])
    page = client.get(f"/staff/supervision/?period={timezone.localdate().year + 1}")
    assert page.status_code == 400 and "该统计期尚未开始或过早" in page.content.decode()
    assert client.get("/staff/supervision/?period=2026-Q9").status_code == 400
