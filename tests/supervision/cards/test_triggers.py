"""Every trigger fires on its fixture and not on its near-miss; one card per case and trigger;
a yellow card turns red; a sweep twice raises nothing new."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tests.factories import ProcessStepFactory, PublishedItemFactory
from tests.supervision.cards.conftest import accepted, submit
from tongban.cases import clock
from tongban.cases import services as cases
from tongban.cases.models import Case, CaseEvent
from tongban.catalog.models import OnlineDepth
from tongban.notifications.models import Notification
from tongban.payments.models import PaymentOrder
from tongban.supervision.cards import rules, services
from tongban.supervision.cards.models import Card, Colour, Trigger
from tongban.workdays import calendar


def _cards(case, trigger):
    return list(Card.objects.filter(case=case, trigger=trigger))


def test_overdue_is_yellow_after_the_promised_due_and_red_after_the_legal_due(cw):
    case = accepted(cw)
    case.refresh_from_db()
    assert case.promised_due < case.legal_due
    services.check_cases([case.pk], on=case.promised_due)  # due today is not overdue
    assert _cards(case, Trigger.OVERDUE) == []

    services.check_cases([case.pk], on=case.promised_due + dt.timedelta(days=1))
    [card] = _cards(case, Trigger.OVERDUE)
    assert (card.colour, card.status, card.department) == (Colour.YELLOW, Card.Status.OPEN, cw["department"])
    services.check_cases([case.pk], on=case.legal_due)  # the supervision deadline itself: still yellow
    card.refresh_from_db()
    assert card.colour == Colour.YELLOW and card.upgraded_at is None

    services.check_cases([case.pk], on=case.legal_due + dt.timedelta(days=1))
    services.check_cases([case.pk], on=case.legal_due + dt.timedelta(days=2))
    [card] = _cards(case, Trigger.OVERDUE)
    assert card.colour == Colour.RED and card.upgraded_at is not None
    actions = list(
        CaseEvent.objects.filter(case=case, action__in=cases.SUPERVISION_ACTIONS).values_list(
            "action", flat=True
        )
    )
    assert actions == ["card_raised", "card_upgraded"]
    assert not CaseEvent.objects.filter(case=case, action__startswith="card_", public=True).exists()
    # the department's 审核/决定 staff hear of it, the intake clerk does not
    told = set(Notification.objects.filter(event="supervision_card").values_list("user_id", flat=True))
    assert told == {cw["reviewer"].pk, cw["decider"].pk}


def test_the_red_rule_is_configurable_in_working_days(cw, settings):
    settings.TONGBAN_CARD_RED_AFTER = "2"
    case = accepted(cw)
    case.refresh_from_db()
    red = calendar.add_workdays(case.due_date, 2).date
    assert rules.red_deadline(case) == red < case.legal_due
    services.check_cases([case.pk], on=red + dt.timedelta(days=1))
    assert _cards(case, Trigger.OVERDUE)[0].colour == Colour.RED


def test_a_paused_or_concluded_case_raises_no_overdue_card(cw):
    paused = submit(cw)
    cases.request_correction(actor=cw["intake"], case=paused, notice="请补正地址。", fields=["address"])
    far = clock.today() + dt.timedelta(days=200)
    services.check_cases([paused.pk], on=far)
    assert _cards(paused, Trigger.OVERDUE) == []
    refused = cases.refuse_case(actor=cw["intake"], case=submit(cw), reason="不属于本机关职权范围。")
    services.check_cases([refused.pk], on=far)
    assert not Card.objects.filter(case=refused).exists()  # a refusal with its reason raises nothing


def test_two_sweeps_raise_one_card_per_case_and_trigger(cw):
    case = accepted(cw)
    case.refresh_from_db()
    on = case.legal_due + dt.timedelta(days=3)
    assert services.check_cases(on=on) >= 1
    assert services.check_cases(on=on) == 0
    assert Card.objects.filter(case=case, trigger=Trigger.OVERDUE).count() == 1
    assert (
        CaseEvent.objects.filter(case=case, action="card_raised").count()
        == Card.objects.filter(case=case).count()
    )


def test_a_step_overrunning_the_catalogues_limit(cw):
    ProcessStepFactory(item=cw["item"], name="受理", time_limit="1个工作日")
    case = submit(cw)
    started = timezone.localtime(case.submitted_at).date()
    limit = calendar.add_workdays(started, 1).date
    services.check_cases([case.pk], on=limit)
    assert _cards(case, Trigger.STEP_OVERRUN) == []
    services.check_cases([case.pk], on=limit + dt.timedelta(days=1))
    [card] = _cards(case, Trigger.STEP_OVERRUN)
    assert card.colour == Colour.YELLOW and "1个工作日" in card.detail
    # a claim is not a step: the step still started on submission
    assert rules.step_limit("当日") == (0, "G") and rules.step_limit("3日") == (3, "Z")
    assert rules.step_limit("") is None and rules.step_limit("视情况而定") is None


def test_a_step_without_a_limit_raises_nothing(cw):
    ProcessStepFactory(item=cw["item"], name="受理", time_limit="")
    case = submit(cw)
    services.check_cases([case.pk], on=clock.today() + dt.timedelta(days=3))
    assert _cards(case, Trigger.STEP_OVERRUN) == []


def test_refusal_and_denial_without_reasons_are_red(cw):
    refused = cases.refuse_case(actor=cw["intake"], case=submit(cw), reason="不属于本机关职权范围。")
    with_reason = cases.refuse_case(actor=cw["intake"], case=submit(cw), reason="不属于本机关职权范围。")
    # a department system's record that lost its reason
    Case.objects.filter(pk=refused.pk).update(decision_reason="  ")
    denied = accepted(cw)
    cases.review_case(actor=cw["reviewer"], case=denied, opinion="不符合。")
    cases.decide_case(actor=cw["decider"], case=denied, grant=False, reason="不符合条件。")
    Case.objects.filter(pk=denied.pk).update(decision_reason="")
    services.check_cases([refused.pk, with_reason.pk, denied.pk])
    assert _cards(refused, Trigger.REFUSAL_NO_REASON)[0].colour == Colour.RED
    assert "不予批准" in _cards(denied, Trigger.REFUSAL_NO_REASON)[0].detail
    assert not Card.objects.filter(case=with_reason).exists()


def test_two_correction_requests_raise_a_card_and_one_does_not(cw):
    case = submit(cw)
    cases.request_correction(actor=cw["intake"], case=case, notice="请补正地址。", fields=["address"])
    services.check_cases([case.pk])
    assert _cards(case, Trigger.REPEATED_CORRECTION) == []
    cases.answer_correction(
        user=cw["applicant"], case=case, data={"address": {"region": "511602", "detail": "建设路 2 号"}}
    )
    cases.request_correction(actor=cw["intake"], case=case, notice="请再补正地址。", fields=["address"])
    services.check_cases([case.pk])
    [card] = _cards(case, Trigger.REPEATED_CORRECTION)
    assert "2 次" in card.detail


def _order(case, *, status=PaymentOrder.Status.CREATED, n=1):
    return PaymentOrder.objects.create(
        number=f"JK{case.pk}{n:04d}",
        payment_code=f"{case.pk:010d}{n:04d}",
        case=case,
        item=case.item,
        department=case.department,
        payer_name="张三",
        subject="工本费",
        amount=Decimal("20.00"),
        status=status,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def test_a_fee_on_a_free_item_is_red_and_on_a_charged_item_is_not(cw):
    free = submit(cw)
    _order(free)
    charged_item = PublishedItemFactory(
        department=cw["department"], is_charged=True, fee_basis="《收费标准》"
    )
    charged = submit(cw, item=charged_item)
    _order(charged)
    cancelled = submit(cw)
    _order(cancelled, status=PaymentOrder.Status.CANCELLED)
    services.check_cases([free.pk, charged.pk, cancelled.pk])
    assert _cards(free, Trigger.FEE_ON_FREE_ITEM)[0].colour == Colour.RED
    assert not Card.objects.filter(case__in=[charged, cancelled], trigger=Trigger.FEE_ON_FREE_ITEM).exists()


def test_a_fully_online_item_handled_at_the_window(cw):
    online_item = PublishedItemFactory(
        department=cw["department"], online_depth=OnlineDepth.IV, visits_required=0, channels=["2"]
    )
    at_window = submit(cw, item=online_item)
    online = submit(cw, item=online_item)
    window_other = submit(cw)  # 网办深度 Ⅲ at the window is allowed
    Case.objects.filter(pk__in=[at_window.pk, window_other.pk]).update(channel="1")
    services.check_cases([at_window.pk, online.pk, window_other.pk])
    assert _cards(at_window, Trigger.ONLINE_AT_WINDOW)[0].colour == Colour.YELLOW
    assert not Card.objects.filter(case__in=[online, window_other], trigger=Trigger.ONLINE_AT_WINDOW).exists()


def test_a_case_event_queues_the_check_and_the_task_raises_the_card(
    cw, django_capture_on_commit_callbacks, monkeypatch
):
    from tongban.supervision.cards import tasks

    queued = []
    real = tasks.check_case
    monkeypatch.setattr(tasks, "check_case", type("Fake", (), {"enqueue": staticmethod(queued.append)}))
    case = submit(cw)
    with django_capture_on_commit_callbacks(execute=True):
        cases.request_correction(actor=cw["intake"], case=case, notice="请补正。", fields=["address"])
    assert queued == [case.pk]
    cases.answer_correction(
        user=cw["applicant"], case=case, data={"address": {"region": "511602", "detail": "建设路 2 号"}}
    )
    cases.request_correction(actor=cw["intake"], case=case, notice="请再补正。", fields=["address"])
    assert real.call(case.pk) == 1
    assert real.call(case.pk) == 0
    assert Card.objects.filter(case=case, trigger=Trigger.REPEATED_CORRECTION).count() == 1


def test_the_tick_duty_sweeps_every_case_once_a_day(cw, monkeypatch):
    from django.core.cache import cache

    from tongban.core import periodic

    case = accepted(cw)
    case.refresh_from_db()
    day = case.legal_due + dt.timedelta(days=1)
    cache.delete(f"supervision_cards:swept:{day.isoformat()}")
    calls = []
    real = services.check_cases
    monkeypatch.setattr(services, "check_cases", lambda **kw: calls.append(kw) or real(**kw))
    assert services.sweep(on=day) == 1
    assert services.sweep(on=day) == 0
    assert calls == [{"on": day}]
    assert periodic._DUTIES["supervision_cards.sweep"] is not None
