"""Human review of an automatic decision: the applicant asks, the department answers within
the deadline (working days)."""

from django.db import transaction
from django.utils import timezone

from tongban.cases.access import Conflict, is_applicant_side
from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions
from tongban.workdays.calendar import add_workdays
from tongban.workflow.dmn import services as dmn_services

from .models import AutomaticDecision, HumanReview, InstantApproval, Policy

REVIEW_WORKDAYS = 5


def check_request_review(user: User | None, case: Case) -> None:
    """The applicant side of a case decided automatically, with no review pending."""
    if not is_applicant_side(user, case):
        raise NotFound()
    if not AutomaticDecision.objects.filter(case=case).exists():
        raise InvalidInput("该办件不是自动审批的，不能申请人工复核。", code="not_automatic")
    if HumanReview.objects.filter(case=case, status=HumanReview.Status.OPEN).exists():
        raise Conflict("已申请人工复核，正在办理中。", code="review_open")


@transaction.atomic
def request_review(*, user: User, case: Case, reason: str) -> HumanReview:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写申请人工复核的理由。", field="reason")
    check_request_review(user, case)
    review = HumanReview.objects.create(
        case=case,
        requested_by=user,
        reason=reason[:2000],
        due_date=add_workdays(timezone.localdate(), REVIEW_WORKDAYS).date,
    )
    audit.append(
        "decisions.review_request",
        actor=user,
        obj=case,
        summary={
            "number": case.number,
            "review": review.pk,
            "due": review.due_date,
            "reason_sha256": audit.digest(reason),
        },
    )
    return review


def check_answer_review(user: User | None, review: HumanReview) -> None:
    """Deciding staff of the case's department answer an open review."""
    if not permissions.can_see_department(user, review.case.department):
        raise NotFound()
    if not permissions.has_role(user, "decide", review.case.department):
        raise PermissionDenied("复核自动决定需要该部门的决定角色。")
    if review.status != HumanReview.Status.OPEN:
        raise Conflict("该复核已办结。", code="review_closed")


@transaction.atomic
def answer_review(*, actor: User, review: HumanReview, upheld: bool, answer: str) -> HumanReview:
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput("请填写复核意见。", field="answer")
    locked = HumanReview.objects.select_for_update().select_related("case__department").get(pk=review.pk)
    check_answer_review(actor, locked)
    locked.status = HumanReview.Status.UPHELD if upheld else HumanReview.Status.CHANGED
    locked.answer, locked.answered_by, locked.answered_at = answer[:2000], actor, timezone.now()
    locked.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    audit.append(
        "decisions.review_answer",
        actor=actor,
        obj=locked.case,
        summary={"number": locked.case.number, "review": locked.pk, "status": locked.status},
    )
    return locked


@transaction.atomic
def mark_instant(
    *, actor: User | None, item: ServiceItem, table_key: str, active: bool = True
) -> InstantApproval:
    """An item decided by its published table (秒批), by the item's catalogue admins."""
    dmn_services.check_can_manage(actor, item.department)
    approval, _ = InstantApproval.objects.update_or_create(
        item=item, defaults={"table_key": table_key, "is_active": active}
    )
    audit.append(
        "decisions.instant",
        actor=actor,
        obj=approval,
        summary={"item": item.code, "table": table_key, "active": active},
    )
    return approval


@transaction.atomic
def save_policy(
    *,
    actor: User | None,
    code: str,
    name: str,
    item: ServiceItem,
    table_key: str,
    period: str,
    summary: str = "",
) -> Policy:
    """A 免申即享 policy: its table and the item that delivers it."""
    dmn_services.check_can_manage(actor, item.department)
    if period not in Policy.Period.values:
        raise InvalidInput("享受周期无效。", field="period")
    policy, _ = Policy.objects.update_or_create(
        code=code,
        defaults={"name": name, "item": item, "table_key": table_key, "period": period, "summary": summary},
    )
    audit.append(
        "decisions.policy",
        actor=actor,
        obj=policy,
        summary={"code": code, "item": item.code, "table": table_key},
    )
    return policy
