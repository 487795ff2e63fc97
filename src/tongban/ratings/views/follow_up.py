"""差评 follow-up for the department: call back within one working day, rectify within fifteen."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput
from tongban.core.masking import mask_mobile, mask_name
from tongban.identity.views import staff_required

from .. import access, selectors, services
from ..models import Rectification
from .common import scores_shown, task_row

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
        "rows": [task_row(r, today) for r in page.object_list],
        "filters": [(key, label) for key, (label, _q) in TASK_FILTERS.items()],
        "show": show,
        "is_member": bool(access.member_departments(request.user)),
        "is_supervisor": access.is_supervisor(request.user),
        "can_open_visits": bool(access.window_departments(request.user)),
        "callback_days": services.CALLBACK_WORKDAYS,
        "rectify_days": services.RECTIFY_WORKDAYS,
    }
    return render(request, "ratings/staff_tasks.html", context)


@staff_required
def staff_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: the rating, the call-back, then the outcome (which invites a new rating)."""
    rect = selectors.task(request.user, pk)
    is_member = access.is_department_staff(request.user, rect.department)
    errors: dict[str, str] = {}
    status = 200
    revealed = ""
    if request.method == "POST":
        action = request.POST.get("action")
        text = request.POST.get("text", "")[:2000]
        try:
            if action == "reveal":
                revealed = services.reveal_contact(actor=request.user, rectification=rect)
            elif action == "callback":
                services.record_callback(actor=request.user, rectification=rect, note=text)
                done = _("回访已记录，请在整改期限内完成整改。")
            elif action == "complete":
                services.complete_rectification(actor=request.user, rectification=rect, outcome=text)
                done = _("整改已完成，已邀请评价人再次评价。")
            else:
                raise InvalidInput(_("未知操作。"))
        except InvalidInput as exc:
            errors[action or ""] = exc.message
            status = exc.status
        else:
            if not revealed:
                messages.success(request, done)
                return redirect("ratings:staff_task", rect.pk)
    rating = rect.rating
    contact = selectors.callback_contact(rating)
    context = {
        "rect": rect,
        "rating": rating,
        "scores": scores_shown(rating),
        "row": task_row(rect, timezone.localdate()),
        "is_member": is_member,
        "can_callback": access.can_record_callback(request.user, rect),
        "can_complete": access.can_complete_rectification(request.user, rect),
        # Masked for everyone; those who call back reveal it with one logged action.
        "contact_name": contact["name"] if is_member else mask_name(contact["name"]),
        "contact_mobile": mask_mobile(contact["mobile"]),
        "revealed_mobile": revealed,
        "can_reveal": is_member and bool(contact["mobile"]) and not revealed,
        "errors": errors,
        "typed": request.POST.get("text", "") if errors else "",
        "appeals": selectors.appeals_of(rating),
    }
    return render(request, "ratings/staff_task.html", context, status=status)
