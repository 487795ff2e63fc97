"""Reads of the region tree shared by pages and the API."""

from django.db.models import QuerySet

from .codes import RegionCodeError, normalize_region_code
from .models import Region


def region_by_code(code: str | None) -> Region | None:
    if not code:
        return None
    try:
        canonical = normalize_region_code(code)
    except RegionCodeError:
        return None
    return Region.objects.select_related("parent").filter(code=canonical).first()


def children_of(region: Region | None) -> QuerySet[Region]:
    if region is None:
        return Region.objects.filter(level=Region.Level.PROVINCE)
    return Region.objects.filter(parent=region)
