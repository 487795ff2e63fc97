"""Reads of the region tree shared by pages and the API."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput, NotFound

from .codes import RegionCodeError, ancestor_codes, normalize_region_code
from .models import Region


def region_by_code(code: str | None) -> Region | None:
    if not code:
        return None
    try:
        canonical = normalize_region_code(code)
    except RegionCodeError:
        return None
    return Region.objects.select_related("parent").filter(code=canonical).first()


# Per-process memo of data immutable by its key: codes seen to exist. The platform adds and
# renames regions (the import) but never deletes one (its rows are protected by every address and
# item), so a code once found stays valid in every process and needs no shared cache. Codes not
# found are not remembered (a region may be added at any time).
_existing_codes: set[str] = set()


def region_code_exists(code: str | None) -> bool:
    """Whether ``code`` (any accepted form) names a region; what form validation asks of every
    address, answered from memory after the first time."""
    if not code:
        return False
    try:
        canonical = normalize_region_code(code)
    except RegionCodeError:
        return False
    if canonical in _existing_codes:
        return True
    if Region.objects.filter(code=canonical).exists():
        _existing_codes.add(canonical)
        return True
    return False


def clear_cache() -> None:
    _existing_codes.clear()


def children_of(region: Region | None) -> QuerySet[Region]:
    if region is None:
        return Region.objects.filter(level=Region.Level.PROVINCE)
    return Region.objects.filter(parent=region)


def get_region(code: str, *, field: str = "region") -> Region:
    """The region named by ``code`` in any accepted form, or a ``NotFound``/``InvalidInput`` error."""
    try:
        canonical = normalize_region_code(code)
    except RegionCodeError as exc:
        raise InvalidInput(str(exc), code="invalid_region_code", field=field) from exc
    region = Region.objects.select_related("parent").filter(code=canonical).first()
    if region is None:
        raise NotFound(_("找不到行政区划 %(code)s。") % {"code": code}, field=field)
    return region


def with_has_children(regions: QuerySet[Region]) -> QuerySet[Region]:
    """Annotate ``has_children`` in the same query, so tree widgets know what can expand."""
    return regions.annotate(has_children=Exists(Region.objects.filter(parent=OuterRef("pk"))))


def list_regions(parent: Region | None) -> list[Region]:
    return list(with_has_children(children_of(parent)).order_by("code"))


def ancestors_of(region: Region) -> list[Region]:
    """The region's ancestors, province first, in one query (codes are prefixes of each other)."""
    codes = ancestor_codes(region.code)[:-1]
    if not codes:
        return []
    return list(Region.objects.filter(code__in=codes).order_by("level"))


@dataclass
class RegionNode:
    code: str
    code12: str
    name: str
    full_name: str
    level: int
    has_children: bool
    children: list["RegionNode"] | None = None


def region_tree(root: Region, depth: int) -> RegionNode:
    """``root`` and its descendants down to ``depth`` levels, read in one query.

    Nodes on the last level have ``children=None`` (not expanded) and say whether they
    have children; nodes above it list theirs.
    """
    rows = with_has_children(
        Region.objects.filter(code__startswith=root.code, level__gt=root.level, level__lte=root.level + depth)
    ).order_by("code")
    nodes: dict[int, RegionNode] = {}
    top = RegionNode(
        code=root.code,
        code12=root.code12,
        name=root.name,
        full_name=root.full_name,
        level=root.level,
        has_children=False,
        children=[],
    )
    nodes[root.pk] = top
    # Rows ordered by code always come after their parent (a parent's code is a prefix).
    for row in rows:
        parent = nodes.get(row.parent_id)
        if parent is None:
            continue
        node = RegionNode(
            code=row.code,
            code12=row.code12,
            name=row.name,
            full_name=row.full_name,
            level=row.level,
            has_children=row.has_children,
            children=[] if row.level < root.level + depth else None,
        )
        parent.children.append(node)
        parent.has_children = True
        nodes[row.pk] = node
    return top
