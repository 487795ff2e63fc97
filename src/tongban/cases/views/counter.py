"""一窗受理: intake staff choose the item and identify the person at the counter; the
applying pages (``views.applying``) follow."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.identity.views import staff_required

from .. import selectors, services
from .applying import Flow


@staff_required
def window(request: HttpRequest) -> HttpResponse:
    """一窗受理: choose the item, identify the person by ID number, then the applying pages."""
    departments = selectors.intake_departments(request.user)
    if not departments:
        raise Http404()
    items = selectors.window_items(departments)
    error = ""
    status = 200
    chosen = {"item": request.POST.get("item", ""), "id_number": request.POST.get("id_number", "").strip()}
    if request.method == "POST":
        item = next((i for i in items if str(i.pk) == chosen["item"]), None)
        if item is None:
            error, status = _("请选择要办理的事项。"), 400
        else:
            try:
                person = services.counter_applicant(
                    staff=request.user, id_number=chosen["id_number"], department=item.department
                )
                application = services.start_window_application(
                    staff=request.user, item=item, applicant=person
                )
            except (InvalidInput, PermissionDenied) as exc:  # shown beside the form
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 开始窗口受理：%(item)s。")
                    % {"name": person.real_name, "item": item.name},
                )
                return redirect("cases:apply_step", application.public_id, 0)
    drafts = [(d, Flow(d).resume_url()) for d in selectors.my_drafts(request.user)[:20]]
    groups: dict[str, list[ServiceItem]] = {}
    for item in items:
        groups.setdefault(departments[item.department_id].name, []).append(item)
    context = {"groups": groups, "error": error, "chosen": chosen, "drafts": drafts}
    return render(request, "cases/window.html", context, status=status)
