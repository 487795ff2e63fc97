"""Pages: a case's automatic decision and its “why” (applicant and staff; the applicant asks
for a human review here), the staff's review queue, the citizen's offers, the figures."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tongban.cases.access import can_view_case, get_case_for, is_applicant_side, refusal, staff_cases
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound
from tongban.identity import permissions
from tongban.identity.views import staff_required

from . import offers, selectors, services
from .models import HumanReview


def case_decision(request: HttpRequest, number: str) -> HttpResponse:
    """自动审批说明: the table version, the rules that fired, inputs and outputs."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('identity:login')}?next={request.path}")
    case = get_case_for(request.user, number)
    record = selectors.decision_of(case)
    if record is None:
        raise NotFound()
    applicant = is_applicant_side(request.user, case)
    error = None
    if request.method == "POST":
        try:
            services.request_review(user=request.user, case=case, reason=request.POST.get("reason", ""))
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, "已申请人工复核，办理部门将在期限内答复。")
            return redirect("decisions:case", number=case.number)
    context = {
        "case": case,
        "record": record,
        "applicant": applicant,
        "reviews": case.human_reviews.order_by("-created_at"),
        "review_refusal": refusal(services.check_request_review, request.user, case) if applicant else None,
        "error": error,
    }
    return render(request, "decisions/case.html", context, status=400 if error else 200)


@staff_required
def reviews(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = list(selectors.reviews_for_staff(request.user)[:200])
    return render(request, "decisions/reviews.html", {"reviews": rows, "today": today})


@staff_required
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    review = HumanReview.objects.select_related("case__department", "case__item").filter(pk=pk).first()
    if review is None or not can_view_case(request.user, review.case):
        raise NotFound()
    error = None
    if request.method == "POST":
        try:
            services.answer_review(
                actor=request.user,
                review=review,
                upheld=request.POST.get("upheld") == "1",
                answer=request.POST.get("answer", ""),
            )
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, "复核意见已保存。")
            return redirect("decisions:reviews")
    context = {
        "review": review,
        "record": selectors.decision_of(review.case),
        "refusal": refusal(services.check_answer_review, request.user, review),
        "error": error,
    }
    return render(request, "decisions/review.html", context, status=400 if error else 200)


@login_required
def my_offers(request: HttpRequest) -> HttpResponse:
    return render(
        request, "decisions/offers.html", {"offers": list(selectors.offers_for(request.user)[:100])}
    )


@require_POST
@login_required
def offer_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = offers.confirm_offer(user=request.user, offer_id=pk)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("decisions:offers")
    messages.success(request, "已确认，待遇已自动办结。")
    return redirect("cases:my_case", number=case.number)


@require_POST
@login_required
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    offers.decline_offer(user=request.user, offer_id=pk, reason=request.POST.get("reason", ""))
    messages.success(request, "已放弃该待遇。")
    return redirect("decisions:offers")


@staff_required
def figures(request: HttpRequest) -> HttpResponse:
    """The supervisors' (and a department's) figures: automatic share, reviews, offers."""
    cases = Case.objects.all() if permissions.is_platform_admin(request.user) else staff_cases(request.user)
    numbers = selectors.figures(cases)
    return render(
        request, "decisions/figures.html", {"n": numbers, "share": selectors.automatic_share(numbers)}
    )
