"""What every write on applications and cases shares: the history line with its audit entry
(``_log``, always last), the case lock, the step through the process and the turn check."""

from django.db import transaction
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput
from tongban.core.types import User, actor_label
from tongban.workflow.engine import ProcessError, TaskInfo
from tongban.workflow.selectors import process_for

from .. import clock, steps
from ..access import Conflict as Conflict  # the cases' 409, defined with the rules that raise it
from ..models import Case, CaseEvent
from ..signals import case_event, case_event_recorded

DRAFT_DAYS = 30


def _emit(case: Case, event: str, actor: User) -> None:
    """In the step's transaction for writes that belong with it (the notification task), after
    commit for everything else."""
    case_event_recorded.send(sender=Case, case=case, event=event, actor=actor)
    transaction.on_commit(lambda: case_event.send(sender=Case, case=case, event=event, actor=actor))


def _log(
    case: Case,
    actor: User,
    action: str,
    title: str,
    *,
    from_status: str = "",
    opinion: str = "",
    public: bool = True,
    step: str = "",
    emit: str = "",
    audit_later: list[dict] | None = None,
) -> CaseEvent:
    """The history line, the case event for other apps (``emit``) and, last, the audit entry:
    appending locks the platform-wide chain head until commit, so nothing may follow it.

    A child of a joint case tells its joint case (``joint_processing.after_child_step``: release
    dependents, stop, gather notices, 统一出件) before the audit append, whose entries follow the
    child's own. A caller that writes several cases in one transaction passes ``audit_later`` and
    appends the collected entries itself, after its last write (the joint case is then not told)."""
    event = history_line(
        case, actor, action, title, from_status=from_status, opinion=opinion, public=public, step=step
    )
    event.save()
    if emit:
        _emit(case, emit, actor)
    for observer in steps.event_observers:
        transaction.on_commit(lambda notify=observer.notify, ids=(case.pk, event.pk): notify(*ids))
    entry = audit_entry(case, event, actor, action, from_status=from_status, opinion=opinion, step=step)
    if audit_later is not None:
        audit_later.append(entry)
        return event
    joint_entries: list[dict] = []
    if case.joint_id:
        from .joint_processing import after_child_step

        joint_entries = after_child_step(case, actor, action, from_status)
    for one in (entry, *joint_entries):
        audit.append(one.pop("action"), **one)
    return event


def history_line(
    case: Case,
    actor: User,
    action: str,
    title: str,
    *,
    from_status: str = "",
    opinion: str = "",
    public: bool = True,
    step: str = "",
) -> CaseEvent:
    """The case's history line, unsaved (``_log`` saves it; a joint split inserts its children's
    lines at once)."""
    return CaseEvent(
        case=case,
        actor=actor,
        actor_label=actor_label(actor),
        on_behalf_of=case.enterprise.name
        if case.enterprise_id and action in {"submit", "withdraw", "correct"}
        else "",
        action=action,
        title=title,
        from_status=from_status,
        to_status=case.status,
        step=step,
        opinion=opinion,
        public=public,
    )


def audit_entry(
    case: Case,
    event: CaseEvent,
    actor: User,
    action: str,
    *,
    from_status: str = "",
    opinion: str = "",
    step: str = "",
) -> dict:
    """The audit entry of a saved history line, as ``audit.append``'s arguments with ``action``."""
    return {
        "action": f"cases.{action}",
        "actor": actor,
        "obj": case,
        "on_behalf_of": event.on_behalf_of,
        "summary": {
            "number": case.number,
            "event": event.pk,
            "from": from_status,
            "to": case.status,
            "step": step,
            "opinion_sha256": audit.digest(opinion) if opinion else "",
        },
    }


class FormInvalid(InvalidInput):
    code = "form_invalid"

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        first = next(iter(fields.values()))[0] if fields else "表单填写不完整。"
        super().__init__(first, field=next(iter(fields), None))


STATUS_BY_ROLE = {
    "intake": Case.Status.PENDING_INTAKE,
    "applicant": Case.Status.CORRECTION,
    "review": Case.Status.IN_REVIEW,
    "decide": Case.Status.PENDING_DECISION,
    "issue": Case.Status.PENDING_ISSUE,
}
STATUS_BY_END = {
    "end_concluded": Case.Status.CONCLUDED,
    "end_denied": Case.Status.DENIED,
    "end_refused": Case.Status.REFUSED,
    "end_forwarded": Case.Status.FORWARDED,
}
RESULT_BY_END = {
    "end_denied": Case.Result.RETURNED,
    "end_refused": Case.Result.RETURNED,
    "end_forwarded": Case.Result.FORWARDED,
}


def _apply_ready(case: Case, ready: list[TaskInfo]) -> None:
    task = ready[0] if ready else None
    case.current_step = task.spec if task else ""
    case.current_step_title = task.title if task else ""
    case.current_role = task.role if task else ""
    if task is not None:
        status = STATUS_BY_ROLE.get(task.role, Case.Status.IN_REVIEW)
        if task.spec.startswith("special"):
            status = Case.Status.SPECIAL
        waiting = steps.waiting_step_for(task.spec)
        if waiting is not None:
            status = waiting.status
        case.status = status


def _save(case: Case) -> None:
    clock.refresh_due(case)
    case.save()


def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "department", "department__region", "process", "enterprise")
        .defer("process__bpmn")
        .get(pk=case.pk)
    )


def _advance(case: Case, actor: User, decision: str | None, data: dict | None = None) -> str | None:
    process = process_for(case.process_id, case.process.digest)
    try:
        result = process.complete(case.workflow_state, case.current_step, decision, data)
    except ProcessError as exc:
        raise InvalidInput(str(exc), code="illegal_step") from exc
    case.workflow_state = result.state
    case.version += 1
    case.assignee = None
    case.claimed_at = None
    if result.end is not None:
        case.status = STATUS_BY_END[result.end]
        case.current_step = case.current_step_title = case.current_role = ""
        case.concluded_at = timezone.now()
        case.result = case.result or RESULT_BY_END.get(result.end, Case.Result.ISSUED)
    else:
        _apply_ready(case, result.ready)
        _enter_waiting(case, actor)
    return result.end


def _enter_waiting(case: Case, actor: User | None) -> None:
    """A process that reaches a waiting step (缴费) lets the app that settles it start waiting."""
    waiting = steps.waiting_step_for(case.current_step) if case.current_step else None
    if waiting is None:
        return
    if waiting.needed(case):
        waiting.enter(case, actor)
    else:
        _advance(case, actor, None, {waiting.name: "not_needed"})


def _require_opinion(opinion: str, what: str) -> str:
    opinion = (opinion or "").strip()
    if not opinion:
        raise InvalidInput(f"请填写{what}。", field="opinion")
    return opinion


def _outcomes(case: Case) -> tuple[str, ...]:
    shape = process_for(case.process_id, case.process.digest).shape
    task = shape.tasks.get(case.current_step)
    return task.outcomes if task else ()
