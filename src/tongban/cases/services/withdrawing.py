"""撤回: the applicant withdraws a case until its review is finished."""

from django.db import transaction
from django.utils import timezone

from tongban.core.types import User

from ..access import WITHDRAWABLE as WITHDRAWABLE  # the rule lives with check_withdraw
from ..access import check_withdraw
from ..models import Case
from ._common import _lock, _log, _save


@transaction.atomic
def withdraw_case(*, user: User, case: Case, reason: str = "") -> Case:
    """撤回: allowed until the review is finished; afterwards the decision must be made."""
    locked = _lock(case)
    check_withdraw(user, locked)
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
