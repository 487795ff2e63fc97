"""Departments (实施主体) in the JSON API: the "shops" with their published item counts."""

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema

from tongban.core.params import MAX_PAGE, Id
from tongban.regions.api import REGION_CODE_HELP, REGION_CODE_PATTERN, RegionRef
from tongban.regions.selectors import get_region

from . import selectors
from .models import Department

router = Router(tags=["实施主体"])

MAX_PAGE_SIZE = 100
# Department sits below the catalogue, so it names the item status instead of importing it.
PUBLISHED = "published"


class DepartmentRef(Schema):
    id: int
    name: str


class DepartmentOut(DepartmentRef):
    short_name: str
    uscc: str | None
    local_code: str
    region: RegionRef
    item_count: int


class DepartmentPage(Schema):
    total: int
    page: int
    page_size: int
    items: list[DepartmentOut]


class TypeCount(Schema):
    type: str
    type_name: str
    count: int


class DepartmentDetail(DepartmentOut):
    description: str
    address: str
    phone: str
    office_hours: str
    item_count_person: int
    item_count_enterprise: int
    item_counts_by_type: list[TypeCount]


def _published_counts(department: Department) -> dict[str, Any]:
    """Published items of one department: in total, per audience and per national item type."""
    items = department.items.filter(status=PUBLISHED)
    totals = items.aggregate(
        total=Count("id"),
        person=Count("id", filter=Q(for_person=True)),
        enterprise=Count("id", filter=Q(for_enterprise=True)),
    )
    type_names = dict(
        Department._meta.get_field("items").related_model._meta.get_field("item_type").flatchoices
    )
    by_type = [
        {"type": row["item_type"], "type_name": str(type_names.get(row["item_type"], "")), "count": row["n"]}
        for row in items.order_by().values("item_type").annotate(n=Count("id")).order_by("item_type")
    ]
    return {
        "item_count": totals["total"],
        "item_count_person": totals["person"],
        "item_count_enterprise": totals["enterprise"],
        "item_counts_by_type": by_type,
    }


def _search(departments: QuerySet[Department], q: str | None) -> QuerySet[Department]:
    q = (q or "").strip()
    if not q:
        return departments
    return departments.filter(Q(name__icontains=q) | Q(short_name__icontains=q))


@router.get(
    "/departments",
    response=DepartmentPage,
    summary="实施主体列表",
    description="按区划（含下级）筛选、按名称查找；按已发布事项数从多到少排列。",
)
def list_departments(
    request: HttpRequest,
    region: str | None = Query(None, pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP),
    q: str | None = Query(None, max_length=50, description="名称或简称中包含的文字"),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    region_obj = get_region(region) if region else None
    # ``id`` last so that pages never overlap when counts and names tie.
    departments = _search(selectors.departments_with_item_counts(region_obj), q).order_by(
        "-item_count", "name", "id"
    )
    start = (page - 1) * page_size
    return {
        "total": departments.count(),
        "page": page,
        "page_size": page_size,
        "items": list(departments[start : start + page_size]),
    }


@router.get("/departments/{department_id}", response=DepartmentDetail, summary="实施主体详情")
def department_detail(request: HttpRequest, department_id: Id) -> dict[str, Any]:
    department = selectors.get_department(department_id)
    return {
        "id": department.pk,
        "name": department.name,
        "short_name": department.short_name,
        "uscc": department.uscc,
        "local_code": department.local_code,
        "region": department.region,
        "description": department.description,
        "address": department.address,
        "phone": department.phone,
        "office_hours": department.office_hours,
        **_published_counts(department),
    }
