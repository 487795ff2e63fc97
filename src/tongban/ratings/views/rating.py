"""The citizen rates a finished case once, adds one 追评 and rates again after a rectification."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tongban.cases.selectors import get_applicant_case
from tongban.core.errors import InvalidInput
from tongban.identity.ratelimit import RateLimited

from .. import access, selectors, services
from ..models import ONLINE_INDICATORS
from .common import RateForm, level_choices, scores_shown


@login_required
def rate_case(request: HttpRequest, number: str) -> HttpResponse:
    """Five levels, the online indicators, a comment and tags; once per case, never required."""
    case = get_applicant_case(request.user, number)
    refused = access.refusal(access.check_rate_case, request.user, case)
    if isinstance(refused, access.AlreadyRated):
        return redirect("ratings:my_rating", case.number)
    if refused is not None and refused.code == "not_concluded":
        messages.info(request, _("办件办结后才能评价。"))
        return redirect("cases:my_case", case.number)
    if refused is not None:
        raise refused
    form = RateForm()
    status = 200
    if request.method == "POST":
        form = RateForm.from_post(request, ONLINE_INDICATORS)
        try:
            services.rate_case(
                user=request.user,
                case=case,
                level=form.level,
                scores=form.scores,
                comment=form.comment,
                tags=form.tags,
            )
        except services.AlreadyRated:
            return redirect("ratings:my_rating", case.number)
        except (InvalidInput, RateLimited) as exc:
            form.error, form.field, status = exc.message, exc.field or "", exc.status
        else:
            return redirect(reverse("ratings:my_rating", args=[case.number]) + "?thanks=1")
    context = form.context(ONLINE_INDICATORS) | {"case": case}
    return render(request, "ratings/rate_case.html", context, status=status)


@login_required
def my_rating(request: HttpRequest, number: str) -> HttpResponse:
    """The rating as given (a thank-you right after), its follow-up, and the one 追评."""
    case = get_applicant_case(request.user, number)
    rating = selectors.rating_of_case(case)
    if rating is None:
        return redirect("ratings:rate", case.number)
    status = 200
    follow_up_error = ""
    if request.method == "POST":
        try:
            services.add_follow_up(user=request.user, rating=rating, text=request.POST.get("text", ""))
        except InvalidInput as exc:
            follow_up_error, status = exc.message, exc.status
        else:
            messages.success(request, _("追评已提交。"))
            return redirect("ratings:my_rating", case.number)
    rect = selectors.rectification_of(rating)
    context = {
        "case": case,
        "rating": rating,
        "scores": scores_shown(rating),
        "rect": rect,
        "thanks": request.GET.get("thanks") == "1",
        "can_follow_up": access.can_follow_up(request.user, rating),
        "can_re_rate": rect is not None and access.can_re_rate(request.user, rect),
        "follow_up_error": follow_up_error,
        "follow_up_text": request.POST.get("text", "") if follow_up_error else "",
        "max_comment": services.MAX_COMMENT,
    }
    return render(request, "ratings/my_rating.html", context, status=status)


@login_required
def re_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """After the department rectified a bad rating, the person who gave it rates once more."""
    rect = selectors.rater_rectification(request.user, pk)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.re_rate(user=request.user, rectification=rect, level=request.POST.get("level", ""))
        except InvalidInput as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(reverse("ratings:re_rate", args=[rect.pk]) + "?thanks=1")
    context = {
        "rect": rect,
        "rating": rect.rating,
        "levels": level_choices(),
        "can_re_rate": access.can_re_rate(request.user, rect),
        "error": error,
        "chosen": request.POST.get("level", ""),
        "thanks": request.GET.get("thanks") == "1" and rect.re_rating_level is not None,
    }
    return render(request, "ratings/re_rate.html", context, status=status)
