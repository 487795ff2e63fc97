"""秒批: the item's published table decides at submission.

``on_submit`` (a ``cases.steps`` submission step) evaluates the table inside the submission's
transaction and records the outcome with the version that gave it; a grant is carried out
after commit by ``finish``: the case's steps taken by the system (``cases.services.automatic``),
the audit entry of the decision, and the licence issued at once, so that it is in the wallet
when the confirmation page shows. A denial or an undecidable case stays in the department's
queue with the reason shown to staff. ``finish_pending`` (``tongban tick``) completes any grant
whose after-commit work did not run (a process that died in between).
"""

import contextvars
import datetime as dt
import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from tongban.cases.access import step_outcomes
from tongban.cases.models import Application, Case
from tongban.cases.services.automatic import take_automatic_step
from tongban.core import audit
from tongban.core.errors import ServiceError
from tongban.core.types import User
from tongban.workflow.dmn import EvaluationError, FeelError, Outcome
from tongban.workflow.dmn import services as dmn
from tongban.workflow.models import DecisionTable

from . import inputs
from .models import AutomaticDecision, InstantApproval, Offer

logger = logging.getLogger(__name__)
GRANT, DENY = "准予", "不予"
# Set by ``offers.confirm_offer`` around its submission: that case is decided by the offer.
confirming: contextvars.ContextVar[Offer | None] = contextvars.ContextVar("confirming_offer", default=None)


def interpret(outcome: Outcome | None, error: str = "") -> tuple[str, str, dict]:
    """(AutomaticDecision outcome, reason, outputs) from what the table gave: its output
    ``决定`` (or its only output) says 准予 or 不予; ``理由`` is the reason when present."""
    if outcome is None or outcome.error or error:
        return AutomaticDecision.Outcome.UNDECIDED, (error or (outcome.error if outcome else "")), {}
    value = outcome.value
    outputs = value if isinstance(value, dict) else {"决定": value}
    verdict = outputs.get("决定")
    reason = str(outputs.get("理由") or "")
    if not outcome.rows:
        return AutomaticDecision.Outcome.UNDECIDED, "没有规则适用于本申请。", outputs
    if verdict == GRANT:
        return AutomaticDecision.Outcome.GRANT, reason or "符合决策表规定的条件。", outputs
    if verdict == DENY:
        return AutomaticDecision.Outcome.DENY, reason or "不符合决策表规定的条件。", outputs
    return AutomaticDecision.Outcome.UNDECIDED, f"决策表的输出“{verdict}”不是准予或不予。", outputs


def case_context(case: Case, applicant: User | None, actor: User | None) -> dict:
    """What a table may read about a case; the registry read is logged for the case."""
    today = timezone.localdate()
    person, why = None, "申请人没有公民身份号码。"
    number = getattr(applicant, "id_number", "") or ""
    if number:
        person, why = inputs.read_person(
            number,
            accessor=actor,
            purpose=f"秒批：{case.item.name}的自动审批",
            department=case.department,
            case=case,
        )
    context = {
        "表单": case.data or {},
        "申请人": inputs.applicant_context(applicant, today),
        "户籍": inputs.person_context(person, today),
        "今天": today,
    }
    if person is None:
        context["_户籍未读取"] = why
    return context


def decide(table: DecisionTable, context: dict) -> tuple[Outcome | None, str]:
    try:
        return dmn.decide(table, context), ""
    except (FeelError, EvaluationError) as exc:
        return None, f"决策表无法计算：{exc}"


def restore(stored: dict, data: dict) -> dict:
    """A stored context (JSON) as the table reads it again: dates as dates."""
    context = {key: (dict(value) if isinstance(value, dict) else value) for key, value in stored.items()}
    context["表单"] = data or {}
    if isinstance(context.get("今天"), str):
        context["今天"] = dt.date.fromisoformat(context["今天"])
    person = context.get("户籍")
    if isinstance(person, dict) and isinstance(person.get("出生日期"), str):
        person["出生日期"] = dt.date.fromisoformat(person["出生日期"])
    return context


def on_submit(application: Application, case: Case, user: User) -> None:
    on_submit_many([(application, case)], user)


def on_submit_many(submitted: list[tuple[Application, Case]], user: User) -> None:
    """The step for every case of a submission (a 一件事 split's children): the items' active
    tables read in one query, then each case decided as alone."""
    offer = confirming.get()
    pending = []
    for _application, case in submitted:
        if offer is not None and offer.policy.item_id == case.item_id:
            _record_offer(case, offer)
        else:
            pending.append(case)
    if not pending:
        return
    tables: dict[int, str] = {}
    for item_id, key in (
        InstantApproval.objects.filter(item_id__in={c.item_id for c in pending}, is_active=True)
        .order_by("pk")
        .values_list("item_id", "table_key")
    ):
        tables.setdefault(item_id, key)  # the first active one, as ``.first()`` took it
    for case in pending:
        if case.item_id in tables:
            _decide(case, tables[case.item_id], user)


def _decide(case: Case, table_key: str, user: User) -> None:
    table = dmn.published(table_key)
    if table is None:
        return
    context = case_context(case, case.applicant, user)
    outcome, error = decide(table, context)
    verdict, reason, outputs = interpret(outcome, error)
    if verdict != AutomaticDecision.Outcome.GRANT and context.get("_户籍未读取") and _reads_registry(outcome):
        reason = f"{reason}（户籍信息未能读取：{context['_户籍未读取']}）"
    record = AutomaticDecision.objects.create(
        case=case,
        table=table,
        digest=table.digest,
        outcome=verdict,
        rows=list(outcome.rows) if outcome else [],
        inputs=inputs.plain(outcome.inputs if outcome else {}),
        outputs=inputs.plain(outputs),
        context=inputs.plain({k: v for k, v in context.items() if k in ("申请人", "户籍", "今天")}),
        reason=reason[:300],
    )
    if verdict == AutomaticDecision.Outcome.GRANT:
        transaction.on_commit(partial(finish, record.pk), robust=True)


def _reads_registry(outcome: Outcome | None) -> bool:
    return outcome is None or any(label.startswith("户籍") for label in outcome.inputs)


def _record_offer(case: Case, offer: Offer) -> None:
    record = AutomaticDecision.objects.create(
        case=case,
        table=offer.table,
        digest=offer.table.digest,
        outcome=AutomaticDecision.Outcome.GRANT,
        rows=offer.rows,
        inputs=offer.inputs,
        outputs=offer.outputs,
        reason=f"免申即享：{offer.policy.name}，本人已确认。",
        offer=offer,
    )
    from .offers import mark_confirmed

    mark_confirmed(offer, case.pk)
    transaction.on_commit(partial(finish, record.pk), robust=True)


def history_text(record: AutomaticDecision) -> str:
    table = record.table
    rows = "、".join(str(r) for r in record.rows) or "—"
    return (
        f"依据决策表“{table.name}”第 {table.version} 版（摘要 {record.digest[:12]}）第 {rows} 条规则自动决定：{record.reason}"
        f" 输入：{inputs.describe(record.inputs)}；输出：{inputs.describe(record.outputs)}。"
    )[:2000]


def finish(record_id: int) -> bool:
    """Carry out a recorded grant: the case's steps by the system, then the licence. True when
    the case is concluded. Safe to call again (a concluded case and an issued licence stay)."""
    record = AutomaticDecision.objects.select_related("table", "case").filter(pk=record_id).first()
    if record is None or record.outcome != AutomaticDecision.Outcome.GRANT or record.finished_at:
        return False
    case = record.case
    reason = history_text(record)
    try:
        for _ in range(8):
            if not case.is_open:
                break
            granting = "grant" in step_outcomes(case)
            with transaction.atomic():
                case = take_automatic_step(case=case, reason=reason)
                if granting:  # the decision's own audit entry, after the step's (audit last)
                    audit.append(
                        "decisions.automatic",
                        obj=case,
                        summary={
                            "number": case.number,
                            "table": record.table.key,
                            "version": record.table.version,
                            "digest": record.digest,
                            "rules": record.rows,
                            "inputs": record.inputs,
                            "outputs": record.outputs,
                            "offer": record.offer_id,
                        },
                    )
    except ServiceError as exc:
        logger.warning("automatic decision of case %s stopped: %s", case.number, exc.message)
        AutomaticDecision.objects.filter(pk=record.pk).update(
            reason=f"自动办理中止，转人工：{exc.message}"[:300]
        )
        return False
    if case.is_open:
        return False
    AutomaticDecision.objects.filter(pk=record.pk).update(finished_at=timezone.now())
    from tongban.certificates.services import issue_for_case

    try:
        issue_for_case(case)
    except ServiceError as exc:  # the certificates' own task and sweep issue it later
        logger.warning("licence of case %s not issued at once: %s", case.number, exc.message)
    return True


def finish_pending() -> int:
    """Grants recorded more than a minute ago whose automatic steps did not complete."""
    since = timezone.now() - dt.timedelta(minutes=1)
    pending = AutomaticDecision.objects.filter(
        outcome=AutomaticDecision.Outcome.GRANT, finished_at__isnull=True, created_at__lt=since
    ).exclude(reason__startswith="自动办理中止")
    return sum(1 for pk in pending.values_list("pk", flat=True) if finish(pk))
