"""Pages: the public catalogue, the staff's requests/grants/decisions, and the person's side
(export and report a read from "谁用了我的数据", 数据纠错). Views parse, call a service, render."""

import csv
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.core.downloads import file_response
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.identity.actors import current_actor
from tongban.identity.views import staff_required
from tongban.registries.models import DataAccessLog
from tongban.registries.selectors import access_log_for_enterprise, access_log_for_person

from . import access, selectors, services
from .models import DataDispute, DataResource, Grant, ReadReport, SharingRequest

CHANNELS = {
    "case": "办理办件",
    "exchange": "部门系统数据交换",
    "material": "免提交材料核验",
    "sharing": "共享数据读取",
}


def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/catalogue.html", {"resources": selectors.published_resources()})


def resource_detail(request: HttpRequest, code: str) -> HttpResponse:
    resource = selectors.get_resource(code)
    if resource is None:
        raise Http404()
    departments = access.sharing_departments(request.user) if request.user.is_authenticated else []
    departments = [d for d in departments if d.pk != resource.provider_id]
    return render(
        request,
        "sharing/resource.html",
        {
            "resource": resource,
            "departments": departments,
            "default_until": timezone.localdate() + dt.timedelta(days=365),
            "error": None,
        },
    )


@staff_required
@require_POST
def request_sharing(request: HttpRequest, code: str) -> HttpResponse:
    resource = selectors.get_resource(code)
    if resource is None:
        raise Http404()
    departments = {d.pk: d for d in access.sharing_departments(request.user)}
    consumer = (
        departments.get(int(request.POST["consumer"])) if request.POST.get("consumer", "").isdigit() else None
    )
    try:
        if consumer is None:
            raise InvalidInput(_("请选择使用部门。"), field="consumer")
        try:
            until = dt.date.fromisoformat(request.POST.get("valid_until", ""))
        except ValueError as exc:
            raise InvalidInput(_("使用期限格式应为 YYYY-MM-DD。"), field="valid_until") from exc
        made = services.request_sharing(
            actor=request.user,
            resource=resource,
            consumer=consumer,
            fields=request.POST.getlist("fields"),
            purpose=request.POST.get("purpose", ""),
            legal_basis=request.POST.get("legal_basis", ""),
            valid_until=until,
        )
    except ServiceError as exc:
        context = {
            "resource": resource,
            "departments": [d for d in departments.values() if d.pk != resource.provider_id],
            "default_until": request.POST.get("valid_until", ""),
            "error": exc,
            "posted": request.POST,
            "posted_fields": request.POST.getlist("fields"),
        }
        return render(request, "sharing/resource.html", context, status=400)
    if made.status == SharingRequest.Status.GRANTED:
        messages.success(request, _("无条件共享资源，已自动授权。"))
    else:
        messages.success(request, _("共享申请已提交，提供部门应在 %(date)s 前答复。") % {"date": made.due_on})
    return redirect("sharing:staff")


@staff_required
def staff(request: HttpRequest) -> HttpResponse:
    """The data-sharing desk: my departments' requests (with the answer clock) and grants, the
    disputes to verify; for supervisors every pending request, reported reads and patterns."""
    departments = access.sharing_departments(request.user)
    supervisor = access.is_supervisor(request.user)
    if not departments and not supervisor:
        raise Http404()
    today = timezone.localdate()
    own = {d.pk for d in departments}
    reqs = [
        (r, services.clock_colour(r, today), r.resource.provider_id in own)
        for r in selectors.requests_for(departments)[:100]
    ]
    context = {
        "requests": reqs,
        "grants": [(g, g.in_force_on(today)) for g in selectors.grants_for(departments)[:100]],
        "disputes": selectors.disputes_for(departments)[:50],
        "exemption": selectors.exemption_rates(departments) if departments else None,
        "supervisor": supervisor,
    }
    if supervisor:
        context["pending"] = [
            (r, services.clock_colour(r, today)) for r in selectors.pending_requests()[:100]
        ]
        context["reports"] = selectors.open_reports()[:50]
        context["unusual"] = selectors.unusual_reads()
    return render(request, "sharing/staff.html", context)


def _done(request: HttpRequest, call, ok: str) -> HttpResponse:
    try:
        call()
        messages.success(request, ok)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("sharing:staff")


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SharingRequest, pk=pk)
    if not access.can_manage_sharing(request.user, item.resource.provider):
        raise Http404()
    grant = request.POST.get("decision") == "grant"
    return _done(
        request,
        lambda: services.decide_request(
            actor=request.user, request=item, grant=grant, note=request.POST.get("note", "")
        ),
        _("已同意，授权已生效。") if grant else _("已答复不予同意。"),
    )


@staff_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(Grant.objects.select_related("resource"), pk=pk)
    if not (
        access.can_manage_sharing(request.user, grant.resource.provider)
        or access.can_manage_sharing(request.user, grant.consumer)
    ):
        raise Http404()
    return _done(
        request,
        lambda: services.revoke_grant(actor=request.user, grant=grant, reason=request.POST.get("reason", "")),
        _("授权已撤销。"),
    )


@staff_required
@require_POST
def answer_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ReadReport, pk=pk)
    return _done(
        request,
        lambda: services.answer_report(
            actor=request.user, report=report, answer=request.POST.get("answer", "")
        ),
        _("已答复。"),
    )


@staff_required
@require_POST
def decide_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(DataDispute, pk=pk)
    if not access.can_manage_sharing(request.user, dispute.provider):
        raise Http404()
    return _done(
        request,
        lambda: services.decide_dispute(
            actor=request.user,
            dispute=dispute,
            corrected=request.POST.get("decision") == "corrected",
            outcome=request.POST.get("outcome", ""),
        ),
        _("核实结果已记录并告知申请人。"),
    )


# ---------------------------------------------------------------- the person's side


def my_log(request: HttpRequest) -> QuerySet[DataAccessLog]:
    """The reads of the actor's data: the person's, or the enterprise's they act for."""
    actor = current_actor(request)
    if actor.enterprise is not None:
        return access_log_for_enterprise(actor.enterprise.uscc)
    if not actor.user.id_number:
        return DataAccessLog.objects.none()
    return access_log_for_person(actor.user.id_number)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """谁用了我的数据 as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    if request.user.kind == "staff":
        raise Http404()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["时间", "使用人", "部门", "用途", "读取字段", "办件编号", "授权编号", "途径", "结果"])
    for log in my_log(request).select_related("department")[:5000]:
        writer.writerow(
            [
                timezone.localtime(log.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                "本人" if log.accessor_id == request.user.pk else log.accessor_label,
                log.department.name if log.department else "",
                log.purpose,
                "、".join(log.fields or []),
                log.case_number or "（无办件）",
                log.grant_code,
                CHANNELS.get(log.channel, log.channel),
                "查得" if log.found else "未查得",
            ]
        )
    return file_response(
        ("\ufeff" + out.getvalue()).encode("utf-8"), "谁用了我的数据.csv", "text/csv; charset=utf-8"
    )


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report one read the person thinks was wrong; it goes to the supervisors."""
    log = my_log(request).filter(pk=pk).select_related("department").first()
    if log is None or request.user.kind == "staff":
        raise Http404()
    error = None
    if request.method == "POST":
        try:
            services.report_read(actor=request.user, access_id=log.pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("已提交，监察部门将在 5 个工作日内处理并答复。"))
            return redirect(reverse("web:my_data_use"))
        except ServiceError as exc:
            error = exc
    reports = ReadReport.objects.filter(access=log, reporter=request.user)
    return render(
        request,
        "sharing/report.html",
        {"log": log, "error": error, "reports": reports, "channel": CHANNELS.get(log.channel, "")},
        status=400 if error else 200,
    )


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    """数据纠错: the person's disputes with their outcomes, and a form for a new one."""
    if request.user.kind == "staff":
        raise Http404()
    resources = list(
        selectors.published_resources().filter(
            subject__in=[DataResource.Subject.PERSON, DataResource.Subject.ANY]
        )
    )
    error = None
    if request.method == "POST":
        code, _sep, field_name = request.POST.get("target", "").rpartition("|")
        resource = next((r for r in resources if r.code == code), None)
        try:
            if resource is None:
                raise InvalidInput(_("请选择有误的信息项。"), field="target")
            services.dispute_value(
                actor=request.user,
                resource=resource,
                field_name=field_name,
                claimed_value=request.POST.get("claimed_value", ""),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("纠错申请已提交给提供数据的部门核实。"))
            return redirect("sharing:disputes")
        except ServiceError as exc:
            error = exc
    return render(
        request,
        "sharing/disputes.html",
        {
            "resources": resources,
            "disputes": selectors.my_disputes(request.user),
            "error": error,
            "posted": request.POST,
        },
        status=400 if error else 200,
    )
