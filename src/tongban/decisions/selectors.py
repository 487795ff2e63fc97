"""Reads shared by the decisions pages: a case's automatic decision, open reviews, offers and
the supervisors' figures."""

from django.db.models import Count, Q, QuerySet

from tongban.cases.models import Case
from tongban.core.types import User
from tongban.identity import permissions

from .models import AutomaticDecision, HumanReview, Offer


def decision_of(case: Case) -> AutomaticDecision | None:
    return AutomaticDecision.objects.select_related("table").filter(case=case).first()


def reviews_for_staff(user: User | None) -> QuerySet[HumanReview]:
    return (
        HumanReview.objects.filter(permissions.department_filter(user, "case__department"))
        .select_related("case", "case__item")
        .order_by("status", "due_date", "id")
    )


def offers_for(user: User | None) -> QuerySet[Offer]:
    if not getattr(user, "is_authenticated", False):
        return Offer.objects.none()
    return (
        Offer.objects.filter(user=user)
        .select_related("policy", "policy__item", "case")
        .order_by("-created_at")
    )


def figures(cases: QuerySet[Case]) -> dict[str, int]:
    """Automatic decisions among ``cases`` (a supervisor's or a department's), reviews and their
    outcomes, offers made, confirmed, declined and withdrawn."""
    total = cases.count()
    decided = AutomaticDecision.objects.filter(case__in=cases).aggregate(
        automatic=Count("pk", filter=Q(outcome=AutomaticDecision.Outcome.GRANT, finished_at__isnull=False)),
        to_humans=Count("pk", filter=~Q(outcome=AutomaticDecision.Outcome.GRANT)),
    )
    reviews = HumanReview.objects.filter(case__in=cases).aggregate(
        requested=Count("pk"),
        open=Count("pk", filter=Q(status=HumanReview.Status.OPEN)),
        upheld=Count("pk", filter=Q(status=HumanReview.Status.UPHELD)),
        changed=Count("pk", filter=Q(status=HumanReview.Status.CHANGED)),
    )
    offers = Offer.objects.filter(policy__item__department__in=cases.values("department")).aggregate(
        offered=Count("pk"),
        confirmed=Count("pk", filter=Q(status=Offer.Status.CONFIRMED)),
        declined=Count("pk", filter=Q(status=Offer.Status.DECLINED)),
        withdrawn=Count("pk", filter=Q(status=Offer.Status.WITHDRAWN)),
        letters=Count("pk", filter=Q(channel=Offer.Channel.LETTER)),
    )
    return {
        "cases": total,
        **decided,
        **{f"reviews_{k}": v for k, v in reviews.items()},
        **{f"offers_{k}": v for k, v in offers.items()},
    }


def automatic_share(numbers: dict[str, int]) -> float:
    return round(100 * numbers["automatic"] / numbers["cases"], 1) if numbers["cases"] else 0.0
