import datetime as dt

import pytest
from django.utils import timezone

from tests.cases.conftest import staff
from tests.cases.test_flow import submitted_case
from tongban.cases import clock, services
from tongban.cases.models import Case
from tongban.cases.selectors import staff_queue, timeline
from tongban.workdays import calendar


def test_queue_shows_tasks_for_the_users_roles_and_department_only(world):
    w = world
    first, second = submitted_case(w), submitted_case(w)
    services.accept_case(actor=w["intake"], case=second)
    assert [r.case for r in staff_queue(w["intake"]).rows] == [first]
    assert [r.case for r in staff_queue(w["reviewer"]).rows] == [second]
    assert staff_queue(w["outsider"]).total == 0
    assert staff_queue(w["applicant"]).total == 0
    both = staff(w["department"], "intake", "review")
    assert {r.case for r in staff_queue(both).rows} == {first, second}
    assert staff_queue(both, status="in_review").rows[0].case == second
    assert staff_queue(both, applicant="张").total == 2
    assert staff_queue(both, applicant=first.number).rows[0].case == first
    services.claim_case(actor=both, case=first)
    assert [r.case for r in staff_queue(both, mine=True).rows] == [first]


def test_deadline_colours_and_filters(world):
    w = world
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    due = case.due_date
    assert due == case.promised_due
    assert case.warn_date == calendar.subtract_workdays(due, 2)  # 20 % of 10 days is 2
    today = clock.today()
    assert clock.deadline_colour(case, today) == "green"
    assert clock.deadline_colour(case, case.warn_date) == "yellow"
    assert clock.deadline_colour(case, due) == "yellow"
    assert clock.deadline_colour(case, due + dt.timedelta(days=1)) == "red"
    assert staff_queue(w["reviewer"], deadline="green").total == 1
    assert staff_queue(w["reviewer"], deadline="yellow", on=case.warn_date).total == 1
    assert staff_queue(w["reviewer"], deadline="red", on=due + dt.timedelta(days=1)).total == 1
    assert staff_queue(w["reviewer"], deadline="red").total == 0
    assert staff_queue(w["reviewer"], on=due + dt.timedelta(days=1)).rows[0].colour == "red"


def test_long_limits_warn_at_20_percent(world):
    w = world
    item = w["item"]
    item.legal_limit, item.promised_limit = 20, 20
    item.save()
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    assert calendar.workdays_between(case.warn_date, case.due_date) == 4


def test_correction_stops_the_clock_and_moves_the_deadline(world):
    w = world
    case = submitted_case(w)
    intake_due = Case.objects.get(pk=case.pk).intake_due
    services.request_correction(actor=w["intake"], case=case, notice="请补充地址。", fields=["address"])
    case.refresh_from_db()
    assert case.due_date is None and clock.deadline_colour(case) == "paused"
    assert staff_queue(w["intake"], deadline="paused").total == 0  # waiting for the applicant
    # The applicant takes 7 calendar days to answer.
    paused = timezone.now() - dt.timedelta(days=7)
    Case.objects.filter(pk=case.pk).update(paused_since=paused)
    case.refresh_from_db()
    services.answer_correction(
        user=w["applicant"], case=case, data={"address": {"region": "511602", "detail": "建设路 9 号"}}
    )
    case.refresh_from_db()
    stopped = calendar.workdays_between(timezone.localtime(paused).date(), clock.today())
    assert stopped >= 4
    assert case.intake_due == calendar.add_workdays(intake_due, stopped).date
    assert case.due_date == case.intake_due and case.paused_since is None


def test_special_procedure_does_not_count(world):
    w = world
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    promised, legal = case.promised_due, case.legal_due
    services.start_special_procedure(actor=w["reviewer"], case=case, kind="专家评审", notice="组织专家评审。")
    Case.objects.filter(pk=case.pk).update(paused_since=timezone.now() - dt.timedelta(days=14))
    case.refresh_from_db()
    services.end_special_procedure(actor=w["reviewer"], case=case, outcome="评审通过。")
    case.refresh_from_db()
    stopped = calendar.workdays_between(clock.today() - dt.timedelta(days=14), clock.today())
    assert case.promised_due == calendar.add_workdays(promised, stopped).date
    assert case.legal_due == calendar.add_workdays(legal, stopped).date


def test_timeline_hides_internal_lines_from_the_applicant(world):
    w = world
    case = submitted_case(w)
    services.claim_case(actor=w["intake"], case=case)
    services.accept_case(actor=w["intake"], case=case)
    assert [e.action for e in timeline(case, staff_view=True)] == ["submit", "claim", "accept"]
    assert [e.action for e in timeline(case, staff_view=False)] == ["submit", "accept"]


@pytest.mark.parametrize("page", [0, -1, 999, "x"])
def test_bad_page_numbers_fall_back(world, page):
    submitted_case(world)
    result = staff_queue(world["intake"], page=page)
    assert result.page in (1, result.pages)
