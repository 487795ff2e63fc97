"""Staff processing a case: claim and release, accept or refuse, review, special procedures,
forward, decide and conclude."""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from tongban.core.errors import InvalidInput
from tongban.core.types import User, actor_label
from tongban.registries.validators import check_uscc

from .. import clock
from ..access import ACTION_BY_DECISION, check_claim, check_release, check_staff_action
from ..document_templates import outcome
from ..models import Case
from ._common import Conflict, _advance, _lock, _log, _outcomes, _require_opinion, _save


@transaction.atomic
def claim_case(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    """Take a task from the queue; when two claim at once exactly one wins."""
    locked = _lock(case)
    check_claim(actor, locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict("办件已被他人更新，请刷新后再操作。", code="stale")
    won = Case.objects.filter(pk=locked.pk, assignee__isnull=True, version=locked.version).update(
        assignee=actor, claimed_at=timezone.now(), version=locked.version + 1
    )
    if not won:
        holder = Case.objects.select_related("assignee").get(pk=locked.pk).assignee
        if holder is not None and holder.pk == actor.pk:
            return Case.objects.get(pk=locked.pk)
        raise Conflict(f"该办件已由 {actor_label(holder)} 认领。", code="claimed_by_other")
    locked.refresh_from_db()
    _log(
        locked, actor, "claim", f"认领：{locked.current_step_title}", from_status=locked.status, public=False
    )
    return locked


@transaction.atomic
def release_case(*, actor: User, case: Case) -> Case:
    locked = _lock(case)
    check_release(actor, locked)
    locked.assignee, locked.claimed_at = None, None
    locked.version += 1
    locked.save(update_fields=["assignee", "claimed_at", "version"])
    _log(locked, actor, "release", "释放认领", from_status=locked.status, public=False)
    return locked


@transaction.atomic
def accept_case(
    *,
    actor: User,
    case: Case,
    opinion: str = "",
    uscc: str = "",
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """受理 (or, for an instant item, accept and conclude at once; then a registration records
    the 统一社会信用代码 as at ``conclude_case``)."""
    locked = _lock(case)
    check_staff_action(
        actor, locked, "accept", expected_step=expected_step, expected_version=expected_version
    )
    before = locked.status
    outcome = "grant" if "grant" in _outcomes(locked) else "accept"
    end = _advance(locked, actor, outcome)
    if locked.status == Case.Status.CONCLUDED:
        _record_uscc(locked, uscc)
    locked.accepted_at = timezone.now()
    if end is None:
        clock.set_decision_deadlines(locked, timezone.localdate())
    _save(locked)
    _log(
        locked,
        actor,
        "accept",
        "受理" if end is None else "受理并办结",
        from_status=before,
        opinion=opinion,
        emit="accepted" if end is None else "concluded",
    )
    return locked


@transaction.atomic
def refuse_case(
    *,
    actor: User,
    case: Case,
    reason: str,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """不予受理, with the reason written into the decision letter."""
    reason = _require_opinion(reason, "不予受理的理由")
    locked = _lock(case)
    check_staff_action(
        actor, locked, "refuse", expected_step=expected_step, expected_version=expected_version
    )
    before = locked.status
    _advance(locked, actor, "refuse")
    locked.decision_reason = reason
    _save(locked)
    _log(locked, actor, "refuse", "不予受理", from_status=before, opinion=reason, emit="refused")
    return locked


@transaction.atomic
def review_case(
    *,
    actor: User,
    case: Case,
    opinion: str,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    opinion = _require_opinion(opinion, "审查意见")
    return _simple_step(actor, case, "pass", "reviewed", "审查通过", opinion, expected_step, expected_version)


@transaction.atomic
def start_special_procedure(
    *,
    actor: User,
    case: Case,
    kind: str,
    notice: str,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """特别程序 (听证、检验、检测、专家评审…): written notice; the clock is suspended."""
    notice = _require_opinion(notice, "特别程序告知内容")
    kind = _require_opinion(kind, "特别程序种类")
    locked = _simple_step(
        actor,
        case,
        "special",
        "special_started",
        f"进入特别程序：{kind}",
        notice,
        expected_step,
        expected_version,
        change=lambda c: clock.pause(c, "special"),
    )
    return locked


@transaction.atomic
def end_special_procedure(
    *, actor: User, case: Case, outcome: str, expected_version: int | None = None
) -> Case:
    outcome = _require_opinion(outcome, "特别程序结果")
    locked = _lock(case)
    check_staff_action(actor, locked, "special_end", expected_version=expected_version)
    before = locked.status
    _advance(locked, actor, None)
    clock.resume(locked)
    _save(locked)
    _log(
        locked,
        actor,
        "special_end",
        "特别程序结束",
        from_status=before,
        opinion=outcome,
        emit="special_ended",
    )
    return locked


@transaction.atomic
def forward_case(
    *,
    actor: User,
    case: Case,
    reason: str,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """转报: the decision belongs to the upper level."""
    reason = _require_opinion(reason, "转报理由")
    locked = _simple_step(
        actor,
        case,
        "forward",
        "forwarded",
        "转报上级机关",
        reason,
        expected_step,
        expected_version,
        change=lambda c: setattr(c, "decision_reason", reason),
    )
    return locked


@transaction.atomic
def decide_case(
    *,
    actor: User,
    case: Case,
    grant: bool,
    reason: str,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """决定: grant or deny, always with reasons; the event names it as the item's type does
    (准予行政许可, 予以给付, 予以确认 …)."""
    reason = _require_opinion(reason, "决定理由")
    words = outcome(case.item.item_type)
    title = words.grant_words if grant else words.deny_words
    locked = _simple_step(
        actor,
        case,
        "grant" if grant else "deny",
        "decided",
        title,
        reason,
        expected_step,
        expected_version,
        change=lambda c: setattr(c, "decision_reason", reason),
    )
    return locked


# Where a registration's 办结 keeps the 统一社会信用代码 it assigned, in the case's data.
RESULT_USCC = "result_uscc"


def records_uscc(item) -> bool:
    """An item whose result is a 营业执照 (设立登记 of a company or 个体工商户): its 办结 with 出证
    records the code the registration assigned."""
    return "营业执照" in (item.result_name or "") or item.name.endswith("设立登记")


def _record_uscc(case: Case, uscc: str) -> None:
    """A registration concluded with 出证 keeps the code it assigned; required when 一件事
    children are held for it (they start with it)."""
    if case.result != Case.Result.ISSUED or not records_uscc(case.item):
        return
    if uscc or case.dependents.filter(status=Case.Status.HELD).exists():
        case.data = {**(case.data or {}), RESULT_USCC: check_uscc(uscc, field="uscc")}


@transaction.atomic
def conclude_case(
    *,
    actor: User,
    case: Case,
    result: str,
    opinion: str = "",
    uscc: str = "",
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """办结 with a result code of DESIGN §4 (出证 issues the licence in a later step).

    An item that registers a business (``records_uscc``) concluded with 出证 records the new
    统一社会信用代码 in the case's data (``RESULT_USCC``), required when 一件事 children are held
    for it: they start with it (``joint_processing``)."""
    if result not in Case.Result.values:
        raise InvalidInput("办结结果代码无效。", field="result")
    locked = _lock(case)
    check_staff_action(
        actor, locked, "conclude", expected_step=expected_step, expected_version=expected_version
    )
    before = locked.status
    locked.result = result
    _record_uscc(locked, uscc)
    _advance(locked, actor, None)
    _save(locked)
    _log(
        locked,
        actor,
        "conclude",
        f"办结（{Case.Result(result).label}）",
        from_status=before,
        opinion=opinion,
        emit="concluded",
    )
    return locked


def _simple_step(
    actor: User,
    case: Case,
    decision: str,
    event: str,
    title: str,
    opinion: str,
    expected_step: str | None,
    expected_version: int | None,
    change: Callable[[Case], None] | None = None,
) -> Case:
    """One step of the process; ``change`` adds what the use case writes besides (before the
    save, so the history line and the audit append stay the last writes)."""
    locked = _lock(case)
    check_staff_action(
        actor,
        locked,
        ACTION_BY_DECISION[decision],
        decision=decision,
        expected_step=expected_step,
        expected_version=expected_version,
    )
    before = locked.status
    _advance(locked, actor, decision)
    if change is not None:
        change(locked)
    _save(locked)
    _log(locked, actor, event, title, from_status=before, opinion=opinion, emit=event)
    return locked
