"""Supervision lines in a case's history (黄牌/红牌 raised or upgraded, 督办 issued, answered,
accepted, sent back, escalated): written for ``supervision.cards``, which checked who may do it
and wrote its own rows first. Staff-only lines (not on the applicant's timeline); the case row is
not touched, so no lock is taken; the audit append stays last."""

from tongban.core.types import User

from ..models import Case, CaseEvent
from ._common import _log

SUPERVISION_ACTIONS = frozenset(
    {
        "card_raised",
        "card_upgraded",
        "duban_issued",
        "duban_answered",
        "duban_accepted",
        "duban_returned",
        "duban_escalated",
    }
)


def record_supervision(
    *, case: Case, actor: User | None, action: str, title: str, opinion: str = ""
) -> CaseEvent:
    """Call inside the caller's transaction, as its last write."""
    if action not in SUPERVISION_ACTIONS:
        raise ValueError(f"not a supervision action: {action}")
    return _log(case, actor, action, title[:100], from_status=case.status, opinion=opinion, public=False)
