"""Reads of departments shared by pages and the API."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound
from tongban.regions.models import Region

from .models import Department


def departments_in_region(
    region: Region | None = None, *, include_below: bool = True
) -> QuerySet[Department]:
    """Active departments of a region (and, by default, of the regions below it)."""
    qs = Department.objects.filter(is_active=True).select_related("region")
    if region is not None:
        qs = qs.filter(region__code__startswith=region.code) if include_below else qs.filter(region=region)
    return qs


def departments_with_item_counts(region: Region | None = None) -> QuerySet[Department]:
    """Departments as "shops": each with the number of its published items, busiest first."""
    return (
        departments_in_region(region)
        .annotate(item_count=Count("items", filter=Q(items__status="published")))
        .order_by("-item_count", "name")
    )


def get_department(pk: int) -> Department:
    department = Department.objects.select_related("region").filter(pk=pk, is_active=True).first()
    if department is None:
        raise NotFound(_("找不到实施主体 %(id)s。") % {"id": pk})
    return department


def find_by_code(code: str) -> Department | None:
    """A department by its USCC or its local code."""
    code = (code or "").strip()
    if not code:
        return None
    return Department.objects.filter(Q(uscc=code.upper()) | Q(local_code=code)).first()
