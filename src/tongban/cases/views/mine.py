"""My cases: the list, a case with its timeline and letters, answering a correction notice,
withdrawing. Every case comes through the applicant-side selector; others get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound, ServiceError

from .. import access, panels, selectors, services
from ..forms import SectionForm, answers
from ..models import Case
from . import joint_applying
from ._common import attachments_by_id, deadline, documents
from .applying import Flow

# Events whose opinion the applicant reads on the timeline (a review note stays internal).
PUBLIC_OPINIONS = {
    "refuse",
    "request_correction",
    "decided",
    "special_started",
    "special_end",
    "forwarded",
    "withdraw",
}


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "kind", None) == "staff":
        return redirect("cases:staff_queue")  # staff have no cases of their own; window drafts are there
    paginator = Paginator(selectors.my_cases(request.user).select_related("enterprise"), 20)
    page = paginator.get_page(request.GET.get("page"))
    drafts = [(d, Flow(d).resume_url()) for d in selectors.my_drafts(request.user)]
    context = {"page_obj": page, "drafts": drafts} | joint_applying.my_cases_context(request.user)
    return render(request, "cases/my_cases.html", context)


@login_required
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.get_applicant_case(request.user, number)
    application = case.application
    form = case.form
    attachments = attachments_by_id(application)
    context = {
        "case": case,
        "events": selectors.timeline(case, staff_view=False),
        "public_opinions": PUBLIC_OPINIONS,
        "deadline": deadline(case),
        "correction": selectors.open_correction(case) if case.status == Case.Status.CORRECTION else None,
        "can_withdraw": access.can_withdraw(request.user, case),
        "correct_refusal": access.refusal(access.check_correct, request.user, case),
        "sections": answers(form.schema, form.layout, case.data, attachments, form.title, mask=True)
        if form
        else [],
        "attachments": [a for a in attachments.values() if a.requirement_id],
        "documents": documents(case),
        "panels": panels.render(request, case, "applicant"),
    }
    return render(request, "cases/my_case.html", context)


@login_required
def my_case_correct(request: HttpRequest, number: str) -> HttpResponse:
    """Answer a correction notice: only the listed fields and materials, in one go."""
    case = selectors.get_applicant_case(request.user, number)
    correction = selectors.open_correction(case) if case.status == Case.Status.CORRECTION else None
    if correction is None:
        messages.info(request, _("该办件当前不需要补正。"))
        return redirect("cases:my_case", case.number)
    access.check_correct(request.user, case)
    form_def = case.form
    materials = list(correction.materials.all())
    kwargs = {
        "schema": form_def.schema,
        "layout": form_def.layout,
        "names": [f for f in correction.fields if f in (form_def.schema.get("properties") or {})],
        "saved": case.data,
        "show_all": True,
        "htmx_url": request.path,
    }
    summary: list[tuple[str, str]] = []
    error = ""
    status = 200
    if request.method == "POST":
        form = SectionForm(**kwargs, post=request.POST, files=request.FILES)
        if not any(k in request.POST for k in ("add_row", "remove_row", "refresh_region")):
            files = {
                m.pk: request.FILES[f"material-{m.pk}"]
                for m in materials
                if f"material-{m.pk}" in request.FILES
            }
            try:
                services.answer_correction(user=request.user, case=case, data=form.to_json(), files=files)
            except services.FormInvalid as exc:
                summary = form.add_schema_errors(exc.fields)
                status = 400
            except NotFound:
                raise
            except ServiceError as exc:  # shown above the form, the answers kept
                error, status = exc.message, exc.status
            else:
                messages.success(request, _("补正材料已提交，办件继续办理。"))
                return redirect("cases:my_case", case.number)
    else:
        form = SectionForm(**kwargs)
    context = {
        "case": case,
        "correction": correction,
        "form": form,
        "materials": materials,
        "summary": summary,
        "error": error,
    }
    return render(request, "cases/my_case_correct.html", context, status=status)


@login_required
def my_case_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    """撤回 with a confirmation step, offered exactly when the service allows it
    (``access.check_withdraw``: status, and an agent's authorised items)."""
    case = selectors.get_applicant_case(request.user, number)
    if request.method == "POST":
        try:
            services.withdraw_case(user=request.user, case=case, reason=request.POST.get("reason", "")[:1000])
        except NotFound:
            raise
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("cases:my_case", case.number)
        messages.success(request, _("办件已撤回。"))
        return redirect("cases:my_case", case.number)
    refused = access.refusal(access.check_withdraw, request.user, case)
    context = {"case": case, "allowed": refused is None, "refusal": refused.message if refused else ""}
    return render(request, "cases/my_case_withdraw.html", context)
