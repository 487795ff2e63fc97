"""A case that waits in a registered waiting step (``steps.WaitingStep``, e.g. 缴费) goes on
when the app that settles the step says so; nobody on the staff completes that task."""

from django.db import transaction

from tongban.core.types import User

from .. import clock, steps
from ..models import Case
from ._common import Conflict, _advance, _lock, _log, _save


@transaction.atomic
def continue_waiting(*, case: Case, step: str, title: str, actor: User | None = None) -> Case:
    """Complete the waiting task ``step`` of ``case`` and move the process on; the clock, stopped
    while waiting, resumes. A case that is no longer waiting there raises ``Conflict``, so a
    second settlement never moves a case twice."""
    locked = _lock(case)
    waiting = steps.waiting_step_for(locked.current_step) if locked.current_step else None
    if waiting is None or waiting.name != step or not locked.is_open:
        raise Conflict("该办件当前不在等待该环节。", code="not_waiting")
    before, spec = locked.status, locked.current_step
    _advance(locked, actor, None, {step: True})
    clock.resume(locked)
    _save(locked)
    _log(locked, actor, step, title, from_status=before, step=spec, emit=step)
    return locked
