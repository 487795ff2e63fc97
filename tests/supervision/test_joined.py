"""The figures other apps keep, joined to the dashboard: 一件事 share (cases), registry reads
(sharing) and 12345 (consult), per region summed upwards and per department, over the dashboard's
period; each against a hand-counted fixture, and a county supervisor sees only their county."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import DepartmentFactory, LifeEventFactory, login_verified
from tests.supervision.conftest import submit
from tongban.cases.models import Case, JointApplication, JointCase
from tongban.consult.models import Centre, Kind, Petition, Satisfaction
from tongban.registries.models import DataAccessLog
from tongban.supervision import rollups, selectors

TWO_YEARS = dt.timedelta(days=730)


def _joint(case: Case, n: int) -> None:
    """Make ``case`` a child of a 一件事 joint case (what the split does)."""
    applicant, now = case.applicant, timezone.now()
    bundle = LifeEventFactory(lead_department=case.department)
    draft = JointApplication.objects.create(
        bundle=bundle, applicant=applicant, created_by=applicant, expires_at=now + dt.timedelta(days=30)
    )
    joint = JointCase.objects.create(
        number=f"LB{case.region_code}-{now:%Y%m%d}-{n:06d}",
        joint_application=draft,
        bundle=bundle,
        applicant=applicant,
        submitted_by=applicant,
        applicant_name=applicant.real_name,
        channel="2",
        lead_department=case.department,
        region_code=case.region_code,
        joint_limit_days=15,
        submitted_at=now,
    )
    Case.objects.filter(pk=case.pk).update(joint=joint)


def _reads(department, n: int, *, when: dt.datetime | None = None) -> None:
    for _ in range(n):
        log = DataAccessLog.objects.create(accessor_label="审批员", department=department, purpose="办件核验")
        if when:
            DataAccessLog.objects.filter(pk=log.pk).update(created_at=when)


def _petition(centre, department, n: int, *, status, due=None, answered=None, satisfaction="", created=None):
    petition = Petition.objects.create(
        number=f"12345-{n:04d}",
        kind=Kind.COMPLAIN,
        channel=Petition.Channel.PHONE,
        title="窗口排队太久",
        body="窗口排队太久。",
        centre=centre,
        department=department,
        status=status,
        due_date=due,
        answered_at=answered,
        satisfaction=satisfaction,
    )
    if created:
        Petition.objects.filter(pk=petition.pk).update(created_at=created)
    return petition


@pytest.fixture
def joined(world):
    """County 广安区 (行政审批局, 民政局) and county 岳池县 in city 广安市, counted by hand:

    cases: 行政审批局 2 (1 一件事 child), 民政局 1, 岳池 1 (1 child);
    reads: 行政审批局 3 (+1 two years ago), 民政局 1, 岳池 2, one without a department;
    12345: 行政审批局 answered on time 满意, answered late 不满意, handling overdue (+1 answered
    on time 基本满意 two years ago); one not yet dispatched at the city centre; 岳池 handling
    overdue.
    """
    w = world
    today, now = timezone.localdate(), timezone.now()
    first = submit(w["item"], w["applicant"])
    submit(w["item"], w["applicant"])
    submit(w["online_item"], w["applicant"])
    far = submit(w["far_item"], w["applicant"])
    _joint(first, 1)
    _joint(far, 2)
    rollups.drain()

    _reads(w["department"], 3)
    _reads(w["department"], 1, when=now - TWO_YEARS)
    _reads(w["second"], 1)
    _reads(w["far"], 2)
    _reads(None, 1)

    centre = Centre.objects.create(
        department=DepartmentFactory(name="12345热线", region=w["city"]), region=w["city"]
    )
    later, yesterday = today + dt.timedelta(days=2), today - dt.timedelta(days=1)
    answered = Petition.Status.ANSWERED
    dep = w["department"]
    _petition(centre, dep, 1, status=answered, due=later, answered=now, satisfaction=Satisfaction.SATISFIED)
    _petition(
        centre, dep, 2, status=answered, due=yesterday, answered=now, satisfaction=Satisfaction.DISSATISFIED
    )
    _petition(centre, dep, 3, status=Petition.Status.HANDLING, due=yesterday)
    old = now - TWO_YEARS
    _petition(
        centre,
        dep,
        4,
        status=Petition.Status.CLOSED,
        due=old.date() + dt.timedelta(days=3),
        answered=old,
        satisfaction=Satisfaction.BASIC,
        created=old,
    )
    _petition(centre, None, 5, status=Petition.Status.NEW)
    _petition(centre, w["far"], 6, status=Petition.Status.HANDLING, due=yesterday)
    return {**w, "today": today, "old": old}


def _figures(today, **scope):
    start = selectors.months_back(today, 12)
    return selectors.joined_figures(today=today, start=start, end=today, **scope)


def test_county_figures(joined):
    got = _figures(joined["today"], region_code="511602")
    assert (got.received, got.joint_children, got.joint_rate) == (3, 1, round(1 / 3, 4))
    assert got.data_reads == 4
    hotline = got.hotline
    assert (hotline["received"], hotline["answered"], hotline["overdue"]) == (3, 2, 1)
    assert got.hotline_on_time_rate == 0.5 and got.hotline_satisfaction_rate == 0.5


def test_city_sums_its_counties_and_its_centre(joined):
    got = _figures(joined["today"], region_code="5116")
    assert (got.received, got.joint_children, got.joint_rate) == (4, 2, 0.5)
    assert got.data_reads == 6  # a read without a department belongs to no region
    assert (got.hotline["received"], got.hotline["overdue"]) == (5, 2)
    assert got.hotline_on_time_rate == 0.5 and got.hotline_satisfaction_rate == 0.5


def test_one_department(joined):
    got = _figures(joined["today"], department_id=joined["second"].pk)
    assert (got.received, got.joint_children, got.joint_rate, got.data_reads) == (1, 0, 0.0, 1)
    assert got.hotline["received"] == 0 and got.hotline_on_time_rate is None


def test_the_other_county_alone(joined):
    got = _figures(joined["today"], region_code="511621")
    assert (got.received, got.joint_children, got.joint_rate, got.data_reads) == (1, 1, 1.0, 2)
    assert (got.hotline["received"], got.hotline["overdue"]) == (1, 1)
    assert got.hotline_on_time_rate is None and got.hotline_satisfaction_rate is None


def test_a_past_year_counts_only_its_own_months(joined):
    year = joined["old"].year
    got = selectors.joined_figures(
        today=joined["today"], region_code="511602", start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
    )
    assert (got.received, got.joint_children, got.joint_rate) == (0, 0, None)
    assert got.data_reads == 1
    assert (got.hotline["received"], got.hotline["answered"]) == (1, 1)
    assert got.hotline_on_time_rate == 1.0 and got.hotline_satisfaction_rate == 1.0
    assert got.hotline["overdue"] == 1  # a "now" figure: whatever the period


def _shown(page) -> dict[str, str]:
    return {str(f.label): f.value for f in page.context["joined"]}


def test_the_dashboard_shows_them_for_the_viewers_scope(client, joined):
    login_verified(client, joined["supervisor"])
    city = _shown(client.get("/staff/supervision/"))
    assert city["一件事办件占比"] == "50.0%" and city["数据共享调用"] == "6"
    assert city["12345 诉求受理"] == "5" and city["12345 当前超期"] == "2"
    assert city["12345 按时答复率"] == "50.0%" and city["12345 满意率"] == "50.0%"
    county = _shown(client.get("/staff/supervision/?region=511602"))
    assert county["一件事办件占比"] == "33.3%" and county["12345 诉求受理"] == "3"

    client.logout()
    login_verified(client, joined["far_supervisor"])
    own = client.get("/staff/supervision/")
    assert _shown(own) == {
        "一件事办件占比": "100.0%",
        "数据共享调用": "2",
        "12345 诉求受理": "1",
        "12345 按时答复率": "—",
        "12345 满意率": "—",
        "12345 当前超期": "1",
        "网上缴费": "0",
        "缴费金额": "0.00 元",
        "退款金额": "0.00 元",
        "对账差异待处理": "0",
        "预约": "0",
        "爽约": "0",
        "平均等候": "—",
    }
    assert client.get("/staff/supervision/?region=511602").status_code == 403


def test_a_department_member_sees_their_departments_figures(client, joined):
    login_verified(client, joined["second_staff"])
    shown = _shown(client.get("/staff/supervision/"))
    assert shown["一件事办件占比"] == "0.0%" and shown["数据共享调用"] == "1"
    assert shown["12345 诉求受理"] == "0"


def test_the_figures_are_one_cached_read_per_app(joined, django_assert_max_num_queries):
    """A second view of the same scope reads each app's figure from the cache, not the tables."""
    _figures(joined["today"], region_code="5116")
    with django_assert_max_num_queries(6):  # one rollup total and five cache reads
        again = _figures(joined["today"], region_code="5116")
    assert again.data_reads == 6


def test_fees_and_bookings_join_the_dashboard_for_the_viewers_scope(client, joined):
    """Paid orders of the county's department this month, one refunded in part; another county's
    order is not the county supervisor's."""
    from tests.payments.test_figures import OrderFactory, refund

    now = timezone.now()
    paid = OrderFactory(item=joined["item"], amount=Decimal("25.50"), paid_at=now)
    OrderFactory(item=joined["item"], amount=Decimal("20.00"), paid_at=now)
    OrderFactory(item=joined["far_item"], amount=Decimal("500.00"), paid_at=now)
    refund(now, order=paid, amount=Decimal("5.50"))
    county = _figures(joined["today"], region_code="511602")
    assert (county.fees["paid_orders"], county.fees["paid_amount"]) == (2, Decimal("45.50"))
    assert county.fees["refunded_amount"] == Decimal("5.50")
    assert county.bookings == {"bookings": 0, "no_shows": 0, "average_wait_minutes": None}
    login_verified(client, joined["supervisor"])
    shown = _shown(client.get("/staff/supervision/?region=511602"))
    assert (shown["网上缴费"], shown["缴费金额"], shown["退款金额"]) == ("2", "45.50 元", "5.50 元")
    city = _shown(client.get("/staff/supervision/"))
    assert (city["网上缴费"], city["缴费金额"]) == ("3", "545.50 元")
