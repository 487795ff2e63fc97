"""Making reports: asked for by a supervisor (the 生成本月通报 button), by the operator's command,
or by ``tongban tick`` on the first working day after a month or quarter; built by the worker,
kept, and announced to the region's supervisors (inbox and email)."""

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core import audit
from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions
from tongban.notifications.services import notify_person
from tongban.regions.models import Region
from tongban.supervision.selectors import add_months
from tongban.workdays.calendar import is_workday

from . import periods, rendering, selectors
from .models import Report

logger = logging.getLogger(__name__)


def _queue(region_code: str, kind: str, start: dt.date, end: dt.date, actor: User | None) -> Report:
    """Create or re-queue the report of one period and hand it to the worker (caller's transaction)."""
    from .tasks import build_report_task

    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise NotFound(_("找不到该区划。"))
    report = (
        Report.objects.select_for_update()
        .filter(region_code=region_code, kind=kind, period_start=start)
        .first()
    )
    if report is None:
        report = Report.objects.create(
            region_code=region_code,
            region_name=region.full_name or region.name,
            kind=kind,
            period_start=start,
            period_end=end,
            requested_by=actor,
        )
    else:
        report.status, report.requested_by, report.period_end, report.error = (
            Report.Status.QUEUED,
            actor,
            end,
            "",
        )
        report.save(update_fields=["status", "requested_by", "period_end", "error"])
    build_report_task.enqueue(report.pk)
    audit.append(
        "report.requested",
        actor=actor,
        obj=report,
        summary={"region": region_code, "kind": kind, "period": report.slug},
    )
    return report


def request_report(
    *, actor: User, region_code: str, kind: str, period: str, today: dt.date | None = None
) -> Report:
    """A supervisor asks for the report of a region they watch (or one below it)."""
    if not any(region_code.startswith(code) for code in permissions.supervised_region_codes(actor)):
        raise PermissionDenied(_("只有该地区的监察人员可以生成通报。"))
    start, end = periods.parse(kind, period, today or timezone.localdate())
    with transaction.atomic():
        return _queue(region_code, kind, start, end, actor)


def build_report(report_id: int) -> str:
    """The worker's part: figures from the rollups, the PDF and the XLSX, then the supervisors
    are told. Run twice, the second run finds the report made and does nothing."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None or report.status != Report.Status.QUEUED:
        return "skipped"
    try:
        report.figures = selectors.report_figures(
            report.region_code, report.kind, report.period_start, report.period_end
        )
        pdf, xlsx = rendering.to_pdf(report), rendering.to_xlsx(report)
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id, status=Report.Status.QUEUED).update(
            status=Report.Status.FAILED, error=type(exc).__name__[:300]
        )
        return "failed"
    with transaction.atomic():
        locked = Report.objects.select_for_update().filter(pk=report_id).first()
        if locked is None or locked.status != Report.Status.QUEUED:
            return "skipped"
        old = [f.name for f in (locked.pdf, locked.xlsx) if f]
        name = f"{locked.region_code}-{locked.slug}"
        locked.figures = report.figures
        locked.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        locked.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
        locked.status, locked.generated_at = Report.Status.READY, timezone.now()
        title = _("%(region)s%(period)s通报已生成") % {"region": locked.region_name, "period": locked.title}
        body = _("%(region)s%(period)s政务服务通报（PDF 与 XLSX）已生成，请登录通办工作台查看。") % {
            "region": locked.region_name,
            "period": locked.title,
        }
        link = reverse("supervision_reports:list")
        told = selectors.supervisors_of(locked.region_code)
        for user in told:
            notify_person(
                user=user, title=title, body=body, link=link, event="report_ready", sms=False, email=True
            )
        locked.mailed_to = len(told)
        locked.save()
        transaction.on_commit(lambda: [locked.pdf.storage.delete(n) for n in old])
        audit.append(
            "report.generated",
            obj=locked,
            summary={
                "region": locked.region_code,
                "kind": locked.kind,
                "period": locked.slug,
                "mailed_to": len(told),
            },
        )
    return "ready"


def make_report(region_code: str, kind: str, period: str, today: dt.date | None = None) -> Report:
    """The operator's command: queue and build at once (no supervisor needed)."""
    start, end = periods.parse(kind, period, today or timezone.localdate())
    with transaction.atomic():
        report = _queue(region_code, kind, start, end, None)
    build_report(report.pk)
    report.refresh_from_db()
    return report


def due_reports(today: dt.date | None = None) -> int:
    """``tongban tick``: on the first working day after a month (and a quarter) ends, the
    reports of every supervised region for it; a day missed is made up on the next run."""
    today = today or timezone.localdate()
    if not is_workday(today):
        return 0
    made = 0
    for kind, months in ((Report.Kind.MONTH, 1), (Report.Kind.QUARTER, 3)):
        start = add_months(periods.containing(kind, today), -months)
        _start, end = periods.bounds(kind, start)
        for code in selectors.supervised_regions():
            if Report.objects.filter(region_code=code, kind=kind, period_start=start).exists():
                continue
            with transaction.atomic():
                _queue(code, kind, start, end, None)
            made += 1
    return made
