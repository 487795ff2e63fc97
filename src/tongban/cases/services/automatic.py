"""The automatic actor (秒批): one step of a case taken by the system on a published decision
table's grant, recorded as the system's step in the history and the audit chain.

The caller (``decisions``) has evaluated the table and holds the grant; here the case moves one
step at a time along its own process, each step in its own transaction with the history line
and the audit append last, as a person's step would be: 受理 (or 受理并办结 for an instant
item), 审查通过, 准予 with the table's reasons, 办结 with 出证.
"""

from django.db import transaction
from django.utils import timezone

from tongban.core.errors import InvalidInput

from .. import clock
from ..document_templates import outcome as outcome_words
from ..models import Case
from ._common import _advance, _lock, _log, _outcomes, _save

SUFFIX = "（自动审批）"


@transaction.atomic
def take_automatic_step(*, case: Case, reason: str) -> Case:
    """The case's current step, taken by the system towards a grant; ``reason`` (the table,
    version, rule, inputs and outputs) is the opinion of the decision."""
    locked = _lock(case)
    if not locked.is_open:
        return locked
    role, before, outcomes = locked.current_role, locked.status, set(_outcomes(locked))
    if role == "intake":
        decision = "grant" if "grant" in outcomes else "accept"
        end = _advance(locked, None, decision)
        locked.accepted_at = timezone.now()
        if end is None:
            clock.set_decision_deadlines(locked, timezone.localdate())
            action, title, event, opinion = "accept", "受理" + SUFFIX, "accepted", ""
        else:
            locked.decision_reason = reason
            action, title, event, opinion = "accept", "受理并办结" + SUFFIX, "concluded", reason
    elif role == "review" and "pass" in outcomes:
        _advance(locked, None, "pass")
        action, title, event, opinion = "reviewed", "审查通过" + SUFFIX, "reviewed", "决策表判定符合条件。"
    elif role == "decide" and "grant" in outcomes:
        _advance(locked, None, "grant")
        locked.decision_reason = reason
        words = outcome_words(locked.item.item_type)
        action, title, event, opinion = "decided", words.grant_words + SUFFIX, "decided", reason
    elif role == "issue":
        locked.result = Case.Result.ISSUED
        _advance(locked, None, None)
        action, title, event, opinion = "conclude", "办结（出证）" + SUFFIX, "concluded", ""
    else:
        raise InvalidInput(
            f"环节“{locked.current_step_title}”不能自动办理，请人工处理。", code="not_automatic"
        )
    _save(locked)
    _log(locked, None, action, title, from_status=before, opinion=opinion, emit=event)
    return locked
