"""跨域通办 pages: the receiving window's intake (异地代收代办) and its list of received
cases, the delivery choice on the check page and the panel on the case pages. The form pages
in between are the ordinary applying pages (``views.applying``)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.catalog.models import ServiceItem
from tongban.catalog.selectors import published_items
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.identity.views import staff_required

from .. import crossregion, services
from ..models import Application, Case
from ..panels import CasePanel
from ..services import crossregion as rules
from ._common import deadline

MODE_LABELS = {
    crossregion.ONLINE: gettext_lazy("全程网办"),
    crossregion.PROXY: gettext_lazy("异地代收代办"),
    crossregion.MULTI: gettext_lazy("多地联办"),
}


def _chosen_item(raw: str) -> ServiceItem | None:
    """The posted item, whatever its mark (the service says why a wrong one is refused)."""
    if not raw.isdigit():
        return None
    return published_items().select_related("department").filter(pk=int(raw)).first()


@staff_required
def receive(request: HttpRequest) -> HttpResponse:
    """异地代收代办: a window clerk takes in a 跨域通办 item of another region for its competent
    department, after checking the applicant's identity and the originals."""
    departments = crossregion.receiving_departments(request.user)
    if not departments:
        raise Http404()
    items = crossregion.receivable_items(departments.values())
    post = request.POST
    chosen = {
        "item": post.get("item", ""),
        "id_number": post.get("id_number", "").strip(),
        "department": post.get("department", "") or str(next(iter(departments))),
        "originals_checked": post.get("originals_checked") == "1",
    }
    error, status = "", 200
    if request.method == "POST":
        item = _chosen_item(chosen["item"])
        receiving = departments.get(int(chosen["department"])) if chosen["department"].isdigit() else None
        try:
            if item is None or receiving is None:
                raise InvalidInput(_("请选择要代收的跨域通办事项。"), field="item")
            # Checked before the registry is read: a refusal changes nothing, not even the log.
            rules.check_receiving(
                request.user, item, receiving, originals_checked=chosen["originals_checked"]
            )
            person = services.counter_applicant(
                staff=request.user, id_number=chosen["id_number"], department=receiving
            )
            application = services.start_window_application(
                staff=request.user,
                item=item,
                applicant=person,
                receiving_department=receiving,
                originals_checked=chosen["originals_checked"],
            )
        except (InvalidInput, PermissionDenied) as exc:  # shown beside the form
            error, status = exc.message, exc.status
        else:
            messages.success(
                request,
                _("已为 %(name)s 开始异地代收：%(item)s（%(department)s 办理）。")
                % {"name": person.real_name, "item": item.name, "department": item.department.name},
            )
            return redirect("cases:apply_step", application.public_id, 0)
    groups: dict[str, list[ServiceItem]] = {}
    for item in items:
        groups.setdefault(f"{item.department.region.name} · {item.department.name}", []).append(item)
    context = {
        "groups": groups,
        "departments": departments,
        "chosen": chosen,
        "error": error,
        "received": crossregion.received_cases(request.user)[:5],
    }
    return render(request, "cases/crossregion_receive.html", context, status=status)


@staff_required
def received(request: HttpRequest) -> HttpResponse:
    """The receiving office's list: the cases it took in, with where they stand."""
    if (
        not crossregion.receiving_departments(request.user)
        and not crossregion.received_cases(request.user).exists()
    ):
        raise Http404()
    cases = list(crossregion.received_cases(request.user)[:200])
    return render(request, "cases/crossregion_received.html", {"cases": cases, "modes": MODE_LABELS})


@staff_required
def received_case(request: HttpRequest, number: str) -> HttpResponse:
    """One received case: status and history for the receiving office, no form data, no tools."""
    case = crossregion.received_case(request.user, number)
    context = {
        "case": case,
        "events": crossregion.received_timeline(case),
        "deadline": deadline(case),
        "mode": MODE_LABELS.get(case.handling_mode, ""),
    }
    return render(request, "cases/crossregion_received_case.html", context)


# ---------------------------------------------------------------- the check page


def check_context(application: Application) -> dict:
    """What the check page adds for a 跨域通办 item: the delivery choice and, for a receiving
    window, the button that passes the case on instead of accepting it."""
    if not application.item.cross_region:
        return {}
    return {
        "cross_region": True,
        "receiving": application.receiving_department_id is not None,
        "delivery": application.delivery or rules.DELIVERY_ONLINE,
        "delivery_address": application.delivery_address,
    }


def save_delivery(request: HttpRequest, application: Application) -> None:
    """The delivery posted with the check page's submit, saved on the draft first (a refused
    choice raises ``InvalidInput`` and nothing is submitted)."""
    if not application.item.cross_region or "delivery" not in request.POST:
        return
    rules.choose_delivery(
        user=request.user,
        application=application,
        delivery=request.POST.get("delivery", ""),
        address=request.POST.get("delivery_address", ""),
    )
    application.refresh_from_db()


# ---------------------------------------------------------------- the case pages' panel


def render_panel(request: HttpRequest, case: Case, page: str) -> str:
    """跨域通办 on the case pages: the mode, the receiving office and the delivery (the
    deciding department sees the post address; it is the applicant's own on their pages)."""
    if not case.handling_mode and case.delivery != rules.DELIVERY_POST:
        return ""
    receiving = case.receiving_department if case.receiving_department_id else None
    return render_to_string(
        "cases/crossregion_panel.html",
        {
            "case": case,
            "page": page,
            "mode": MODE_LABELS.get(case.handling_mode, ""),
            "receiving": receiving,
            "post": case.delivery == rules.DELIVERY_POST,
            "concluding": case.status == Case.Status.PENDING_ISSUE,
        },
        request=request,
    )


PANEL = CasePanel(name="cases.crossregion", render=render_panel)
