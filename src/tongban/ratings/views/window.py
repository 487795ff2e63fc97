"""Rating at the window: staff open a visit and show its QR code; the person rates without signing in."""

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput, NotFound
from tongban.core.public import public_reverse
from tongban.core.qr import qr_svg
from tongban.identity.ratelimit import RateLimited
from tongban.identity.views import staff_required

from .. import access, selectors, services
from ..models import WINDOW_INDICATORS
from .common import RateForm


@staff_required
def window_open(request: HttpRequest) -> HttpResponse:
    """Window staff open a visit (optionally for a case) and show its QR code to the person."""
    departments = access.window_departments(request.user)
    if not departments:
        raise NotFound()
    error = ""
    status = 200
    chosen = {"department": request.POST.get("department", ""), "case": request.POST.get("case", "").strip()}
    if request.method == "POST":
        department = departments.get(int(chosen["department"])) if chosen["department"].isdigit() else None
        if department is None and len(departments) == 1:
            department = next(iter(departments.values()))
        case = None
        if department is None:
            error, status = _("请选择部门。"), 400
        elif chosen["case"]:
            case = selectors.department_case(request.user, department, chosen["case"][:40])
            if case is None:
                error, status = (
                    _("本部门没有编号为 %(number)s 的办件。") % {"number": chosen["case"][:40]},
                    400,
                )
        if not error:
            try:
                visit = services.open_window_visit(clerk=request.user, department=department, case=case)
            except InvalidInput as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("ratings:window_visit", visit.token)
    context = {
        "departments": list(departments.values()),
        "chosen": chosen,
        "error": error,
        "recent": selectors.recent_visits(request.user),
    }
    return render(request, "ratings/window_open.html", context, status=status)


@staff_required
def window_visit(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    visit = selectors.staff_visit(request.user, token)
    url = public_reverse("ratings:visit", visit.token)
    context = {
        "visit": visit,
        "url": url,
        "qr": mark_safe(qr_svg(url, _("评价二维码：请用手机扫码评价本次服务"))),  # noqa: S308 - segno's markup, label escaped
        "rated": selectors.visit_rated(visit),
        "expired": visit.expires_at < timezone.now(),
    }
    return render(request, "ratings/window_visit.html", context)


def visit_rate(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The evaluator page behind the QR code: no sign-in, one rating per visit."""
    visit = selectors.visit_by_token(token)
    refused = access.refusal(access.check_rate_visit, request.user, visit)
    if isinstance(refused, access.AlreadyRated):
        return render(request, "ratings/visit_done.html", {"visit": visit})
    if refused is not None and refused.code == "visit_expired":
        return render(request, "ratings/visit_expired.html", {"visit": visit}, status=410)
    if refused is not None:
        raise refused
    form = RateForm()
    status = 200
    if request.method == "POST":
        form = RateForm.from_post(request, WINDOW_INDICATORS)
        try:
            services.rate_visit(
                token=visit.token,
                level=form.level,
                scores=form.scores,
                comment=form.comment,
                tags=form.tags,
                user=request.user,
                client_key=request.META.get("REMOTE_ADDR", ""),
            )
        except services.AlreadyRated:
            return redirect("ratings:visit", visit.token)
        except (InvalidInput, RateLimited) as exc:
            form.error, form.field, status = exc.message, exc.field or "", exc.status
        else:
            return redirect("ratings:visit", visit.token)
    context = form.context(WINDOW_INDICATORS) | {"visit": visit}
    return render(request, "ratings/visit_rate.html", context, status=status)
