"""Regions (GB/T 2260) in the JSON API: one level at a time, one region, or a bounded subtree.

Codes are accepted in every form the country uses: ``511602``, ``511602000000``, ``5116``,
``511600`` (a city in 6-digit notation); answers give the short ``code`` and the 12-digit ``code12``.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from . import selectors
from .codes import parent_code
from .models import Region

router = Router(tags=["行政区划"])

REGION_CODE_PATTERN = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
REGION_CODE_HELP = "行政区划代码：2/4/6/9 位，或 12 位补零形式（如 511602 或 511602000000）"
MAX_TREE_DEPTH = 3


class RegionRef(Schema):
    code: str
    code12: str
    name: str
    full_name: str
    level: int


class RegionFields(RegionRef):
    level_name: str
    parent_code: str | None
    has_children: bool


class RegionOut(RegionFields):
    """A region row; ``has_children`` comes from ``selectors.with_has_children``."""

    @staticmethod
    def resolve_level_name(obj: Region) -> str:
        return str(Region.Level(obj.level).label)

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return parent_code(obj.code)


class RegionList(Schema):
    parent: RegionRef | None
    total: int
    items: list[RegionOut]


class RegionDetail(RegionFields):
    ancestors: list[RegionRef]
    children: list[RegionOut]


class RegionNodeOut(Schema):
    code: str
    code12: str
    name: str
    full_name: str
    level: int
    has_children: bool
    children: list["RegionNodeOut"] | None = None


RegionNodeOut.model_rebuild()


@router.get("/regions", response=RegionList, summary="区划列表：省级，或某区划的下一级")
def list_regions(
    request: HttpRequest,
    parent: str | None = Query(None, pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP),
) -> dict[str, Any]:
    parent_region = selectors.get_region(parent, field="parent") if parent else None
    items = selectors.list_regions(parent_region)
    return {"parent": parent_region, "total": len(items), "items": items}


@router.get("/regions/{code}", response=RegionDetail, summary="区划详情：含全部上级和下一级")
def region_detail(
    request: HttpRequest, code: str = Path(..., pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP)
) -> dict[str, Any]:
    region = selectors.get_region(code, field="code")
    children = selectors.list_regions(region)
    return {
        "code": region.code,
        "code12": region.code12,
        "name": region.name,
        "full_name": region.full_name,
        "level": region.level,
        "level_name": str(Region.Level(region.level).label),
        "parent_code": parent_code(region.code),
        "has_children": bool(children),
        "ancestors": selectors.ancestors_of(region),
        "children": children,
    }


@router.get(
    "/regions/{code}/tree",
    response=RegionNodeOut,
    summary="区划子树：向下展开 depth 级（最多 3 级）",
    description="最后一级的 `children` 为 null，`has_children` 表示能否继续展开。",
)
def region_tree(
    request: HttpRequest,
    code: str = Path(..., pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP),
    depth: int = Query(1, ge=1, le=MAX_TREE_DEPTH, description="展开的层数，1–3"),
) -> selectors.RegionNode:
    return selectors.region_tree(selectors.get_region(code, field="code"), depth)
