"""一件事 applying pages: start (after the bundle page's guidance questions) → the merged form's
steps (save and return) → one upload page for all items → check your answers → submit
(idempotent) → confirmation.

The form steps reuse the single item's step template and form class on the merged schema;
every page works without JavaScript. Drafts of others are 404. The applicant's joint case page
(``/my/joint/<number>/``) is ``joint_processing.my_joint_result``: every child with its status.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.bundles import answers_from, bundle_plan, get_bundle
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.forms.schema import validate_data
from tongban.identity.actors import current_actor

from ..forms import SectionForm, answers, steps_of
from ..joint_figures import asked_notes, is_asked
from ..models import JointApplication
from ..services import joint_applying as services
from .applying import draft_saved, step_page


class JointFlow:
    """Where a joint draft's pages are: merged form steps, materials (if any), check."""

    def __init__(self, joint: JointApplication):
        self.joint = joint
        self.children = services.children_of(joint)
        self.form = services.joint_form(self.children)
        self.steps = steps_of(self.form.schema, self.form.layout, joint.bundle.name)
        self.materials = services.joint_materials(self.children)

    @property
    def last_form_step(self) -> int:
        return len(self.steps) - 1

    def url(self, name: str, *args) -> str:
        return reverse(f"cases:joint_{name}", args=[self.joint.public_id, *args])

    def url_after_form(self) -> str:
        return self.url("materials") if self.materials else self.url("check")

    def resume_url(self) -> str:
        if self.joint.step <= self.last_form_step:
            return self.url("step", self.joint.step)
        return self.url_after_form()

    def context(self, current: str) -> dict:
        stages = [
            {"key": f"step-{s.index}", "title": s.title, "url": self.url("step", s.index)} for s in self.steps
        ]
        if self.materials:
            stages.append({"key": "materials", "title": _("上传材料"), "url": self.url("materials")})
        stages.append({"key": "check", "title": _("核对并提交"), "url": self.url("check")})
        for stage in stages:
            stage["current"] = stage["key"] == current
        position = next((i for i, s in enumerate(stages) if s["current"]), 0)
        return {
            "application": self.joint,
            "joint": self.joint,
            "item": self.joint.bundle,  # the pages' heading names the bundle
            "children": self.children,
            "stages": stages,
            "stage_number": position + 1,
            "stage_total": len(stages),
            "window": False,
            "step_url": "cases:joint_step",
        }


def _draft_or_elsewhere(request: HttpRequest, joint: JointApplication) -> HttpResponse | None:
    if joint.status == JointApplication.Status.SUBMITTED:
        return redirect("cases:joint_done", joint.public_id)
    if joint.status == JointApplication.Status.EXPIRED or joint.expires_at <= timezone.now():
        return render(request, "cases/apply_expired.html", {"item": joint.bundle}, status=410)
    return None


@login_required
def joint_start(request: HttpRequest, slug: str) -> HttpResponse:
    """What will be applied for, after the guidance answers (from the bundle page); POST starts."""
    try:
        bundle = get_bundle(slug)
    except NotFound as exc:
        raise Http404() from exc
    source = request.POST if request.method == "POST" else request.GET
    answers_given = answers_from(source, list(bundle.questions.all()))
    region_code = source.get("region") or (bundle.region.code if bundle.region_id else "")
    actor = current_actor(request)
    error = ""
    if request.method == "POST":
        try:
            joint = services.start_joint_application(
                user=request.user,
                bundle=bundle,
                answers=answers_given,
                region_code=region_code,
                enterprise=actor.enterprise,
            )
        except InvalidInput as exc:
            error = exc.message
        else:
            return redirect("cases:joint_step", joint.public_id, 0)
    plan = bundle_plan(bundle, answers_given, region_code or None)
    drafts = JointApplication.objects.filter(
        created_by=request.user,
        bundle=bundle,
        status=JointApplication.Status.DRAFT,
        expires_at__gt=timezone.now(),
    ).order_by("-updated_at")
    context = {
        "bundle": bundle,
        "plan": plan,
        "answers": [(f"q{q.question.pk}", "yes" if q.answer else "no") for q in plan.questions],
        "region_code": region_code,
        "drafts": [(d, JointFlow(d).resume_url()) for d in drafts],
        "error": error,
        "is_citizen": getattr(request.user, "kind", "") == "citizen",
    }
    return render(request, "cases/joint_start.html", context, status=400 if error else 200)


@login_required
def joint_step(request: HttpRequest, pid: uuid.UUID, n: int) -> HttpResponse:
    joint = services.get_joint_application_for(request.user, pid)
    elsewhere = _draft_or_elsewhere(request, joint)
    if elsewhere is not None:
        return elsewhere
    flow = JointFlow(joint)
    if n > flow.last_form_step:
        raise Http404()
    step = flow.steps[n]
    prefilled = services.prefilled_merged_fields(flow.children, flow.form)
    back_to_check = request.GET.get("return") == "check" or request.POST.get("return") == "check"
    kwargs = {
        "schema": flow.form.schema,
        "layout": flow.form.layout,
        "names": step.fields,
        "saved": joint.data,
        "prefilled": prefilled,
        "htmx_url": request.path,
    }
    summary: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        form = SectionForm(**kwargs, post=request.POST)
        rearranging = any(k in request.POST for k in ("add_row", "remove_row", "refresh_region"))
        if not rearranging:
            action = request.POST.get("action", "save")
            errors: dict[str, list[str]] = {}
            try:
                joint = services.save_joint_draft(
                    user=request.user,
                    joint=joint,
                    data=form.to_json(),
                    step=max(n + (action == "next"), joint.step),
                )
            except services.FormInvalid as exc:
                errors = exc.fields
            if not errors and action == "next":
                full = validate_data(flow.form.schema, flow.form.layout, joint.data)
                errors = {p: m for p, m in full.fields.items() if p.split(".")[0] in step.fields}
            if not errors:
                if action == "next":
                    if back_to_check:
                        return redirect("cases:joint_check", joint.public_id)
                    if n < flow.last_form_step:
                        return redirect("cases:joint_step", joint.public_id, n + 1)
                    return redirect(flow.url_after_form())
                if action == "back":
                    if n == 0:
                        return redirect("cases:joint_start", joint.bundle.slug)
                    return redirect("cases:joint_step", joint.public_id, n - 1)
                draft_saved(request, joint.expires_at)
                return redirect(request.get_full_path())
            form = SectionForm(**{**kwargs, "saved": joint.data}, post=request.POST)
            summary = form.add_schema_errors(errors)
            status = 400
    else:
        form = SectionForm(**kwargs)
    return step_page(request, flow, form, step, n, summary, back_to_check, status)


@login_required
def joint_materials(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    """One upload per material, whichever items ask for it; replace or remove."""
    joint = services.get_joint_application_for(request.user, pid)
    elsewhere = _draft_or_elsewhere(request, joint)
    if elsewhere is not None:
        return elsewhere
    flow = JointFlow(joint)
    if not flow.materials:
        return redirect("cases:joint_check", joint.public_id)
    upload_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        codes = {m.code for m in flow.materials}
        if "remove" in request.POST:
            if request.POST["remove"] not in codes:
                raise Http404()
            services.remove_joint_file(user=request.user, joint=joint, code=request.POST["remove"])
            messages.success(request, _("已删除该材料的文件。"))
            return redirect("cases:joint_materials", joint.public_id)
        code = request.POST.get("code", "")
        if code not in codes:
            raise Http404()
        upload = request.FILES.get("file")
        if upload is None:
            upload_errors[code] = _("请先选择要上传的文件。")
        else:
            try:
                attached = services.attach_joint_file(
                    user=request.user, joint=joint, code=code, upload=upload
                )
            except InvalidInput as exc:
                upload_errors[code] = exc.message
            else:
                messages.success(
                    request,
                    _("已上传“%(file)s”，用于 %(n)s 个事项。")
                    % {"file": attached[0].display_name, "n": len(attached)},
                )
                return redirect("cases:joint_materials", joint.public_id)
        status = 400
    notes = asked_notes(flow.materials)
    rows = [
        {
            "material": m,
            "index": i,
            "error": upload_errors.get(m.code),
            "items": [c.item.name for c, _r in m.needs],
            "provided": not is_asked(m),
            "notes": notes.get(m.code, []),
        }
        for i, m in enumerate(flow.materials)
    ]
    context = flow.context("materials") | {
        "rows": rows,
        "last_step_url": flow.url("step", flow.last_form_step),
        "summary": [(f"file-{r['index']}", r["error"]) for r in rows if r["error"]],
    }
    return render(request, "cases/joint_materials.html", context, status=status)


@login_required
def joint_check(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    """Check your answers for all items; the submit button carries an idempotency key."""
    joint = services.get_joint_application_for(request.user, pid)
    if request.method == "POST" and joint.status == JointApplication.Status.SUBMITTED:
        return redirect("cases:joint_done", joint.public_id)
    elsewhere = _draft_or_elsewhere(request, joint)
    if elsewhere is not None:
        return elsewhere
    status, error = 200, ""
    if request.method == "POST":
        key = (request.POST.get("idempotency_key") or "")[:100] or None
        try:
            services.submit_joint_application(user=request.user, joint=joint, idempotency_key=key)
        except NotFound:
            raise
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("cases:joint_done", joint.public_id)
    flow = JointFlow(joint)
    errors = validate_data(flow.form.schema, flow.form.layout, joint.data)
    problems = []
    for path, msgs in errors.fields.items():
        name = path.split(".")[0]
        step = next((s.index for s in flow.steps if name in s.fields), 0)
        problems.extend({"message": m, "url": flow.url("step", step) + "?return=check"} for m in msgs)
    problems.extend(
        {"message": _("还缺少必要材料：%(name)s") % {"name": m.name}, "url": flow.url("materials")}
        for m in flow.materials
        if not m.provided
    )
    context = flow.context("check") | {
        "sections": answers(flow.form.schema, flow.form.layout, joint.data, {}, joint.bundle.name, mask=True),
        "problems": problems,
        "materials": flow.materials,
        "materials_url": flow.url("materials"),
        "idempotency_key": uuid.uuid4().hex,
        "error": error,
    }
    return render(request, "cases/joint_check.html", context, status=status)


@login_required
def joint_done(request: HttpRequest, pid: uuid.UUID) -> HttpResponse:
    joint = services.get_joint_application_for(request.user, pid)
    if joint.status != JointApplication.Status.SUBMITTED:
        return redirect(JointFlow(joint).resume_url())
    case = joint.joint_case
    children = list(case.children.select_related("item", "department").order_by("pk"))
    return render(request, "cases/joint_done.html", {"case": case, "children": children})


def my_cases_context(user) -> dict:
    """我的办件's 一件事 part: unsubmitted joint drafts and the joint cases with their children."""
    drafts = [(d, JointFlow(d).resume_url()) for d in services.my_joint_drafts(user)]
    return {"joint_drafts": drafts, "joint_cases": list(services.my_joint_cases(user)[:20])}
