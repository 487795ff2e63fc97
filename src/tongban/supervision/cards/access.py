"""Who sees and acts on a card.

Supervisors (监察) see the cards of every case in their region and below, as they see the cases
themselves (``identity.permissions.supervised_region_codes``, the scope of the supervisor's
overview), and issue, accept or send back 督办. The department answers through its 审核 and
决定 staff: they are the ones who can change how the department's cases are handled, and the
cards sit in their own inbox; 受理 staff and other departments neither see nor answer them.
"""

from django.db.models import Q

from tongban.core.types import User
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Card

ANSWER_ROLES = (StaffRole.REVIEW, StaffRole.DECIDE)


def supervised_codes(user: User) -> list[str]:
    return permissions.supervised_region_codes(user)


def answering_departments(user: User) -> set[int]:
    return {m.department_id for m in permissions.memberships(user) if m.role in ANSWER_ROLES}


def supervised_q(user: User, field: str = "region_code") -> Q:
    query = Q(pk__in=[])
    for code in supervised_codes(user):
        query |= Q(**{f"{field}__startswith": code})
    return query


def visible_q(user: User) -> Q:
    """Cards the user may see: their region's as a supervisor, their department's as 审核/决定."""
    query = supervised_q(user)
    departments = answering_departments(user)
    if departments:
        query |= Q(department_id__in=departments)
    return query


def can_supervise(user: User, card: Card) -> bool:
    return any(card.region_code.startswith(code) for code in supervised_codes(user))


def can_answer(user: User, card: Card) -> bool:
    return card.department_id in answering_departments(user)


def can_see(user: User, card: Card) -> bool:
    return can_supervise(user, card) or can_answer(user, card)
