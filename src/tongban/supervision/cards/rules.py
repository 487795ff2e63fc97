"""The triggers: what the platform itself can see going wrong with a case.

Each detector takes a queryset of cases (all of them for the daily sweep, one case after an
event) and yields ``Finding`` rows; ``services`` turns them into cards. Every detector is a
few grouped or filtered queries, never a loop that loads every case.

- 超期 (``overdue``): an open case whose clock runs and whose current deadline (``due_date``:
  the 承诺期限 once accepted, the intake deadline before) has passed is yellow; red once the
  supervision deadline has passed too (``red_deadline``: the 法定期限 by default, or the
  current deadline plus N working days with ``TONGBAN_CARD_RED_AFTER=N``). A paused clock
  (补正, 特别程序) raises nothing: those days do not count.
- 环节超时 (``step_overrun``): the BPMN processes carry no limits of their own; the limits are
  the catalogue's 办理流程 (``catalog.ProcessStep.time_limit``: "3个工作日", "当日", "即时"),
  matched to the case's current step by title or by the usual step ids (intake → 受理,
  review → 审查, decide → 决定, issue → 办结). The step started with the case's last history
  line that moved it (claims, reveals and supervision lines do not count).
- 不予受理/不予批准 without reasons: status refused or denied with an empty ``decision_reason``.
- 多次补正: two or more correction requests on one case (the law asks for one notice).
- 不收费事项收费: a payment order (not cancelled) on a case whose item is marked 不收费.
- 全程网办事项仅窗口办理: a case submitted at the window for an item of 网办深度 Ⅳ.
"""

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from tongban.cases.models import Case, CaseEvent, CorrectionRequest
from tongban.cases.services import SUPERVISION_ACTIONS
from tongban.catalog.models import Channel, OnlineDepth, ProcessStep
from tongban.payments.models import PaymentOrder
from tongban.workdays import calendar

from .models import Colour, Trigger

RED_FALLBACK_WORKDAYS = 5
STAFF_ROLES = ("intake", "review", "decide", "issue")
STEP_NAMES = {"intake": "受理", "handle": "受理", "review": "审查", "decide": "决定", "issue": "办结"}
NOT_A_STEP = frozenset({"claim", "release", "reveal"}) | SUPERVISION_ACTIONS
_LIMIT = re.compile(r"(\d+)\s*个?\s*(工作日|自然日|日|天)")
_SAME_DAY = ("即时", "当日", "当场", "即办")


@dataclass(frozen=True)
class Finding:
    case_id: int
    trigger: str
    colour: str
    detail: str


def red_after() -> int | None:
    """Working days after the current deadline at which a card turns red; None: the 法定期限."""
    value = getattr(settings, "TONGBAN_CARD_RED_AFTER", None) or os.environ.get("TONGBAN_CARD_RED_AFTER", "")
    value = str(value).strip()
    return int(value) if value.isdigit() else None


def red_deadline(case: Case) -> dt.date | None:
    if case.due_date is None:
        return None
    extra = red_after()
    if extra is None and case.accepted_at is not None and case.legal_due is not None:
        return max(case.legal_due, case.due_date)
    return calendar.add_workdays(case.due_date, RED_FALLBACK_WORKDAYS if extra is None else extra).date


def overdue(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    rows = cases.filter(status__in=Case.OPEN_STATUSES, paused_since__isnull=True, due_date__lt=on).only(
        "pk", "due_date", "legal_due", "accepted_at"
    )
    for case in rows.order_by("pk"):
        red = red_deadline(case)
        what = "承诺期限" if case.accepted_at else "受理期限"
        if red is not None and on > red:
            yield Finding(
                case.pk,
                Trigger.OVERDUE,
                Colour.RED,
                f"{what} {case.due_date:%Y-%m-%d} 已过，督办期限 {red:%Y-%m-%d} 后仍未办结",
            )
        else:
            yield Finding(
                case.pk, Trigger.OVERDUE, Colour.YELLOW, f"{what} {case.due_date:%Y-%m-%d} 已过，尚未办结"
            )


def step_limit(text: str) -> tuple[int, str] | None:
    """A catalogue step's limit as (amount, unit G/Z), or None when it states none."""
    text = (text or "").strip()
    if not text:
        return None
    if any(word in text for word in _SAME_DAY):
        return 0, "G"
    match = _LIMIT.search(text)
    if match is None:
        return None
    return int(match.group(1)), "G" if match.group(2) == "工作日" else "Z"


def step_overrun(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    last_move = (
        CaseEvent.objects.filter(case=OuterRef("pk"))
        .exclude(action__in=NOT_A_STEP)
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    rows = list(
        cases.filter(status__in=Case.OPEN_STATUSES, paused_since__isnull=True, current_role__in=STAFF_ROLES)
        .annotate(step_since=Subquery(last_move))
        .values("pk", "item_id", "current_step", "current_step_title", "step_since")
    )
    if not rows:
        return
    limits: dict[int, dict[str, str]] = {}
    for item_id, name, limit in ProcessStep.objects.filter(
        item_id__in={r["item_id"] for r in rows}
    ).values_list("item_id", "name", "time_limit"):
        limits.setdefault(item_id, {}).setdefault(name, limit)
    for row in rows:
        steps = limits.get(row["item_id"], {})
        title = row["current_step_title"]
        text = steps.get(title) or steps.get(STEP_NAMES.get(row["current_step"].split("_")[0], ""))
        parsed = step_limit(text or "")
        if parsed is None or row["step_since"] is None:
            continue
        started = timezone.localtime(row["step_since"]).date()
        due = calendar.add_period(started, parsed[0], parsed[1]).date
        if on > due:
            yield Finding(
                row["pk"],
                Trigger.STEP_OVERRUN,
                Colour.YELLOW,
                f"环节“{title}”时限为“{text}”，{started:%Y-%m-%d} 开始，{due:%Y-%m-%d} 前应完成",
            )


def refusal_without_reason(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    rows = cases.filter(
        status__in=(Case.Status.REFUSED, Case.Status.DENIED), decision_reason__regex=r"^\s*$"
    ).values_list("pk", "status")
    for pk, status in rows.order_by("pk"):
        label = Case.Status(status).label
        yield Finding(pk, Trigger.REFUSAL_NO_REASON, Colour.RED, f"{label}决定未说明理由")


def repeated_correction(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    rows = (
        CorrectionRequest.objects.filter(case__in=cases.values("pk"))
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    for row in sorted(rows, key=lambda r: r["case_id"]):
        yield Finding(
            row["case_id"],
            Trigger.REPEATED_CORRECTION,
            Colour.YELLOW,
            f"同一办件已要求补正 {row['n']} 次，未做到一次性告知",
        )


def fee_on_free_item(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    rows = (
        PaymentOrder.objects.filter(case__in=cases.values("pk"), item__is_charged=False, amount__gt=0)
        .exclude(status=PaymentOrder.Status.CANCELLED)
        .order_by("case_id", "pk")
        .values_list("case_id", "number", "amount")
    )
    seen: set[int] = set()
    for case_id, number, amount in rows:
        if case_id not in seen:
            seen.add(case_id)
            yield Finding(
                case_id,
                Trigger.FEE_ON_FREE_ITEM,
                Colour.RED,
                f"事项不收费，却开具缴款单 {number}（{amount} 元）",
            )


def online_at_window(cases: QuerySet[Case], on: dt.date) -> Iterator[Finding]:
    rows = cases.filter(channel=Channel.WINDOW, item__online_depth=OnlineDepth.IV).values_list(
        "pk", flat=True
    )
    for pk in rows.order_by("pk"):
        yield Finding(
            pk, Trigger.ONLINE_AT_WINDOW, Colour.YELLOW, "事项可全程网办（网办深度Ⅳ），却在窗口受理"
        )


DETECTORS = (
    overdue,
    step_overrun,
    refusal_without_reason,
    repeated_correction,
    fee_on_free_item,
    online_at_window,
)


def findings(cases: QuerySet[Case], on: dt.date) -> list[Finding]:
    return [finding for detector in DETECTORS for finding in detector(cases, on)]
