"""Appeals against malicious or mistaken ratings: the department files one, a supervisor decides."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput, NotFound
from tongban.core.masking import mask_name
from tongban.identity.views import staff_required

from .. import access, selectors, services
from ..models import Level
from .common import level_choices, scores_shown


@staff_required
def staff_received(request: HttpRequest) -> HttpResponse:
    """Every rating of the user's own departments, newest first, with a way to appeal."""
    if not access.member_departments(request.user):
        raise NotFound()
    level = request.GET.get("level", "")
    chosen = int(level) if level in {str(v) for v in Level.values} else None
    page = Paginator(selectors.received(request.user, chosen), 50).get_page(request.GET.get("page"))
    context = {"page_obj": page, "levels": level_choices(), "level": level}
    return render(request, "ratings/staff_received.html", context)


@staff_required
def staff_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """A department appeals a rating it considers malicious or mistaken; a supervisor decides."""
    rating = selectors.received_rating(request.user, pk)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.file_appeal(
                actor=request.user, rating=rating, reason=request.POST.get("reason", "")[:2000]
            )
        except InvalidInput as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("申诉已提交，等待监察部门审核。"))
            return redirect("ratings:staff_appeal", rating.pk)
    context = {
        "rating": rating,
        "scores": scores_shown(rating),
        "rater": mask_name(rating.rater_name),
        "appeals": selectors.appeals_of(rating),
        "can_appeal": access.can_file_appeal(request.user, rating),
        "error": error,
        "typed": request.POST.get("reason", "") if error else "",
    }
    return render(request, "ratings/staff_appeal.html", context, status=status)


@staff_required
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    access.check_supervisor(request.user)
    appeal = selectors.supervised_appeal(request.user, pk)
    error = ""
    status = 200
    if request.method == "POST":
        choice = request.POST.get("upheld", "")
        try:
            if choice not in ("1", "0"):
                raise InvalidInput(_("请选择申诉是否成立。"), field="upheld")
            services.decide_appeal(
                actor=request.user,
                appeal=appeal,
                upheld=choice == "1",
                note=request.POST.get("note", "")[:2000],
            )
        except InvalidInput as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("已审核该申诉。"))
            return redirect("ratings:appeal_decide", appeal.pk)
    rating = appeal.rating
    context = {
        "appeal": appeal,
        "rating": rating,
        "scores": scores_shown(rating),
        "rater": mask_name(rating.rater_name),
        "can_decide": access.can_decide_appeal(request.user, appeal),
        "error": error,
        "chosen": request.POST.get("upheld", ""),
        "typed": request.POST.get("note", "") if error else "",
    }
    return render(request, "ratings/appeal_decide.html", context, status=status)
