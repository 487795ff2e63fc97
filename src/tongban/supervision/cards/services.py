"""Every write on cards: raising and upgrading them (the platform), 督办 (supervisors), answers
(the department) and escalation (the platform, when an answer is overdue).

Each write is one transaction: the card rows, the messages to the people concerned, and last the
case's history line through ``cases.services.record_supervision`` (whose audit append is the
transaction's last write).
"""

import datetime as dt
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tongban.cases import clock
from tongban.cases import services as cases
from tongban.cases.access import Conflict
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity.models import StaffRole
from tongban.notifications import services as notifications
from tongban.regions.models import Region
from tongban.workdays import calendar

from . import access, rules
from .models import Answer, Card, Colour, Order

logger = logging.getLogger(__name__)

MAX_WORKDAYS = 30
SWEPT_SECONDS = 2 * 86400
MAX_TEXT = 2000
# The case events after which the cheap triggers are checked at once (the rest wait for the sweep).
CHECKED_EVENTS = frozenset({"submitted", "refused", "decided", "concluded", "correction_requested"})


def _answerers(card: Card) -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(
            memberships__department_id=card.department_id,
            memberships__role__in=access.ANSWER_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def _tell(users: list[Any], title: str, body: str, link: str, *, sms: bool = False) -> None:
    for user in users:
        notifications.notify_person(
            user=user, title=title, body=body, link=link, event="supervision_card", sms=sms
        )


def _label(card: Card) -> str:
    return f"{card.get_colour_display()}·{card.get_trigger_display()}"


def _card_link(card: Card) -> str:
    return reverse("supervision_cards:card", args=[card.pk])


# ---- raised by the platform -------------------------------------------------------------


def _apply(finding: rules.Finding) -> str:
    """One finding in its own transaction: "raised", "upgraded" or "" (nothing to do)."""
    with transaction.atomic():
        card = (
            Card.objects.select_for_update().filter(case_id=finding.case_id, trigger=finding.trigger).first()
        )
        if card is not None:
            if not (card.is_open and card.colour == Colour.YELLOW and finding.colour == Colour.RED):
                return ""
            card.colour, card.detail, card.upgraded_at = Colour.RED, finding.detail[:300], timezone.now()
            card.save(update_fields=["colour", "detail", "upgraded_at"])
            action, title = "card_upgraded", f"黄牌升级为红牌：{card.get_trigger_display()}"
        else:
            case = Case.objects.select_related("department").defer("data").get(pk=finding.case_id)
            try:
                with transaction.atomic():
                    card = Card.objects.create(
                        case=case,
                        department=case.department,
                        region_code=case.region_code,
                        trigger=finding.trigger,
                        colour=finding.colour,
                        detail=finding.detail[:300],
                    )
            except IntegrityError:  # another sweep raised it a moment ago
                return ""
            action, title = "card_raised", f"亮{card.get_colour_display()}：{card.get_trigger_display()}"
        case = card.case
        _tell(
            _answerers(card),
            f"办件 {case.number} 被亮{card.get_colour_display()}",
            f"{card.get_trigger_display()}：{card.detail}。请在“督办待办”中查看并答复。",
            _card_link(card),
        )
        cases.record_supervision(case=case, actor=None, action=action, title=title, opinion=card.detail)
        return "upgraded" if action == "card_upgraded" else "raised"


def apply_findings(found: list[rules.Finding]) -> int:
    done = 0
    for finding in found:
        try:
            done += bool(_apply(finding))
        except Exception:
            logger.exception("card %s for case %s failed", finding.trigger, finding.case_id)
    return done


def check_cases(case_ids: list[int] | None = None, on: dt.date | None = None) -> int:
    """Raise or upgrade the cards of these cases (every case when None); returns how many."""
    on = on or clock.today()
    scope = Case.objects.all() if case_ids is None else Case.objects.filter(pk__in=case_ids)
    return apply_findings(rules.findings(scope, on))


def escalate_overdue(on: dt.date | None = None) -> int:
    """督办 orders not answered by their deadline go to the supervisors of the parent region."""
    on = on or clock.today()
    due = Order.objects.filter(card__status=Card.Status.ORDERED, due__lt=on, escalated_at__isnull=True)
    count = 0
    for pk in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(of=("self",))
                .select_related("card", "card__case")
                .filter(pk=pk, card__status=Card.Status.ORDERED, escalated_at__isnull=True)
                .first()
            )
            if order is None:
                continue
            parent = Region.objects.filter(code=order.issuer_region_code).values_list(
                "parent__code", flat=True
            )
            parent_code = next(iter(parent), None) or ""
            order.escalated_at, order.escalated_to = timezone.now(), parent_code
            order.save(update_fields=["escalated_at", "escalated_to"])
            card = order.card
            superiors = (
                list(
                    get_user_model()
                    .objects.filter(
                        memberships__role=StaffRole.SUPERVISOR,
                        memberships__department__region__code=parent_code,
                        is_active=True,
                    )
                    .distinct()
                    .order_by("pk")
                )
                if parent_code
                else []
            )
            body = f"办件 {card.case.number} 的督办（{_label(card)}）答复期限 {order.due:%Y-%m-%d} 已过，承办部门未答复。"
            _tell(superiors, "督办逾期未答复，已升级", body, _card_link(card), sms=True)
            _tell(_answerers(card), "督办逾期未答复，已报上级监察", body, _card_link(card), sms=True)
            cases.record_supervision(
                case=card.case,
                actor=None,
                action="duban_escalated",
                title="督办逾期未答复，升级至上级监察" if parent_code else "督办逾期未答复（已无上级区划）",
                opinion=body,
            )
            count += 1
    return count


def sweep(on: dt.date | None = None) -> int:
    """``tongban tick``'s duty: every trigger over every case once a day (tick runs every minute
    under ``tongban serve``; the day is marked done in the shared cache after the sweep, so a
    failed sweep is tried again), and overdue 督办 every round (one indexed query)."""
    on = on or clock.today()
    key = f"supervision_cards:swept:{on.isoformat()}"
    raised = 0
    if not cache.get(key):
        raised = check_cases(on=on)
        cache.set(key, True, SWEPT_SECONDS)
    return raised + escalate_overdue(on)


def on_case_event(
    sender: object,
    case: Case,
    event: str,
    actor: User | None = None,
    batch: list[Case] | None = None,
    **kwargs: object,
) -> None:
    """``case_event`` receiver (after commit): the cheap triggers of this one case from a task;
    the daily sweep catches whatever a lost task missed. The cases of one step taken together
    (``batch``) are checked by one task, queued with the first of them."""
    if event not in CHECKED_EVENTS:
        return
    from .tasks import check_case, check_cases_together

    try:
        if not batch:
            check_case.enqueue(case.pk)
        elif case is batch[0]:
            check_cases_together.enqueue([c.pk for c in batch])
    except Exception:
        logger.exception("could not queue the card check of case %s; the daily sweep does it", case.number)


# ---- 督办 -------------------------------------------------------------------------------


def _lock(card: Card) -> Card:
    return (
        Card.objects.select_for_update(of=("self",))
        .select_related("case")
        .defer("case__data")
        .get(pk=card.pk)
    )


def _text(value: str, what: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{what}。", field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{what}不能超过 {MAX_TEXT} 字。", field=field)
    return value


def _workdays(value: Any) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("答复时限应为 1 至 30 之间的工作日数。", field="workdays") from None
    if not 1 <= days <= MAX_WORKDAYS:
        raise InvalidInput("答复时限应为 1 至 30 之间的工作日数。", field="workdays")
    return days


def _require_supervisor(user: User, card: Card) -> None:
    if not access.can_supervise(user, card):
        if access.can_answer(user, card):
            raise PermissionDenied("只有监察人员可以督办和审核答复。")
        raise NotFound()


def _require_answerer(user: User, card: Card) -> None:
    if not access.can_answer(user, card):
        if access.can_supervise(user, card):
            raise PermissionDenied("督办由承办部门的审核、决定人员答复。")
        raise NotFound()


def issue_order(*, actor: User, card: Card, instruction: str, workdays: Any) -> Order:
    """督办: the supervisor's instruction and the department's deadline in working days."""
    _require_supervisor(actor, card)
    instruction = _text(instruction, "督办要求", "instruction")
    days = _workdays(workdays)
    with transaction.atomic():
        locked = _lock(card)
        if locked.status != Card.Status.OPEN:
            raise Conflict("该黄牌红牌已督办或已办结。", code="already_ordered")
        region = max((c for c in access.supervised_codes(actor) if locked.region_code.startswith(c)), key=len)
        order = Order.objects.create(
            card=locked,
            issued_by=actor,
            issuer_region_code=region,
            instruction=instruction,
            workdays=days,
            due=calendar.add_workdays(clock.today(), days).date,
        )
        locked.status = Card.Status.ORDERED
        locked.save(update_fields=["status"])
        _tell(
            _answerers(locked),
            f"督办：办件 {locked.case.number}",
            f"{_label(locked)}。请在 {order.due:%Y-%m-%d} 前答复整改措施。",
            _card_link(locked),
            sms=True,
        )
        cases.record_supervision(
            case=locked.case,
            actor=actor,
            action="duban_issued",
            title=f"督办（{_label(locked)}），{order.due:%Y-%m-%d} 前答复",
            opinion=instruction,
        )
    return order


def answer_order(*, actor: User, card: Card, measures: str) -> Answer:
    """The department's answer: the measures it took."""
    _require_answerer(actor, card)
    measures = _text(measures, "整改措施", "measures")
    with transaction.atomic():
        locked = _lock(card)
        if locked.status != Card.Status.ORDERED:
            raise Conflict("该黄牌红牌当前无待答复的督办。", code="not_ordered")
        order = Order.objects.select_related("issued_by").get(card=locked)
        answer = Answer.objects.create(order=order, answered_by=actor, measures=measures)
        locked.status = Card.Status.ANSWERED
        locked.save(update_fields=["status"])
        _tell(
            [order.issued_by],
            f"督办已答复：办件 {locked.case.number}",
            f"{locked.department.name} 已答复督办（{_label(locked)}），请审核。",
            _card_link(locked),
        )
        cases.record_supervision(
            case=locked.case, actor=actor, action="duban_answered", title="答复督办", opinion=measures
        )
    return answer


def review_answer(*, actor: User, card: Card, accept: bool, opinion: str = "", workdays: Any = None) -> Card:
    """认可 (the card closes) or 退回 with an opinion and a new deadline."""
    _require_supervisor(actor, card)
    opinion = (opinion or "").strip()
    if not accept:
        opinion = _text(opinion, "退回意见", "opinion")
        days = _workdays(workdays)
    elif len(opinion) > MAX_TEXT:
        raise InvalidInput(f"审核意见不能超过 {MAX_TEXT} 字。", field="opinion")
    with transaction.atomic():
        locked = _lock(card)
        if locked.status != Card.Status.ANSWERED:
            raise Conflict("该黄牌红牌当前无待审核的答复。", code="not_answered")
        order = Order.objects.get(card=locked)
        answer = order.answers.filter(verdict="").order_by("-answered_at", "-id").first()
        if answer is None:
            raise Conflict("该黄牌红牌当前无待审核的答复。", code="not_answered")
        answer.reviewed_by, answer.reviewed_at, answer.review_opinion = actor, timezone.now(), opinion
        if accept:
            answer.verdict = Answer.Verdict.ACCEPTED
            locked.status, locked.closed_at, locked.closed_by = Card.Status.CLOSED, timezone.now(), actor
            action, title = "duban_accepted", f"督办答复认可，{locked.get_colour_display()}办结"
        else:
            answer.verdict = Answer.Verdict.RETURNED
            order.due = calendar.add_workdays(clock.today(), days).date
            order.workdays = days
            order.save(update_fields=["due", "workdays"])
            locked.status = Card.Status.ORDERED
            action, title = "duban_returned", f"督办答复退回，{order.due:%Y-%m-%d} 前重新答复"
            _tell(
                _answerers(locked),
                f"督办答复被退回：办件 {locked.case.number}",
                f"请在 {order.due:%Y-%m-%d} 前重新答复。退回意见：{opinion}",
                _card_link(locked),
                sms=True,
            )
        answer.save(update_fields=["reviewed_by", "reviewed_at", "review_opinion", "verdict"])
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        cases.record_supervision(case=locked.case, actor=actor, action=action, title=title, opinion=opinion)
    return locked
