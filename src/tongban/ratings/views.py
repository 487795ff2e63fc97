"""好差评 pages: thin — parse, call a service or selector, render.

Citizens rate a finished case once, add one 追评 and rate again after a rectification; a person
at the window rates a visit through its QR code without signing in; department staff call back
and rectify bad ratings and appeal malicious ones; supervisors see overdue follow-ups, decide
appeals, export and rank. Outsiders get 404 (they learn nothing). No JavaScript is needed.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tongban.cases.models import Case
from tongban.cases.selectors import get_applicant_case, staff_cases
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.core.masking import mask_mobile, mask_name
from tongban.core.public import public_reverse
from tongban.core.qr import qr_svg
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole
from tongban.identity.views import staff_required
from tongban.regions.codes import RegionCodeError, ancestor_codes, normalize_region_code
from tongban.regions.models import Region
from tongban.workdays import calendar

from . import selectors, services
from .export import to_csv, to_xlsx
from .models import ONLINE_INDICATORS, WINDOW_INDICATORS, Appeal, Level, Rating, Rectification, WindowVisit
from .templatetags.tongban_ratings import stars

# ---------------------------------------------------------------- helpers


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


def _level_choices() -> list[tuple[int, str, str]]:
    """(value, label, stars) from 非常满意 down to 非常不满意; the stars are decoration only."""
    return [(level.value, level.label, stars(level.value)) for level in Level]


@dataclass
class RateForm:
    """What a person typed on a rating page, shown again with the service's message on error."""

    level: str = ""
    scores: dict | None = None
    comment: str = ""
    tags: list | None = None
    error: str = ""
    field: str = ""

    @classmethod
    def from_post(cls, request: HttpRequest, indicators: dict) -> "RateForm":
        scores = {key: request.POST.get(f"score_{key}", "") for key in indicators}
        return cls(
            level=request.POST.get("level", ""),
            scores={k: v for k, v in scores.items() if v},
            comment=request.POST.get("comment", "")[: services.MAX_COMMENT * 2],
            tags=request.POST.getlist("tags")[:20],
        )

    def context(self, indicators: dict) -> dict:
        scores = self.scores or {}
        anchor = {"level": "level-5", "comment": "comment", "tags": "tag-0"}.get(self.field, "")
        if self.field.startswith("scores."):
            anchor = f"score-{self.field.split('.', 1)[1]}-5"
        return {
            "levels": _level_choices(),
            "indicators": [(key, label, str(scores.get(key, ""))) for key, label in indicators.items()],
            "points": [5, 4, 3, 2, 1],
            "all_tags": services.TAGS,
            "form": self,
            "chosen_tags": self.tags or [],
            "error_anchor": anchor or "level-5",
            "max_comment": services.MAX_COMMENT,
        }


def _scores_shown(rating: Rating) -> list[tuple[str, int]]:
    indicators = ONLINE_INDICATORS if rating.channel == Rating.Channel.ONLINE else WINDOW_INDICATORS
    return [
        (str(indicators[key]), value) for key, value in (rating.scores or {}).items() if key in indicators
    ]


@dataclass
class Due:
    """A follow-up deadline for the task lists: colour always with a text label."""

    date: dt.date
    colour: str
    label: str
    remaining: int | None
    finished: bool = False


def due_state(due: dt.date, done_at: dt.datetime | None, today: dt.date) -> Due:
    """Green until two working days before, yellow on the last two, red after; done is plain."""
    if done_at is not None:
        done_on = timezone.localtime(done_at).date()
        if done_on > due:
            return Due(due, "red", _("逾期完成"), None, finished=True)
        return Due(due, "done", _("已按期完成"), None, finished=True)
    if today > due:
        return Due(due, "red", _("已超期"), None)
    remaining = calendar.workdays_between(today, due) if today < due else 0
    if today == due:
        return Due(due, "yellow", _("今日到期"), 0)
    if remaining <= 2:
        return Due(due, "yellow", _("即将到期"), remaining)
    return Due(due, "green", _("正常"), remaining)


def _task_row(rect: Rectification, today: dt.date) -> dict:
    callback = due_state(rect.callback_due, rect.called_back_at, today)
    rectify = due_state(rect.rectify_due, rect.rectified_at, today)
    if rect.status == Rectification.Status.RECTIFIED:
        colour = "done"
    else:
        pending = [d.colour for d in (callback, rectify) if not d.finished]
        colour = next((c for c in ("red", "yellow") if c in pending), "green")
    return {"rect": rect, "callback": callback, "rectify": rectify, "colour": colour}


def _member_departments(user: Any, role: str | None = None) -> dict[int, Department]:  # noqa: ANN401
    return {
        m.department_id: m.department for m in permissions.memberships(user) if role is None or m.role == role
    }


# ---------------------------------------------------------------- citizen: rate a finished case


def _applicant_case(request: HttpRequest, number: str) -> Case:
    try:
        return get_applicant_case(request.user, number)
    except NotFound as exc:
        raise _not_found(exc) from exc


@login_required
def rate_case(request: HttpRequest, number: str) -> HttpResponse:
    """Five levels, the online indicators, a comment and tags; once per case, never required."""
    case = _applicant_case(request, number)
    if Rating.objects.filter(case=case).exists():
        return redirect("ratings:my_rating", case.number)
    if case.status not in services.RATEABLE:
        messages.info(request, _("办件办结后才能评价。"))
        return redirect("cases:my_case", case.number)
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
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            form.error, form.field, status = exc.message, exc.field or "", exc.status
        else:
            return redirect(reverse("ratings:my_rating", args=[case.number]) + "?thanks=1")
    context = form.context(ONLINE_INDICATORS) | {"case": case}
    return render(request, "ratings/rate_case.html", context, status=status)


@login_required
def my_rating(request: HttpRequest, number: str) -> HttpResponse:
    """The rating as given (a thank-you right after), its follow-up, and the one 追评."""
    case = _applicant_case(request, number)
    rating = Rating.objects.filter(case=case).select_related("department").first()
    if rating is None:
        return redirect("ratings:rate", case.number)
    status = 200
    follow_up_error = ""
    if request.method == "POST":
        try:
            services.add_follow_up(user=request.user, rating=rating, text=request.POST.get("text", ""))
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            follow_up_error, status = exc.message, exc.status
        else:
            messages.success(request, _("追评已提交。"))
            return redirect("ratings:my_rating", case.number)
    rect = Rectification.objects.filter(rating=rating).first()
    mine = rating.rater_id == request.user.pk
    context = {
        "case": case,
        "rating": rating,
        "scores": _scores_shown(rating),
        "rect": rect,
        "thanks": request.GET.get("thanks") == "1",
        "can_follow_up": mine and rating.followed_up_at is None,
        "can_re_rate": mine and rect is not None and rect.re_rating_invited and rect.re_rating_level is None,
        "follow_up_error": follow_up_error,
        "follow_up_text": request.POST.get("text", "") if follow_up_error else "",
        "max_comment": services.MAX_COMMENT,
    }
    return render(request, "ratings/my_rating.html", context, status=status)


@login_required
def re_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """After the department rectified a bad rating, the person who gave it rates once more."""
    rect = (
        Rectification.objects.select_related("rating", "rating__case", "rating__case__item", "department")
        .filter(pk=pk, rating__rater=request.user)
        .first()
    )
    if rect is None:
        raise Http404()
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.re_rate(user=request.user, rectification=rect, level=request.POST.get("level", ""))
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(reverse("ratings:re_rate", args=[rect.pk]) + "?thanks=1")
    context = {
        "rect": rect,
        "rating": rect.rating,
        "levels": _level_choices(),
        "error": error,
        "chosen": request.POST.get("level", ""),
        "thanks": request.GET.get("thanks") == "1" and rect.re_rating_level is not None,
    }
    return render(request, "ratings/re_rate.html", context, status=status)


# ---------------------------------------------------------------- window: QR code and evaluator


@staff_required
def window_open(request: HttpRequest) -> HttpResponse:
    """Window staff open a visit (optionally for a case) and show its QR code to the person."""
    departments = _member_departments(request.user, StaffRole.INTAKE)
    if not departments:
        raise Http404()
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
            case = staff_cases(request.user).filter(number=chosen["case"][:40], department=department).first()
            if case is None:
                error, status = (
                    _("本部门没有编号为 %(number)s 的办件。") % {"number": chosen["case"][:40]},
                    400,
                )
        if not error:
            try:
                visit = services.open_window_visit(clerk=request.user, department=department, case=case)
            except ServiceError as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("ratings:window_visit", visit.token)
    recent = (
        WindowVisit.objects.filter(clerk=request.user)
        .annotate(rated=Exists(Rating.objects.filter(visit=OuterRef("pk"))))
        .select_related("department", "case")[:10]
    )
    context = {"departments": list(departments.values()), "chosen": chosen, "error": error, "recent": recent}
    return render(request, "ratings/window_open.html", context, status=status)


@staff_required
def window_visit(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    visit = (
        WindowVisit.objects.select_related("department", "case", "item")
        .filter(token=token, department__in=list(_member_departments(request.user)))
        .first()
    )
    if visit is None:
        raise Http404()
    url = public_reverse("ratings:visit", visit.token)
    context = {
        "visit": visit,
        "url": url,
        "qr": mark_safe(qr_svg(url, _("评价二维码：请用手机扫码评价本次服务"))),  # noqa: S308 - segno's markup, label escaped
        "rated": Rating.objects.filter(visit=visit).exists(),
        "expired": visit.expires_at < timezone.now(),
    }
    return render(request, "ratings/window_visit.html", context)


def visit_rate(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The evaluator page behind the QR code: no sign-in, one rating per visit."""
    visit = WindowVisit.objects.select_related("department", "item").filter(token=token).first()
    if visit is None:
        raise Http404()
    rated = Rating.objects.filter(visit=visit).exists()
    if rated:
        return render(request, "ratings/visit_done.html", {"visit": visit})
    if visit.expires_at < timezone.now():
        return render(request, "ratings/visit_expired.html", {"visit": visit}, status=410)
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
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            form.error, form.field, status = exc.message, exc.field or "", exc.status
        else:
            return redirect("ratings:visit", visit.token)
    context = form.context(WINDOW_INDICATORS) | {"visit": visit}
    return render(request, "ratings/visit_rate.html", context, status=status)


# ---------------------------------------------------------------- department staff: follow-up and appeals

TASK_FILTERS = {
    "pending": (_("待处理"), Q(status__in=[Rectification.Status.OPEN, Rectification.Status.CALLED_BACK])),
    "open": (_("待回访"), Q(status=Rectification.Status.OPEN)),
    "called_back": (_("整改中"), Q(status=Rectification.Status.CALLED_BACK)),
    "rectified": (_("已整改"), Q(status=Rectification.Status.RECTIFIED)),
    "all": (_("全部"), Q()),
}


@staff_required
def staff_tasks(request: HttpRequest) -> HttpResponse:
    """差评 follow-up tasks of the user's departments (a supervisor's: the region's), soonest first."""
    show = request.GET.get("status", "pending")
    if show not in TASK_FILTERS:
        show = "pending"
    tasks = selectors.rectifications_for(request.user).filter(TASK_FILTERS[show][1])
    tasks = tasks.select_related("rating__item").order_by("rectified_at", "callback_due", "rectify_due", "id")
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "page_obj": page,
        "rows": [_task_row(r, today) for r in page.object_list],
        "filters": [(key, label) for key, (label, _q) in TASK_FILTERS.items()],
        "show": show,
        "is_member": bool(permissions.memberships(request.user)),
        "is_supervisor": bool(permissions.supervised_region_codes(request.user)),
        "can_open_visits": bool(_member_departments(request.user, StaffRole.INTAKE)),
        "callback_days": services.CALLBACK_WORKDAYS,
        "rectify_days": services.RECTIFY_WORKDAYS,
    }
    return render(request, "ratings/staff_tasks.html", context)


def _contact(rating: Rating) -> dict:
    """Who to call back: the applicant's number from the case, else the rater's account."""
    case = rating.case
    mobile = ""
    if case is not None:
        mobile = str((case.data or {}).get("mobile") or "") or (case.applicant.mobile or "")
    elif rating.rater is not None:
        mobile = rating.rater.mobile or ""
    return {"name": rating.rater_name or (case.applicant_name if case else ""), "mobile": mobile}


@staff_required
def staff_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: the rating, the call-back, then the outcome (which invites a new rating)."""
    rect = (
        selectors.rectifications_for(request.user)
        .select_related("rating__item", "rating__rater", "rating__case__applicant", "handled_by")
        .filter(pk=pk)
        .first()
    )
    if rect is None:
        raise Http404()
    is_member = rect.department_id in _member_departments(request.user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        text = request.POST.get("text", "")[:2000]
        try:
            if action == "callback":
                services.record_callback(actor=request.user, rectification=rect, note=text)
                done = _("回访已记录，请在整改期限内完成整改。")
            elif action == "complete":
                services.complete_rectification(actor=request.user, rectification=rect, outcome=text)
                done = _("整改已完成，已邀请评价人再次评价。")
            else:
                raise InvalidInput(_("未知操作。"))
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            errors[action or ""] = exc.message
            status = exc.status
        else:
            messages.success(request, done)
            return redirect("ratings:staff_task", rect.pk)
    rating = rect.rating
    contact = _contact(rating)
    context = {
        "rect": rect,
        "rating": rating,
        "scores": _scores_shown(rating),
        "row": _task_row(rect, timezone.localdate()),
        "is_member": is_member,
        # Those who call back need the number in full; a supervisor looking on does not.
        "contact_name": contact["name"] if is_member else mask_name(contact["name"]),
        "contact_mobile": contact["mobile"] if is_member else mask_mobile(contact["mobile"]),
        "errors": errors,
        "typed": request.POST.get("text", "") if errors else "",
        "appeals": list(rating.appeals.all()),
    }
    return render(request, "ratings/staff_task.html", context, status=status)


@staff_required
def staff_received(request: HttpRequest) -> HttpResponse:
    """Every rating of the user's own departments, newest first, with a way to appeal."""
    departments = _member_departments(request.user)
    if not departments:
        raise Http404()
    ratings = (
        Rating.objects.filter(department__in=list(departments))
        .select_related("department", "item", "case", "rectification")
        .prefetch_related("appeals")
    )
    level = request.GET.get("level", "")
    if level in {str(v) for v in Level.values}:
        ratings = ratings.filter(level=int(level))
    page = Paginator(ratings, 50).get_page(request.GET.get("page"))
    context = {"page_obj": page, "levels": _level_choices(), "level": level}
    return render(request, "ratings/staff_received.html", context)


@staff_required
def staff_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """A department appeals a rating it considers malicious or mistaken; a supervisor decides."""
    departments = _member_departments(request.user)
    rating = (
        Rating.objects.select_related("department", "item", "case")
        .filter(pk=pk, department__in=list(departments))
        .first()
    )
    if rating is None:
        raise Http404()
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.file_appeal(
                actor=request.user, rating=rating, reason=request.POST.get("reason", "")[:2000]
            )
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("申诉已提交，等待监察部门审核。"))
            return redirect("ratings:staff_appeal", rating.pk)
    context = {
        "rating": rating,
        "scores": _scores_shown(rating),
        "rater": mask_name(rating.rater_name),
        "appeals": list(rating.appeals.select_related("submitted_by", "decided_by")),
        "can_appeal": not rating.appeals.filter(
            status__in=[Appeal.Status.PENDING, Appeal.Status.UPHELD]
        ).exists(),
        "error": error,
        "typed": request.POST.get("reason", "") if error else "",
    }
    return render(request, "ratings/staff_appeal.html", context, status=status)


# ---------------------------------------------------------------- supervisors


def _supervised(request: HttpRequest) -> list[str]:
    codes = permissions.supervised_region_codes(request.user)
    if not codes:
        raise Http404()
    return codes


@staff_required
def supervision(request: HttpRequest) -> HttpResponse:
    """Overdue follow-ups, recently closed ones, appeals to decide, exports and the region's ranking."""
    codes = _supervised(request)
    today = timezone.localdate()
    overdue = selectors.overdue_rectifications(request.user, on=today).select_related("rating__item")[:100]
    closed = (
        selectors.rectifications_for(request.user)
        .filter(status=Rectification.Status.RECTIFIED)
        .select_related("rating__item")
        .order_by("-rectified_at")[:20]
    )
    appeals = (
        Appeal.objects.filter(status=Appeal.Status.PENDING)
        .filter(selectors.in_regions(codes, "department__region__code"))
        .select_related("rating", "department")
        .order_by("submitted_at")[:100]
    )
    period = parse_period(str(today.year), today)
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    rankings = [
        (regions.get(code), selectors.ranking(region_code=code, start=period.start, end=period.end))
        for code in codes
    ]
    context = {
        "overdue": [_task_row(r, today) for r in overdue],
        "closed": [_task_row(r, today) for r in closed],
        "appeals": appeals,
        "rankings": rankings,
        "period": period,
        "today": today,
        "year_start": dt.date(today.year, 1, 1),
    }
    return render(request, "ratings/supervision.html", context)


@staff_required
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    codes = _supervised(request)
    appeal = (
        Appeal.objects.select_related(
            "rating__item", "rating__case", "department", "submitted_by", "decided_by"
        )
        .filter(selectors.in_regions(codes, "department__region__code"), pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404()
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
        except NotFound as exc:
            raise _not_found(exc) from exc
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("已审核该申诉。"))
            return redirect("ratings:appeal_decide", appeal.pk)
    rating = appeal.rating
    context = {
        "appeal": appeal,
        "rating": rating,
        "scores": _scores_shown(rating),
        "rater": mask_name(rating.rater_name),
        "error": error,
        "chosen": request.POST.get("upheld", ""),
        "typed": request.POST.get("note", "") if error else "",
    }
    return render(request, "ratings/appeal_decide.html", context, status=status)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_required
def export(request: HttpRequest) -> HttpResponse:
    """CSV or XLSX of the region's ratings (names masked, formulas neutralised)."""
    _supervised(request)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    # The form's end date is inclusive; the selector's is not.
    ratings = selectors.ratings_for_export(
        request.user, start=start, end=end + dt.timedelta(days=1) if end else None
    )
    if request.GET.get("format") == "xlsx":
        body, mime, ext = (
            to_xlsx(ratings),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    else:
        body, mime, ext = to_csv(ratings), "text/csv; charset=utf-8", "csv"
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="ratings-{timezone.localdate():%Y%m%d}.{ext}"'
    return response


# ---------------------------------------------------------------- public rankings


@dataclass
class Period:
    value: str
    label: str
    start: dt.date | None
    end: dt.date | None


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(value: str, today: dt.date) -> Period | None:
    """``all``, ``2026``, ``2026-11`` or ``2026-Q4`` → dates [start, end); None when unreadable."""
    value = (value or "").strip()
    if value == "all":
        return Period("all", _("全部时间"), None, None)
    try:
        if len(value) == 4 and value.isdigit():
            year = int(value)
            return Period(
                value, _("%(year)s 年") % {"year": year}, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
            )
        if len(value) == 7 and value[4] == "-" and value[5:].isdigit():
            start = dt.date(int(value[:4]), int(value[5:]), 1)
            label = _("%(year)s 年 %(month)s 月") % {"year": start.year, "month": start.month}
            return Period(value, label, start, _add_months(start, 1))
        if len(value) == 7 and value[4:6].upper() == "-Q" and value[6] in "1234":
            start = dt.date(int(value[:4]), (int(value[6]) - 1) * 3 + 1, 1)
            label = _("%(year)s 年第 %(q)s 季度") % {"year": start.year, "q": value[6]}
            return Period(value.upper(), label, start, _add_months(start, 3))
    except ValueError:
        return None
    return None


def period_choices(today: dt.date) -> list[Period]:
    month = today.replace(day=1)
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    values = [
        f"{month:%Y-%m}",
        f"{_add_months(month, -1):%Y-%m}",
        quarter,
        str(today.year),
        str(today.year - 1),
        "all",
    ]
    return [p for p in (parse_period(v, today) for v in values) if p is not None]


def _region_options(selected: Region | None) -> list[Region]:
    """Regions that hold rated departments, with their ancestors (for the region filter)."""
    rated = (
        Department.objects.filter(Exists(Rating.objects.filter(department=OuterRef("pk"))))
        .values_list("region__code", flat=True)
        .distinct()[:500]
    )
    codes: set[str] = set()
    for code in rated:
        codes.update(ancestor_codes(code))
    if selected is not None:
        codes.update(ancestor_codes(selected.code))
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def rankings(request: HttpRequest) -> HttpResponse:
    """Departments ranked by region and period, with the arithmetic on the page."""
    today = timezone.localdate()
    notes: list[str] = []
    raw_period = request.GET.get("period", "")
    period = parse_period(raw_period, today) if raw_period else None
    if period is None:
        if raw_period:
            notes.append(_("统计周期“%(value)s”无法识别，已显示本年度排名。") % {"value": raw_period[:20]})
        period = parse_period(str(today.year), today)
    raw_region = request.GET.get("region", None)
    if raw_region is None:
        raw_region = getattr(request, "region_code", "") or ""
    region = None
    if raw_region:
        try:
            region = Region.objects.filter(code=normalize_region_code(raw_region)).first()
        except RegionCodeError:
            region = None
        if region is None:
            notes.append(_("找不到行政区划“%(value)s”，已显示全部区划。") % {"value": raw_region[:20]})
    rows = selectors.ranking(region_code=region.code if region else "", start=period.start, end=period.end)
    choices = period_choices(today)
    if period.value not in {p.value for p in choices}:
        choices.insert(0, period)
    context = {
        "rows": rows,
        "region": region,
        "period": period,
        "periods": choices,
        "regions": _region_options(region),
        "notes": notes,
    }
    return render(request, "ratings/rankings.html", context)
