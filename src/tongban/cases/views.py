"""Pages of applying and processing: thin — parse, call a service or selector, render.

Applicant: one-time notice → form steps (layout sections, save and return) → materials →
check your answers → submit (idempotent) → confirmation; my cases with timeline, correction,
withdrawal and downloads. Staff: queue, case page with the actions of the current step, window
intake (一窗受理). Every object comes through ``cases.access``/``cases.selectors``; outsiders
get 404. Everything works without JavaScript; htmx only refreshes the region chain in place.
"""

import html
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.catalog.models import Channel, MaterialRequirement
from tongban.catalog.selectors import published_items
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.masking import mask_id_number
from tongban.forms.schema import validate_data
from tongban.identity import permissions
from tongban.identity.actors import current_actor
from tongban.identity.models import StaffRole
from tongban.identity.views import staff_required

from . import clock, document_templates, selectors, services
from .access import get_application_for, get_case_for
from .documents import available_documents
from .forms import SectionForm, answers, is_application_form, materials_to_upload, steps_of
from .models import Application, Case

DEADLINE_LABELS = {
    "green": _("正常"),
    "yellow": _("即将到期"),
    "red": _("已超期"),
    "paused": _("暂停计时"),
    "none": "—",
}
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


def _refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    return render(request, "cases/refused.html", {"message": exc.message}, status=exc.status)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# ---------------------------------------------------------------- applying


def _application(request: HttpRequest, pid: uuid.UUID) -> Application:
    try:
        return get_application_for(request.user, pid)
    except NotFound as exc:
        raise Http404(exc.message) from exc


class Flow:
    """Where an application's pages are: form steps, then materials (if any), then check."""

    def __init__(self, application: Application):
        self.application = application
        form = application.form
        self.steps = steps_of(form.schema, form.layout, form.title) if form else []
        self.materials = materials_to_upload(application.item.materials.all(), application.channel)

    @property
    def last_form_step(self) -> int:
        return len(self.steps) - 1

    def url_after_form(self) -> str:
        name = "cases:apply_materials" if self.materials else "cases:apply_check"
        return reverse(name, args=[self.application.public_id])

    def resume_url(self) -> str:
        if self.application.step <= self.last_form_step:
            return reverse("cases:apply_step", args=[self.application.public_id, self.application.step])
        return self.url_after_form()

    def progress(self, current: str) -> list[dict]:
        """Every stage for the progress list; ``current`` is "step-N", "materials" or "check"."""
        pid = self.application.public_id
        stages = [
            {
                "key": f"step-{s.index}",
                "title": s.title,
                "url": reverse("cases:apply_step", args=[pid, s.index]),
            }
            for s in self.steps
        ]
        if self.materials:
            stages.append(
                {
                    "key": "materials",
                    "title": _("上传材料"),
                    "url": reverse("cases:apply_materials", args=[pid]),
                }
            )
        stages.append(
            {"key": "check", "title": _("核对并提交"), "url": reverse("cases:apply_check", args=[pid])}
        )
        for stage in stages:
            stage["current"] = stage["key"] == current
        return stages

    def context(self, current: str) -> dict:
        stages = self.progress(current)
        position = next((i for i, s in enumerate(stages) if s["current"]), 0)
        return {
            "application": self.application,
            "item": self.application.item,
            "stages": stages,
            "stage_number": position + 1,
            "stage_total": len(stages),
            "window": self.application.channel == Channel.WINDOW,
        }


def _draft_or_elsewhere(request: HttpRequest, application: Application) -> HttpResponse | None:
    """Submitted drafts go to their confirmation, expired ones to an explanation."""
    if application.status == Application.Status.SUBMITTED:
        return redirect("cases:apply_done", application.public_id)
    if application.status == Application.Status.EXPIRED or application.expires_at <= timezone.now():
        return render(request, "cases/apply_expired.html", {"item": application.item}, status=410)
    return None


@login_required
def apply_notice(request: HttpRequest, code: str) -> HttpResponse:
    """一次性告知: everything the applicant needs before starting, then start (POST)."""
    item = published_items().prefetch_related("materials", "fees").filter(code=code).first()
    if item is None:
        raise Http404()
    actor = current_actor(request)
    if request.method == "POST":
        try:
            application = services.start_application(
                user=request.user, item=item, enterprise=actor.enterprise
            )
        except ServiceError as exc:
            return _refused(request, exc)
        return redirect("cases:apply_step", application.public_id, 0)
    drafts = [d for d in selectors.my_drafts(request.user) if d.item_id == item.pk]
    materials = list(item.materials.all())
    context = {
        "item": item,
        "materials": materials,
        "filled_online": {m.pk for m in materials if is_application_form(m)},
        "fees": list(item.fees.all()),
        "actor": actor,
        "drafts": [(d, Flow(d).resume_url()) for d in drafts],
        "can_apply": getattr(request.user, "kind", "") == "citizen",
    }
    return render(request, "cases/apply_notice.html", context)


def _attachments_by_id(application: Application) -> dict[str, Any]:
    return {str(a.public_id): a for a in selectors.current_attachments(application)}


@login_required
def apply_step(request: HttpRequest, pid: uuid.UUID, n: int) -> HttpResponse:
    application = _application(request, pid)
    elsewhere = _draft_or_elsewhere(request, application)
    if elsewhere is not None:
        return elsewhere
    flow = Flow(application)
    if n > flow.last_form_step:
        raise Http404()
    step = flow.steps[n]
    prefilled = services.prefilled_fields(application)
    back_to_check = request.GET.get("return") == "check" or request.POST.get("return") == "check"
    kwargs = {
        "schema": application.form.schema,
        "layout": application.form.layout,
        "names": step.fields,
        "saved": application.data,
        "prefilled": prefilled,
        "attachments": _attachments_by_id(application),
        "htmx_url": request.path,
    }
    summary: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        form = SectionForm(**kwargs, post=request.POST, files=request.FILES)
        rearranging = any(k in request.POST for k in ("add_row", "remove_row", "refresh_region"))
        if not rearranging:
            action = request.POST.get("action", "save")
            errors, application = _save_step(request, application, form, step.fields, action, n)
            if not errors:
                if action == "next":
                    if back_to_check:
                        return redirect("cases:apply_check", application.public_id)
                    if n < flow.last_form_step:
                        return redirect("cases:apply_step", application.public_id, n + 1)
                    return redirect(flow.url_after_form())
                if action == "back":
                    if n == 0:
                        return redirect("cases:apply", application.item.code)
                    return redirect("cases:apply_step", application.public_id, n - 1)
                messages.success(
                    request,
                    _("草稿已保存，保留至 %(date)s。您可以随时从“我的办件”继续填写。")
                    % {"date": _local(application.expires_at)},
                )
                return redirect(request.get_full_path())
            # Show the page again with what was typed and the schema's messages.
            form = SectionForm(
                **{**kwargs, "saved": application.data}, post=request.POST, files=request.FILES
            )
            summary = form.add_schema_errors(_name_other_steps(errors, flow, n))
            status = 400
    else:
        form = SectionForm(**kwargs)
    context = flow.context(f"step-{n}") | {
        "form": form,
        "step": step,
        "n": n,
        "summary": summary,
        "back_to_check": back_to_check,
        "has_prefilled": any(e.kind == "prefilled" for e in form.entries),
    }
    return render(request, "cases/apply_step.html", context, status=status)


def _name_other_steps(errors: dict[str, list[str]], flow: "Flow", n: int) -> dict[str, list[str]]:
    """Say on which step a field of another page is, so its message is not a dead end."""
    named = {}
    for path, msgs in errors.items():
        where = next((s for s in flow.steps if path.split(".")[0] in s.fields), None)
        if where is not None and where.index != n:
            msgs = [_("%(message)s（在“%(step)s”一步）") % {"message": m, "step": where.title} for m in msgs]
        named[path] = msgs
    return named


def _save_step(
    request: HttpRequest, application: Application, form: SectionForm, names: list[str], action: str, n: int
) -> tuple[dict[str, list[str]], Application]:
    """Store the step's answers (and files of file fields); on "next" the step must be complete."""
    data = form.to_json()
    errors: dict[str, list[str]] = {}
    for name, upload in form.uploads().items():
        try:
            attachment = services.attach_file(
                user=request.user, application=application, requirement=None, upload=upload
            )
        except InvalidInput as exc:
            errors[name] = [exc.message]
            continue
        previous = form.attachments.get(str(application.data.get(name, "")))
        if previous is not None:
            services.remove_attachment(user=request.user, attachment=previous)
        data[name] = str(attachment.public_id)
    step = n + 1 if action == "next" else n
    try:
        application = services.save_draft(
            user=request.user, application=application, data=data, step=max(step, application.step)
        )
    except services.FormInvalid as exc:
        errors.update(exc.fields)
        return errors, application
    if action == "next" and not errors:
        full = validate_data(application.form.schema, application.form.layout, application.data)
        errors = {path: m for path, m in full.fields.items() if path.split(".")[0] in names}
    return errors, application


def _local(moment) -> str:  # noqa: ANN001
    return timezone.localtime(moment).strftime("%Y-%m-%d")


@login_required
def apply_materials(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    """One upload per material: replace or remove; errors from the upload check beside it."""
    application = _application(request, pid)
    elsewhere = _draft_or_elsewhere(request, application)
    if elsewhere is not None:
        return elsewhere
    flow = Flow(application)
    if not flow.materials:
        return redirect("cases:apply_check", application.public_id)
    upload_errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        if "remove" in request.POST:
            attachment = _attachments_by_id(application).get(request.POST["remove"])
            if attachment is None:
                raise Http404()
            try:
                services.remove_attachment(user=request.user, attachment=attachment)
            except ServiceError as exc:
                return _refused(request, exc)
            messages.success(request, _("已删除“%(name)s”。") % {"name": attachment.display_name})
            return redirect("cases:apply_materials", application.public_id)
        requirement = next((m for m in flow.materials if str(m.pk) == request.POST.get("requirement")), None)
        if requirement is None:
            raise Http404()
        upload = request.FILES.get("file")
        if upload is None:
            upload_errors[requirement.pk] = _("请先选择要上传的文件。")
        else:
            try:
                attachment = services.attach_file(
                    user=request.user, application=application, requirement=requirement, upload=upload
                )
            except InvalidInput as exc:
                upload_errors[requirement.pk] = exc.message
            except ServiceError as exc:
                return _refused(request, exc)
            else:
                messages.success(
                    request,
                    _("已上传“%(file)s”（%(material)s）。")
                    % {"file": attachment.display_name, "material": requirement.name},
                )
                return redirect("cases:apply_materials", application.public_id)
        status = 400
    current: dict[int, Any] = {}
    for attachment in selectors.current_attachments(application):
        if attachment.requirement_id:
            current[attachment.requirement_id] = attachment
    rows = [
        {"material": m, "attachment": current.get(m.pk), "error": upload_errors.get(m.pk)}
        for m in flow.materials
    ]
    context = flow.context("materials") | {
        "rows": rows,
        "last_step_url": reverse("cases:apply_step", args=[application.public_id, flow.last_form_step]),
        "summary": [(f"file-{pk}", msg) for pk, msg in upload_errors.items()],
    }
    return render(request, "cases/apply_materials.html", context, status=status)


def _check_context(application: Application, flow: Flow) -> dict:
    form = application.form
    attachments = _attachments_by_id(application)
    errors = validate_data(form.schema, form.layout, application.data)
    missing = services.missing_materials(application)
    # Window staff check the answers with the person, so they see them in full.
    mask = application.channel != Channel.WINDOW
    sections = answers(form.schema, form.layout, application.data, attachments, form.title, mask=mask)
    problems = []
    for path, msgs in errors.fields.items():
        name = path.split(".")[0]
        step = next((s.index for s in flow.steps if name in s.fields), 0)
        url = reverse("cases:apply_step", args=[application.public_id, step]) + "?return=check"
        problems.extend({"message": m, "url": url} for m in msgs)
    materials_url = reverse("cases:apply_materials", args=[application.public_id])
    problems.extend(
        {"message": _("还缺少必要材料：%(name)s") % {"name": m.name}, "url": materials_url} for m in missing
    )
    by_requirement: dict[int, Any] = {}
    for attachment in attachments.values():
        if attachment.requirement_id:
            by_requirement[attachment.requirement_id] = attachment
    return {
        "sections": sections,
        "problems": problems,
        "material_rows": [(m, by_requirement.get(m.pk)) for m in flow.materials],
        "materials_url": materials_url,
    }


@login_required
def apply_check(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    """Check your answers; the submit button carries an idempotency key made for this page."""
    application = _application(request, pid)
    if request.method == "POST" and application.status == Application.Status.SUBMITTED:
        return redirect("cases:apply_done", application.public_id)
    elsewhere = _draft_or_elsewhere(request, application)
    if elsewhere is not None:
        return elsewhere
    flow = Flow(application)
    status = 200
    error = ""
    if request.method == "POST":
        key = (request.POST.get("idempotency_key") or "")[:100] or None
        try:
            if request.POST.get("action") == "accept_now" and application.channel == Channel.WINDOW:
                services.submit_at_window(staff=request.user, application=application, idempotency_key=key)
            else:
                services.submit_application(user=request.user, application=application, idempotency_key=key)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("cases:apply_done", application.public_id)
    context = flow.context("check") | _check_context(application, flow)
    context |= {"idempotency_key": uuid.uuid4().hex, "error": error}
    return render(request, "cases/apply_check.html", context, status=status)


@login_required
def apply_done(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    application = _application(request, pid)
    if application.status != Application.Status.SUBMITTED:
        return redirect(Flow(application).resume_url())
    case = application.case
    if application.channel == Channel.WINDOW and request.user.pk != application.applicant_id:
        case_url = reverse("cases:staff_case", args=[case.number])
    else:
        case_url = reverse("cases:my_case", args=[case.number])
    context = {
        "case": case,
        "item": application.item,
        "case_url": case_url,
        "window": application.channel == Channel.WINDOW,
    }
    if context["window"] and request.user.pk != application.applicant_id:
        context["receipt"] = _window_receipt(request, case, application)
    return render(request, "cases/apply_done.html", context)


def _window_receipt(request: HttpRequest, case: Case, application: Application) -> dict:
    """受理回执 printed at the counter: case number, what was received, the promised date."""
    received = [
        {"name": a.requirement.name if a.requirement_id else a.display_name, "file": a.display_name}
        for a in selectors.current_attachments(application)
    ]
    pdf = next(
        (
            reverse("case_documents:download", args=[case.number, kind.slug])
            for kind in available_documents(case)
            if kind.slug == "receipt"
        ),
        None,
    )
    return {
        "accepted": case.accepted_at is not None,
        "received": received,
        "clerk": request.user.display_name,
        "pdf_url": pdf,
        "applicant_id": mask_id_number(application.applicant.id_number or ""),
    }


# ---------------------------------------------------------------- files


@login_required
def attachment_file(request: HttpRequest, pid: uuid.UUID) -> FileResponse:
    """A material file through a permission check, never from MEDIA_URL.

    PDFs and images open in the browser (``inline``) unless ``?download=1``; the name shown is
    the cleaned display name, and the browser is told not to guess the type.
    """
    try:
        attachment = selectors.get_attachment_for(request.user, pid)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.display_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- my cases


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "kind", None) == "staff":
        return redirect("cases:staff_queue")  # staff have no cases of their own; window drafts are there
    paginator = Paginator(selectors.my_cases(request.user).select_related("enterprise"), 20)
    page = paginator.get_page(request.GET.get("page"))
    drafts = [(d, Flow(d).resume_url()) for d in selectors.my_drafts(request.user)]
    return render(request, "cases/my_cases.html", {"page_obj": page, "drafts": drafts})


def _applicant_case(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.get_applicant_case(request.user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _deadline(case: Case) -> dict:
    colour = clock.deadline_colour(case)
    return {
        "colour": colour,
        "label": DEADLINE_LABELS[colour],
        "due": clock.current_due(case) if case.is_open else None,
        "estimated": case.due_estimated,
    }


def _documents(case: Case) -> list[dict]:
    """The case's letters (PDF) that exist by now, with their download addresses."""
    return [
        {"title": kind.title, "url": reverse("case_documents:download", args=[case.number, kind.slug])}
        for kind in available_documents(case)
    ]


@login_required
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    case = _applicant_case(request, number)
    application = case.application
    form = case.form
    attachments = _attachments_by_id(application)
    context = {
        "case": case,
        "events": selectors.timeline(case, staff_view=False),
        "public_opinions": PUBLIC_OPINIONS,
        "deadline": _deadline(case),
        "correction": services.open_correction(case) if case.status == Case.Status.CORRECTION else None,
        "can_withdraw": case.status in services.WITHDRAWABLE,
        "sections": answers(form.schema, form.layout, case.data, attachments, form.title, mask=True)
        if form
        else [],
        "attachments": [a for a in attachments.values() if a.requirement_id],
        "documents": _documents(case),
    }
    return render(request, "cases/my_case.html", context)


@login_required
def my_case_correct(request: HttpRequest, number: str) -> HttpResponse:
    """Answer a correction notice: only the listed fields and materials, in one go."""
    case = _applicant_case(request, number)
    correction = services.open_correction(case) if case.status == Case.Status.CORRECTION else None
    if correction is None:
        messages.info(request, _("该办件当前不需要补正。"))
        return redirect("cases:my_case", case.number)
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
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except ServiceError as exc:
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
    """撤回 with a confirmation step; only while the service allows it."""
    case = _applicant_case(request, number)
    if request.method == "POST":
        try:
            services.withdraw_case(user=request.user, case=case, reason=request.POST.get("reason", "")[:1000])
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("cases:my_case", case.number)
        messages.success(request, _("办件已撤回。"))
        return redirect("cases:my_case", case.number)
    allowed = case.status in services.WITHDRAWABLE
    return render(request, "cases/my_case_withdraw.html", {"case": case, "allowed": allowed})


# ---------------------------------------------------------------- staff


def _processing_departments(user: Any) -> list[int]:  # noqa: ANN401
    return sorted(
        {m.department_id for m in permissions.memberships(user) if m.role in selectors.PROCESSING_ROLES}
    )


def _item_options(items: list[tuple[int, str]], selected: int | None) -> str:
    """The item filter's ``<option>`` list, escaped here: hundreds of options through the template
    engine (or ``format_html`` per option) cost more than the whole queue query."""
    return mark_safe(  # noqa: S308 - every value is escaped or an integer
        "".join(
            f'<option value="{pk}"{" selected" if pk == selected else ""}>{html.escape(name)}</option>'
            for pk, name in items
        )
    )


@staff_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    params = request.GET
    item_id = int(params["item"]) if params.get("item", "").isdigit() else None
    status = params.get("status") if params.get("status") in Case.OPEN_STATUSES else None
    deadline = params.get("deadline") if params.get("deadline") in selectors.DEADLINE_FILTERS else None
    applicant = (params.get("applicant") or "").strip()[:50] or None
    mine = params.get("mine") == "1"
    page = int(params["page"]) if params.get("page", "").isdigit() else 1
    queue = selectors.staff_queue(
        request.user,
        item_id=item_id,
        status=status,
        deadline=deadline,
        applicant=applicant,
        mine=mine,
        page=page,
    )
    departments = _processing_departments(request.user)
    context = {
        "queue": queue,
        "rows": [(r.case, r.colour, DEADLINE_LABELS[r.colour]) for r in queue.rows],
        "item_options": _item_options(selectors.queue_items(request.user, item_id), item_id),
        "statuses": [(s, Case.Status(s).label) for s in Case.OPEN_STATUSES],
        "deadlines": [(d, DEADLINE_LABELS[d]) for d in selectors.DEADLINE_FILTERS],
        "f": {
            "item": item_id,
            "status": status or "",
            "deadline": deadline or "",
            "applicant": applicant or "",
            "mine": mine,
        },
        "has_roles": bool(departments),
    }
    return render(request, "cases/staff_queue.html", context)


def _staff_case(request: HttpRequest, number: str) -> Case:
    try:
        case = get_case_for(request.user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not permissions.can_see_department(request.user, case.department):
        raise Http404()
    return case


ACTION_BY_OUTCOME = {
    "accept": "accept",
    "refuse": "refuse",
    "correct": "correct",
    "pass": "review",
    "special": "special_start",
    "forward": "forward",
}


def staff_actions(user: Any, case: Case) -> list[str]:  # noqa: ANN401
    """The actions the current step offers ``user`` (none when it is not their role's turn)."""
    if not case.is_open or case.current_role in ("", "applicant"):
        return []
    if not permissions.has_role(user, case.current_role, case.department):
        return []
    if case.status == Case.Status.SPECIAL:
        return ["special_end"]
    if case.status == Case.Status.PENDING_ISSUE:
        return ["conclude"]
    outcomes = selectors.step_outcomes(case)
    actions = []
    for outcome in outcomes:
        if outcome in ("grant", "deny"):
            action = "accept" if case.current_role == StaffRole.INTAKE else "decide"
        else:
            action = ACTION_BY_OUTCOME.get(outcome)
        if action and action not in actions:
            actions.append(action)
    return actions


def _staff_case_page(
    request: HttpRequest, case: Case, *, action_error: dict | None = None, status: int = 200
) -> HttpResponse:
    application = case.application
    form = case.form
    attachments = selectors.current_attachments(application)
    by_id = {str(a.public_id): a for a in attachments}
    context = {
        "case": case,
        "events": selectors.timeline(case, staff_view=True),
        "deadline": _deadline(case),
        "sections": answers(form.schema, form.layout, case.data, by_id, form.title) if form else [],
        "attachments": [a for a in attachments if a.requirement_id],
        "corrections": case.corrections.prefetch_related("materials").all(),
        "actions": staff_actions(request.user, case),
        "claimed_by_other": case.assignee_id is not None and case.assignee_id != request.user.pk,
        "can_claim": case.is_open
        and case.current_role not in ("", "applicant")
        and permissions.has_role(request.user, case.current_role, case.department),
        "field_choices": [(n, p.get("title", n)) for n, p in (form.schema.get("properties") or {}).items()]
        if form
        else [],
        "materials": list(case.item.materials.all()),
        "results": Case.Result.choices,
        "action_error": action_error or {},
        "posted": request.POST if action_error else {},
        "posted_fields": request.POST.getlist("fields") if action_error else [],
        "documents": _documents(case),
        "conclude_warnings": selectors.conclude_warnings(case),
        "outcome": document_templates.outcome(case.item.item_type),
    }
    return render(request, "cases/staff_case.html", context, status=status)


@staff_required
def staff_case(request: HttpRequest, number: str) -> HttpResponse:
    return _staff_case_page(request, _staff_case(request, number))


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


@staff_required
@require_POST
def staff_claim(request: HttpRequest, number: str) -> HttpResponse:
    case = _staff_case(request, number)
    try:
        services.claim_case(actor=request.user, case=case, expected_version=_version(request))
        messages.success(request, _("已认领办件 %(number)s。") % {"number": case.number})
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(_next_url(request, reverse("cases:staff_case", args=[case.number])))


@staff_required
@require_POST
def staff_release(request: HttpRequest, number: str) -> HttpResponse:
    case = _staff_case(request, number)
    try:
        services.release_case(actor=request.user, case=case)
        messages.success(request, _("已释放办件 %(number)s。") % {"number": case.number})
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(_next_url(request, reverse("cases:staff_case", args=[case.number])))


DONE_MESSAGES = {
    "accept": _("已受理。"),
    "refuse": _("已作出不予受理决定。"),
    "correct": _("已发出一次性补正告知，计时暂停。"),
    "review": _("审查意见已提交。"),
    "special_start": _("已进入特别程序，计时暂停。"),
    "special_end": _("特别程序已结束，恢复计时。"),
    "forward": _("已转报上级机关。"),
    "decide": _("决定已作出。"),
    "conclude": _("办件已办结。"),
}


@staff_required
@require_POST
def staff_act(request: HttpRequest, number: str) -> HttpResponse:
    """One action of the current step; stale pages are refused by expected step and version."""
    case = _staff_case(request, number)
    post = request.POST
    action = post.get("action", "")
    if action not in DONE_MESSAGES:
        raise Http404()
    common = {
        "actor": request.user,
        "case": case,
        "expected_step": post.get("expected_step") or None,
        "expected_version": _version(request),
    }
    opinion = (post.get("opinion") or "").strip()
    try:
        if action == "accept":
            services.accept_case(**common, opinion=opinion)
        elif action == "refuse":
            services.refuse_case(**common, reason=opinion)
        elif action == "correct":
            chosen = [int(pk) for pk in post.getlist("materials") if pk.isdigit()]
            services.request_correction(
                **common,
                notice=opinion,
                fields=post.getlist("fields"),
                materials=list(MaterialRequirement.objects.filter(item=case.item, pk__in=chosen)),
            )
        elif action == "review":
            services.review_case(**common, opinion=opinion)
        elif action == "special_start":
            services.start_special_procedure(**common, kind=post.get("kind", ""), notice=opinion)
        elif action == "special_end":
            services.end_special_procedure(
                actor=request.user, case=case, outcome=opinion, expected_version=common["expected_version"]
            )
        elif action == "forward":
            services.forward_case(**common, reason=opinion)
        elif action == "decide":
            decision = post.get("decision")
            if decision not in ("grant", "deny"):
                raise InvalidInput(_("请选择决定结果（准予或不予）。"), field="decision")
            services.decide_case(**common, grant=decision == "grant", reason=opinion)
        elif action == "conclude":
            services.conclude_case(**common, result=post.get("result", ""), opinion=opinion)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        case.refresh_from_db()
        return _staff_case_page(request, case, action_error={action: exc.message}, status=exc.status)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("cases:staff_case", case.number)


@staff_required
def window(request: HttpRequest) -> HttpResponse:
    """一窗受理: choose the item, identify the person by ID number, then the applying pages."""
    memberships = [m for m in permissions.memberships(request.user) if m.role == StaffRole.INTAKE]
    if not memberships:
        raise Http404()
    departments = {m.department_id: m.department for m in memberships}
    items = list(published_items().filter(department_id__in=departments).order_by("department_id", "name"))
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
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except (InvalidInput, PermissionDenied) as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 开始窗口受理：%(item)s。")
                    % {"name": person.real_name, "item": item.name},
                )
                return redirect("cases:apply_step", application.public_id, 0)
    drafts = [(d, Flow(d).resume_url()) for d in selectors.my_drafts(request.user)[:20]]
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(departments[item.department_id].name, []).append(item)
    context = {"groups": groups, "error": error, "chosen": chosen, "drafts": drafts}
    return render(request, "cases/window.html", context, status=status)
