"""Property: after any sequence of case events (submit, accept, refuse, correct, review, decide,
conclude, withdraw, rate, rectify, appeal, time passing) the rollups kept from the audit chain
equal a recount from the raw rows (the item cells and the summary cells without the item), and a
few figures equal plain counts of the cases."""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cases.conftest import citizen
from tongban.cases import services
from tongban.cases.models import Case
from tongban.core.errors import ServiceError
from tongban.ratings import services as ratings
from tongban.ratings.models import Rating, Rectification
from tongban.supervision import rollups, selectors
from tongban.supervision.models import Cursor

from .conftest import submit

pytestmark = pytest.mark.django_db

OPS = (
    "submit_online",
    "submit_window",
    "accept",
    "refuse",
    "correct",
    "answer",
    "review",
    "grant",
    "deny",
    "conclude",
    "withdraw",
    "rate_good",
    "rate_bad",
    "rectify",
    "appeal",
    "overdue",
    "drain",
    "replay",
)


def _do(op: str, pick: int, world, cases: list[Case]) -> None:
    staff, applicant = world["staff"], world["applicant"]
    items = (world["item"], world["online_item"])
    if op.startswith("submit"):
        if len(cases) < 5:
            item = items[pick % 2]
            cases.append(submit(item, applicant, channel="2" if op == "submit_online" else "1"))
        return
    if op == "drain":
        rollups.drain(limit=1 + pick % 7)  # small pages: the cursor moves in steps
        return
    if op == "replay":  # the chain read again from an earlier point (a worker that died)
        cursor = Cursor.objects.filter(name=rollups.CURSOR).first()
        if cursor is not None:
            Cursor.objects.filter(pk=cursor.pk).update(position=max(0, cursor.position - 1 - pick % 20))
        return
    if not cases:
        return
    case = Case.objects.get(pk=cases[pick % len(cases)].pk)
    actor = staff if case.department_id == world["department"].pk else world["second_staff"]
    if op == "accept":
        services.accept_case(actor=actor, case=case)
    elif op == "refuse":
        services.refuse_case(actor=actor, case=case, reason="不符合受理条件。")
    elif op == "correct":
        services.request_correction(actor=actor, case=case, notice="请补充材料。", fields=["request"])
    elif op == "answer":
        services.answer_correction(user=applicant, case=case, data={"request": "已补正"})
    elif op == "review":
        services.review_case(actor=actor, case=case, opinion="材料齐全。")
    elif op in ("grant", "deny"):
        services.decide_case(actor=actor, case=case, grant=op == "grant", reason="依法决定。")
    elif op == "conclude":
        services.conclude_case(actor=actor, case=case, result="issued")
    elif op == "withdraw":
        services.withdraw_case(user=applicant, case=case, reason="不再需要。")
    elif op in ("rate_good", "rate_bad"):
        level = 5 - pick % 3 if op == "rate_good" else 1 + pick % 2
        ratings.rate_case(user=applicant, case=case, level=level, comment="评价")
    elif op == "rectify":
        rect = Rectification.objects.filter(rating__case=case).first()
        if rect is None:
            return
        if rect.status == Rectification.Status.OPEN:
            ratings.record_callback(actor=actor, rectification=rect, note="已回访。")
        else:
            ratings.complete_rectification(actor=actor, rectification=rect, outcome="已整改。")
    elif op == "appeal":
        rating = Rating.objects.filter(case=case).first()
        if rating is None:
            return
        appeal = ratings.file_appeal(actor=actor, rating=rating, reason="评价内容与本办件无关，申请核实。")
        ratings.decide_appeal(actor=world["supervisor"], appeal=appeal, upheld=pick % 2 == 0, note="已核实。")
    elif op == "overdue":  # time passes: no event says so
        Case.objects.filter(pk=case.pk, status__in=Case.OPEN_STATUSES).update(
            due_date=timezone.localdate() - dt.timedelta(days=1 + pick % 3)
        )


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.sampled_from(OPS), st.integers(min_value=0, max_value=60)), min_size=1, max_size=14)
)
def test_rollups_equal_a_recount_after_any_sequence_of_events(world, steps):
    with transaction.atomic():  # each example starts from the same world
        _check_sequence(world, steps)
        transaction.set_rollback(True)


def _check_sequence(world, steps) -> None:
    cases: list[Case] = []
    for op, pick in steps:
        try:
            _do(op, pick, world, cases)
        except ServiceError:
            pass  # a step the case's state does not allow changes nothing
    rollups.catch_up()
    assert rollups.recount() == []  # the item cells and the summary cells
    assert rollups.kept_summaries() == rollups.summarised(rollups.kept()).nonzero()
    row = selectors.totals()
    concluded = Q(status__in=rollups.CONCLUDED, concluded_at__isnull=False)
    assert row.received == Case.objects.count()
    assert row.concluded == Case.objects.filter(concluded).count()
    assert row.refused == Case.objects.filter(status=Case.Status.REFUSED).count()
    assert row.online == Case.objects.filter(channel="2").count()
    assert row.rated == Rating.objects.filter(excluded=False).count()
    today = timezone.localdate()
    assert (
        row.overdue
        == Case.objects.filter(
            status__in=Case.OPEN_STATUSES, paused_since__isnull=True, due_date__lt=today
        ).count()
    )


def test_a_second_applicant_is_counted_too(world):
    """Different people and items: the cells are per region, department, item and month."""
    submit(world["item"], citizen("李四"))
    submit(world["online_item"], citizen("王五"))
    rollups.drain()
    rows = selectors.indicator_rows(group_by=("item",))
    assert {r.item_id: r.received for r in rows} == {world["item"].pk: 1, world["online_item"].pk: 1}
    assert rollups.recount() == []
