"""The rollups: each indicator's definition on a small fixture, idempotence, the audit cursor,
the overdue sweep and the recount."""

import datetime as dt

import pytest
from django.utils import timezone

from tongban.cases import services
from tongban.cases.models import Case
from tongban.ratings import services as ratings
from tongban.supervision import rollups, selectors
from tongban.supervision.models import CaseFact, Cursor, IndicatorCell

from .conftest import grant, submit

pytestmark = pytest.mark.django_db


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def test_definitions_on_a_small_fixture(world):
    staff, applicant = world["staff"], world["applicant"]
    done = grant(submit(world["item"], applicant), staff)  # online, concluded on time
    refused = services.refuse_case(
        actor=staff, case=submit(world["item"], applicant), reason="不属于本机关职权范围。"
    )
    corrected = submit(world["item"], applicant, channel="1")  # at the window
    services.request_correction(actor=staff, case=corrected, notice="请补充营业执照。", fields=["request"])
    services.answer_correction(user=applicant, case=corrected, data={"request": "申请开办餐饮店（已补正）"})
    services.accept_case(actor=staff, case=corrected)
    full = grant(submit(world["online_item"], applicant), world["second_staff"])  # 全程网办
    ratings.rate_case(user=applicant, case=done, level=5)
    ratings.rate_case(user=applicant, case=full, level=1, comment="等太久")
    rollups.drain()

    row = selectors.totals(region_code="511602")
    assert row.received == 4
    assert row.online == 3 and row.online_rate == 0.75
    assert row.full_online == 1 and row.full_online_rate == 0.25
    # 跑动: 1 (online, item needs one visit) ×2 + 1 (window) + 0 (全程网办)
    assert row.visits == 3
    assert row.corrections == 1 and row.corrections_per_case == 0.25
    assert (row.accepted, row.refused) == (3, 1)
    assert row.refusal_rate == 0.25
    assert row.concluded == 2
    assert row.on_time_legal == row.with_legal == 2 and row.on_time_legal_rate == 1.0
    assert row.on_time_promised_rate == 1.0
    assert row.one_time == 2 and row.one_time_rate == 1.0
    assert row.average_days == 0.0 and row.p90_days == 0
    assert row.overdue == 0
    assert (row.rated, row.rating_good, row.rating_bad) == (2, 1, 1)
    assert row.satisfaction_rate == 0.5 and row.average_rating == 3.0
    assert row.rectification_rate == 0.0
    assert refused.status == Case.Status.REFUSED

    by_department = {
        r.department_id: r for r in selectors.indicator_rows(region_code="5116", group_by=("department",))
    }
    assert by_department[world["department"].pk].received == 3
    assert by_department[world["second"].pk].received == 1
    assert world["far"].pk not in by_department
    assert rollups.recount() == []


def test_dates_months_and_percentile(world):
    """Outcome figures count in the month of conclusion; working days go into the histogram."""
    staff, applicant = world["staff"], world["applicant"]
    cases = [grant(submit(world["item"], applicant), staff) for _ in range(10)]
    concluded = timezone.now()
    # Submitted 1 … 10 working days before the conclusion (backdated: no event, so refresh).
    from tongban.workdays import calendar

    for n, case in enumerate(cases, start=1):
        start = calendar.subtract_workdays(timezone.localdate(concluded), n)
        submitted = timezone.make_aware(dt.datetime.combine(start, dt.time(10)))
        Case.objects.filter(pk=case.pk).update(
            submitted_at=submitted, promised_due=start + dt.timedelta(days=7)
        )
    rollups.drain()
    rollups.refresh_cases([c.pk for c in cases])
    row = selectors.totals(department_id=world["department"].pk)
    assert row.concluded == 10
    assert row.work_days == sum(range(1, 11)) and row.average_days == 5.5
    assert row.p90_days == 9
    late = [c for c in cases if timezone.localdate(concluded) > Case.objects.get(pk=c.pk).promised_due]
    assert row.on_time_promised == 10 - len(late)
    assert len(selectors.cases_behind("late_promised", department_id=world["department"].pk)) == len(late)
    assert rollups.recount() == []


def test_counting_again_counts_nothing_twice(world):
    case = grant(submit(world["item"], world["applicant"]), world["staff"])
    rollups.drain()
    before = list(IndicatorCell.objects.values())
    rollups.refresh_cases([case.pk])
    rollups.refresh_cases([case.pk])
    Cursor.objects.filter(name=rollups.CURSOR).update(position=0)  # the chain read again
    rollups.drain()
    assert list(IndicatorCell.objects.values()) == before
    assert selectors.totals().received == 1


def test_cursor_follows_the_audit_chain(world):
    submit(world["item"], world["applicant"])
    assert rollups.drain() > 0
    assert selectors.totals().received == 1
    assert rollups.drain() == 0
    submit(world["item"], world["applicant"])
    rollups.drain()
    assert selectors.totals().received == 2


def test_overdue_is_swept_daily_and_cleared_by_the_next_step(world):
    case = submit(world["item"], world["applicant"])
    rollups.drain()
    assert selectors.totals().overdue == 0
    Case.objects.filter(pk=case.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    assert rollups.recount() != []  # the recount sees what the cells do not yet
    rollups.catch_up()
    assert selectors.totals().overdue == 1
    assert list(selectors.cases_behind("overdue", region_code="5116")) == [Case.objects.get(pk=case.pk)]
    services.accept_case(actor=world["staff"], case=case)
    rollups.drain()
    assert selectors.totals().overdue == 0
    assert rollups.recount() == []


def test_rectification_and_upheld_appeal(world):
    staff, applicant = world["staff"], world["applicant"]
    first = ratings.rate_case(
        user=applicant, case=grant(submit(world["item"], applicant), staff), level=1, comment="差"
    )
    second = ratings.rate_case(
        user=applicant, case=grant(submit(world["item"], applicant), staff), level=2, comment="慢"
    )
    rect = first.rectification
    ratings.record_callback(actor=staff, rectification=rect, note="已电话回访")
    ratings.complete_rectification(actor=staff, rectification=rect, outcome="已改进流程")
    appeal = ratings.file_appeal(
        actor=staff, rating=second, reason="该评价与办件无关，属于恶意差评，请核实。"
    )
    ratings.decide_appeal(actor=world["supervisor"], appeal=appeal, upheld=True, note="属实")
    rollups.drain()
    row = selectors.totals()
    assert (row.rated, row.rating_bad, row.rating_rectified) == (1, 1, 1)
    assert row.rectification_rate == 1.0
    assert rollups.recount() == []


def test_recount_fix_replaces_wrong_cells(world):
    grant(submit(world["item"], world["applicant"]), world["staff"])
    rollups.drain()
    IndicatorCell.objects.update(received=7)
    differences = rollups.recount()
    assert [(d.measure, d.kept, d.recounted) for d in differences] == [("received", 7, 1)]
    rollups.recount(fix=True)
    assert rollups.recount() == []
    assert CaseFact.objects.count() == 1


def test_trend_has_every_month(world):
    submit(world["item"], world["applicant"])
    rollups.drain()
    trend = selectors.region_indicators("5116", months=12, today=timezone.localdate())
    assert len(trend) == 12
    assert trend[-1].period == this_month() and trend[-1].received == 1
    assert all(row.received == 0 for row in trend[:-1])
    quarters = selectors.region_indicators("5116", period="quarter", months=12, today=timezone.localdate())
    assert sum(row.received for row in quarters) == 1
    assert len(quarters) in (4, 5)


def test_automatic_grant_counts_as_miaopi(world):
    """秒批: a case the system took through to its grant; a person's grant is not."""
    from tongban.cases.services.automatic import take_automatic_step

    case = submit(world["item"], world["applicant"])
    for _ in range(6):
        if not case.is_open:
            break
        case = take_automatic_step(case=case, reason="决策表 v1 规则 1：符合条件。")
    assert case.status == Case.Status.CONCLUDED
    grant(submit(world["item"], world["applicant"]), world["staff"])
    rollups.drain()
    row = selectors.totals()
    assert (row.concluded, row.automatic, row.automatic_rate) == (2, 1, 0.5)
    assert list(selectors.cases_behind("automatic")) == [Case.objects.get(pk=case.pk)]
    assert rollups.recount() == []
