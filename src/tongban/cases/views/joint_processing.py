"""Pages of a joint case (联办件) after its submission: the lead's and the departments' view of
all children, the applicant's combined result notice with the whole timeline, and the one
answer to a combined correction notice. Thin: reads from ``joint_access``, writes through
``services.joint_processing``; a child's form data and files stay on the child's own pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound, ServiceError
from tongban.identity.views import staff_required

from .. import joint_access
from ..forms import SectionForm
from ..models import Case
from ..panels import CasePanel
from ..services import FormInvalid, joint_processing
from ._common import DEADLINE_LABELS
from .mine import PUBLIC_OPINIONS


@staff_required
def staff_joint_list(request: HttpRequest) -> HttpResponse:
    """联办件 led by the user's departments, open ones first."""
    paginator = Paginator(joint_access.led_joint_cases(request.user), 20)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(j, joint_access.joint_colour(j)) for j in page.object_list]
    return render(
        request,
        "cases/joint_staff_list.html",
        {"page_obj": page, "rows": rows, "labels": DEADLINE_LABELS},
    )


@staff_required
def staff_joint(request: HttpRequest, number: str) -> HttpResponse:
    joint = joint_access.get_joint_for_staff(request.user, number)
    view = joint_access.staff_view(request.user, joint)
    own = {r.case.pk for r in view.rows if r.own}
    context = {
        "view": view,
        "joint": joint,
        "labels": DEADLINE_LABELS,
        "events": joint_access.timeline(joint, request.user, staff=True),
        "own_ids": own,
        "notices": joint_access.result_notices(joint) if view.lead else [],
        "correction": joint_access.open_correction_notice(joint) if view.lead else None,
    }
    return render(request, "cases/joint_staff.html", context)


@login_required
def my_joint_result(request: HttpRequest, number: str) -> HttpResponse:
    """The combined result notice (统一出件), every child's status and the joint timeline."""
    joint = joint_access.get_joint_for_applicant(request.user, number)
    view = joint_access.applicant_view(joint)
    context = {
        "view": view,
        "joint": joint,
        "labels": DEADLINE_LABELS,
        "events": joint_access.timeline(joint, request.user, staff=False),
        "public_opinions": PUBLIC_OPINIONS,
        "results": joint_access.result_notices(joint),
        "correction": joint_access.open_correction_notice(joint),
    }
    return render(request, "cases/joint_result.html", context)


def _correction_form(request: HttpRequest, pairs: list, post: bool) -> tuple[SectionForm, list[dict]]:
    """One form over the union of the fields the departments listed (a field several asked for
    appears once) and one upload per material (several departments' same material, once)."""
    props: dict = {}
    required: set[str] = set()
    saved: dict = {}
    names: list[str] = []
    groups: dict[str, dict] = {}
    for child, correction in pairs:
        schema = child.form.schema if child.form else {}
        for name in correction.fields:
            if name in (schema.get("properties") or {}) and name not in props:
                props[name] = schema["properties"][name]
                names.append(name)
                saved[name] = (child.data or {}).get(name)
                if name in (schema.get("required") or []):
                    required.add(name)
        for material in correction.materials.all():
            code = material.material_code or str(material.pk)
            group = groups.setdefault(
                code, {"key": str(material.pk), "name": material.name, "pks": [], "asked_by": []}
            )
            group["pks"].append(material.pk)
            group["asked_by"].append(child.department.name)
    kwargs = {
        "schema": {"type": "object", "properties": props, "required": sorted(required)},
        "layout": {},
        "names": names,
        "saved": saved,
        "show_all": True,
        "htmx_url": request.path,
    }
    if post:
        return SectionForm(**kwargs, post=request.POST, files=request.FILES), list(groups.values())
    return SectionForm(**kwargs), list(groups.values())


@login_required
def my_joint_correct(request: HttpRequest, number: str) -> HttpResponse:
    """Answer every department's correction request at once (一次告知, 一次补正)."""
    joint = joint_access.get_joint_for_applicant(request.user, number)
    pairs = joint_processing.open_joint_corrections(joint)
    if not pairs:
        messages.info(request, _("该联办件当前不需要补正。"))
        return redirect("cases:my_joint_result", joint.number)
    posted = request.method == "POST"
    form, groups = _correction_form(request, pairs, posted)
    summary: list[tuple[str, str]] = []
    error, status = "", 200
    if posted and not any(k in request.POST for k in ("add_row", "remove_row", "refresh_region")):
        files = {}
        for group in groups:
            upload = request.FILES.get(f"material-{group['key']}")
            if upload is not None:
                files.update(dict.fromkeys(group["pks"], upload))
        try:
            joint_processing.answer_joint_correction(
                user=request.user, joint=joint, data=form.to_json(), files=files
            )
        except FormInvalid as exc:
            summary = form.add_schema_errors(exc.fields)
            status = 400
        except NotFound:
            raise
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _("补正已提交，各部门继续办理。"))
            return redirect("cases:my_joint_result", joint.number)
    context = {
        "joint": joint,
        "pairs": pairs,
        "form": form,
        "groups": groups,
        "summary": summary,
        "error": error,
    }
    return render(request, "cases/joint_result_correct.html", context, status=status)


def joint_panel(request: HttpRequest, case: Case, page: str) -> str:
    """On a child's own pages: which joint case it belongs to, with the way to the whole of it
    (the staff's joint view, the applicant's result page)."""
    if not case.joint_id or page == "done":
        return ""
    joint = case.joint
    url = reverse("cases:staff_joint" if page == "staff" else "cases:my_joint_result", args=[joint.number])
    return render_to_string(
        "cases/joint_staff_panel.html", {"case": case, "joint": joint, "url": url, "page": page}, request
    )


PANEL = CasePanel("cases.joint", joint_panel)
