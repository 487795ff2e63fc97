"""撤回: the applicant withdraws a case until its review is finished."""

from django.db import transaction
from django.utils import timezone

from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity.actors import check_agent_scope

from ..access import is_applicant_side
from ..models import Case
from ._common import Conflict, _lock, _log, _save

WITHDRAWABLE = {Case.Status.PENDING_INTAKE, Case.Status.CORRECTION, Case.Status.IN_REVIEW}


@transaction.atomic
def withdraw_case(*, user: User, case: Case, reason: str = "") -> Case:
    """撤回: allowed until the review is finished; afterwards the decision must be made."""
    locked = _lock(case)
    if not is_applicant_side(user, locked):
        raise NotFound()
    if locked.status not in WITHDRAWABLE:
        raise Conflict(f"办件{locked.get_status_display()}，已不能撤回。", code="not_withdrawable")
    if locked.enterprise_id and locked.enterprise.legal_rep_id != user.pk:
        check_agent_scope(user, locked.enterprise, locked.item)
    before = locked.status
    locked.status = Case.Status.WITHDRAWN
    locked.result = Case.Result.VOIDED
    locked.current_step = locked.current_step_title = locked.current_role = ""
    locked.assignee = None
    locked.concluded_at = timezone.now()
    locked.paused_since = None
    locked.version += 1
    _save(locked)
    _log(
        locked,
        user,
        "withdraw",
        "申请人撤回",
        from_status=before,
        opinion=(reason or "").strip(),
        emit="withdrawn",
    )
    return locked
