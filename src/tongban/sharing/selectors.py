"""Reads of the sharing catalogue, requests, grants and the data-access log that pages and the
API share."""

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tongban.core.masking import mask_id_number
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.registries.models import DataAccessLog

from . import access
from .models import DataDispute, DataResource, Grant, ReadReport, SharedMaterial, SharingRequest


def published_resources() -> QuerySet[DataResource]:
    return DataResource.objects.filter(is_active=True).select_related("provider").order_by("code")


def get_resource(code: str) -> DataResource | None:
    return published_resources().filter(code=code).first()


def requests_for(departments: list[Department]) -> QuerySet[SharingRequest]:
    """Requests a department made (as consumer) or must answer (as provider)."""
    ids = [d.pk for d in departments]
    return (
        SharingRequest.objects.filter(Q(consumer_id__in=ids) | Q(resource__provider_id__in=ids))
        .select_related("resource", "resource__provider", "consumer", "requested_by")
        .order_by("status", "due_on", "-id")
    )


def grants_for(departments: list[Department]) -> QuerySet[Grant]:
    ids = [d.pk for d in departments]
    return (
        Grant.objects.filter(Q(consumer_id__in=ids) | Q(resource__provider_id__in=ids))
        .select_related("resource", "resource__provider", "consumer")
        .order_by("-granted_at")
    )


def pending_requests() -> QuerySet[SharingRequest]:
    """For supervisors: every request not answered yet, the oldest deadline first."""
    return (
        SharingRequest.objects.filter(status=SharingRequest.Status.PENDING)
        .select_related("resource", "resource__provider", "consumer")
        .order_by("due_on", "id")
    )


def open_reports() -> QuerySet[ReadReport]:
    return ReadReport.objects.select_related("access", "access__department").order_by("status", "due_on")


def disputes_for(departments: list[Department]) -> QuerySet[DataDispute]:
    return (
        DataDispute.objects.filter(provider__in=departments)
        .select_related("resource")
        .order_by("status", "due_on")
    )


def my_disputes(user: User) -> QuerySet[DataDispute]:
    return DataDispute.objects.filter(reporter=user).select_related("resource", "provider")


def my_reports(user: User) -> QuerySet[ReadReport]:
    return ReadReport.objects.filter(reporter=user).select_related("access", "access__department")


def unusual_reads(days: int = 30, many: int = 10, limit: int = 20) -> dict[str, list]:
    """Patterns supervisors look at: many reads of one subject by one department, reads outside
    office hours (before 8:00, from 20:00, or at weekends), and staff reads of a case after
    which that person did nothing on it."""
    from tongban.cases.models import CaseEvent

    since = timezone.now() - dt.timedelta(days=days)
    recent = DataAccessLog.objects.filter(created_at__gte=since).exclude(department__isnull=True)
    heavy = list(
        recent.exclude(subject_id_number="")
        .values("subject_id_number", "department__name")
        .annotate(n=Count("id"))
        .filter(n__gte=many)
        .order_by("-n")[:limit]
    )
    for row in heavy:
        row["subject"] = mask_id_number(row.pop("subject_id_number"))
    late = []
    for log in recent.select_related("department").order_by("-created_at")[:2000]:
        local = timezone.localtime(log.created_at)
        if local.hour < 8 or local.hour >= 20 or local.weekday() >= 5:
            late.append(log)
            if len(late) >= limit:
                break
    case_reads = list(
        recent.filter(channel="case", accessor__isnull=False)
        .select_related("department")
        .order_by("-created_at")[:500]
    )
    acted = set(
        CaseEvent.objects.filter(
            case__number__in={r.case_number for r in case_reads}, at__gte=since
        ).values_list("case__number", "actor_id")
    )
    idle, seen = [], set()
    for read in case_reads:
        key = (read.case_number, read.accessor_id)
        if key in seen or key in acted:
            continue
        seen.add(key)
        idle.append(read)
    return {"heavy": heavy, "late": late, "idle": idle[:limit]}


def exemption_rates(departments: list[Department]) -> dict:
    """材料免提交率 per item of ``departments``: of the required materials an applicant would
    upload online, how many come by sharing (a mapped resource the department may read) or from
    the wallet (a certificate type accepted for it)."""
    from tongban.cases.forms import is_application_form
    from tongban.catalog.models import MaterialRequirement
    from tongban.certificates.models import CertificateType

    from .services import grant_for

    required = [
        m
        for m in MaterialRequirement.objects.filter(
            item__department__in=departments, item__status="published", necessity="required"
        ).select_related("item")
        if not is_application_form(m)
    ]
    ids = [m.pk for m in required]
    shared = set()
    for source in SharedMaterial.objects.filter(requirement_id__in=ids).select_related(
        "resource", "requirement__item__department"
    ):
        department = source.requirement.item.department
        if source.resource.provider_id == department.pk or grant_for(
            department, source.resource, source.fields
        ):
            shared.add(source.requirement_id)
    through = CertificateType.accepted_for.through
    wallet = set(
        through.objects.filter(materialrequirement_id__in=ids, certificatetype__is_active=True).values_list(
            "materialrequirement_id", flat=True
        )
    )
    items: dict[int, dict] = {}
    for material in required:
        row = items.setdefault(
            material.item_id, {"item": material.item, "required": 0, "shared": 0, "wallet": 0, "exempt": 0}
        )
        row["required"] += 1
        row["shared"] += material.pk in shared
        row["wallet"] += material.pk in wallet and material.pk not in shared
        row["exempt"] += material.pk in shared or material.pk in wallet
    rows = sorted(items.values(), key=lambda r: (-r["exempt"] / r["required"], r["item"].name))
    for row in rows:
        row["rate"] = row["exempt"] / row["required"]
    total = sum(r["required"] for r in rows)
    exempt = sum(r["exempt"] for r in rows)
    return {
        "rows": [r for r in rows if r["exempt"]],
        "total": total,
        "exempt": exempt,
        "rate": exempt / total if total else 0,
    }


def is_manager(user: User) -> bool:
    return bool(access.sharing_departments(user))


# How long 电子监察's data-sharing figure may be reused: the log has no event cursor, so a short
# time bounds how stale it can be while a dashboard view stays a cache read.
FIGURES_TTL = 300


def read_count(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    """Registry reads (``DataAccessLog``: data shared instead of asked of the applicant) by the
    departments of a region (code prefix, summed upwards) or by one department in
    ``[since, until)``, for 电子监察. One count on the log's time index, cached ``FIGURES_TTL``."""
    key = f"sharing:reads:{region_code}:{department_id}:{since}:{until}".replace(" ", "T")

    def count() -> int:
        reads = DataAccessLog.objects.filter(department__isnull=False)
        if region_code:
            reads = reads.filter(department__region__code__startswith=region_code)
        if department_id is not None:
            reads = reads.filter(department_id=department_id)
        if since is not None:
            reads = reads.filter(created_at__gte=since)
        if until is not None:
            reads = reads.filter(created_at__lt=until)
        return reads.count()

    return cache.get_or_set(key, count, FIGURES_TTL)
