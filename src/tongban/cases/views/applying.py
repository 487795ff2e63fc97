"""Applying: one-time notice → form steps (layout sections, save and return) → materials →
check your answers → submit (idempotent) → confirmation, online or at the window (一窗受理).

Every draft comes through ``cases.access``; outsiders get 404. Everything works without
JavaScript; htmx only refreshes the region chain in place.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import Channel
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.core.masking import mask_id_number
from tongban.forms.schema import validate_data
from tongban.identity.actors import current_actor

from .. import access, panels, selectors, services, steps
from ..access import get_application_for
from ..documents import available_documents
from ..forms import SectionForm, Step, answers, is_application_form, materials_to_upload, steps_of
from ..models import Application, Attachment, Case
from . import crossregion
from ._common import attachments_by_id

if TYPE_CHECKING:
    from .joint_applying import JointFlow


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
    item = selectors.item_to_apply(code)
    actor = current_actor(request)
    if request.method == "POST":
        application = services.start_application(user=request.user, item=item, enterprise=actor.enterprise)
        return redirect("cases:apply_step", application.public_id, 0)
    refused = access.refusal(access.check_apply, request.user, item, actor.enterprise)
    drafts = [d for d in selectors.my_drafts(request.user) if d.item_id == item.pk]
    materials = list(item.materials.all())
    context = {
        "item": item,
        "materials": materials,
        "filled_online": {m.pk for m in materials if is_application_form(m)},
        "fees": list(item.fees.all()),
        "actor": actor,
        "drafts": [(d, Flow(d).resume_url()) for d in drafts],
        "can_apply": refused is None,
        "apply_refusal": refused.message if refused is not None and request.user.kind != "staff" else "",
    }
    return render(request, "cases/apply_notice.html", context)


@login_required
def apply_step(request: HttpRequest, pid: uuid.UUID, n: int) -> HttpResponse:
    application = get_application_for(request.user, pid)
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
        "attachments": attachments_by_id(application),
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
                draft_saved(request, application.expires_at)
                return redirect(request.get_full_path())
            # Show the page again with what was typed and the schema's messages.
            form = SectionForm(
                **{**kwargs, "saved": application.data}, post=request.POST, files=request.FILES
            )
            summary = form.add_schema_errors(_name_other_steps(errors, flow, n))
            status = 400
    else:
        form = SectionForm(**kwargs)
    return step_page(request, flow, form, step, n, summary, back_to_check, status)


def step_page(
    request: HttpRequest,
    flow: "Flow | JointFlow",
    form: SectionForm,
    step: Step,
    n: int,
    summary: list[tuple[str, str]],
    back_to_check: bool,
    status: int,
) -> HttpResponse:
    """A form step, of a single item's draft or of a 一件事 draft: one template for both."""
    context = flow.context(f"step-{n}") | {
        "form": form,
        "step": step,
        "n": n,
        "summary": summary,
        "back_to_check": back_to_check,
        "has_prefilled": any(e.kind == "prefilled" for e in form.entries),
    }
    return render(request, "cases/apply_step.html", context, status=status)


def draft_saved(request: HttpRequest, expires_at: dt.datetime) -> None:
    """The message after 保存草稿, the same for a single item's and a 一件事 draft."""
    messages.success(
        request,
        _("草稿已保存，保留至 %(date)s。您可以随时从“我的办件”继续填写。") % {"date": _local(expires_at)},
    )


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


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


@login_required
def apply_materials(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    """One upload per material: replace or remove; errors from the upload check beside it."""
    application = get_application_for(request.user, pid)
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
            attachment = attachments_by_id(application).get(request.POST["remove"])
            if attachment is None:
                raise Http404()
            services.remove_attachment(user=request.user, attachment=attachment)
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
            else:
                messages.success(
                    request,
                    _("已上传“%(file)s”（%(material)s）。")
                    % {"file": attachment.display_name, "material": requirement.name},
                )
                return redirect("cases:apply_materials", application.public_id)
        status = 400
    current: dict[int, Attachment] = {}
    for attachment in selectors.current_attachments(application):
        if attachment.requirement_id:
            current[attachment.requirement_id] = attachment
    notes = steps.material_notes(application)
    rows = [
        {
            "material": m,
            "attachment": current.get(m.pk),
            "error": upload_errors.get(m.pk),
            "note": notes.get(m.pk),
        }
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
    attachments = attachments_by_id(application)
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
    by_requirement: dict[int, Attachment] = {}
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
    application = get_application_for(request.user, pid)
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
            crossregion.save_delivery(request, application)
            if application.channel == Channel.WINDOW and (
                request.POST.get("action") == "accept_now" or application.receiving_department_id
            ):
                services.submit_at_window(staff=request.user, application=application, idempotency_key=key)
            else:
                services.submit_application(user=request.user, application=application, idempotency_key=key)
        except NotFound:
            raise
        except ServiceError as exc:  # shown beside the submit button, the answers kept
            error, status = exc.message, exc.status
        else:
            return redirect("cases:apply_done", application.public_id)
    context = (
        flow.context("check") | _check_context(application, flow) | crossregion.check_context(application)
    )
    context |= {"idempotency_key": uuid.uuid4().hex, "error": error}
    return render(request, "cases/apply_check.html", context, status=status)


@login_required
def apply_done(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    application = get_application_for(request.user, pid)
    if application.status != Application.Status.SUBMITTED:
        return redirect(Flow(application).resume_url())
    case = application.case
    if application.receiving_department_id and request.user.pk != application.applicant_id:
        case_url = reverse("cases:crossregion_received_case", args=[case.number])
    elif application.channel == Channel.WINDOW and request.user.pk != application.applicant_id:
        case_url = reverse("cases:staff_case", args=[case.number])
    else:
        case_url = reverse("cases:my_case", args=[case.number])
    context = {
        "case": case,
        "item": application.item,
        "case_url": case_url,
        "window": application.channel == Channel.WINDOW,
        "panels": panels.render(request, case, "done"),
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
