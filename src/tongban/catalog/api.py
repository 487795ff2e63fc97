"""The catalogue in the JSON API: themes, life events, items with their guides, and search.

The public API shows published items only; drafts and withdrawn items answer 404 like
items that never existed.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from tongban.core.errors import NotFound
from tongban.core.params import MAX_PAGE
from tongban.departments.models import Department
from tongban.departments.selectors import get_department
from tongban.regions.api import REGION_CODE_HELP, REGION_CODE_PATTERN
from tongban.regions.selectors import get_region

from . import search_log, selectors
from .models import Audience, ItemType
from .schemas import (
    ItemDetail,
    ItemPage,
    LifeEventDetail,
    LifeEventList,
    SearchAnswer,
    SuggestAnswer,
    ThemeList,
)

router = Router(tags=["事项目录"])

MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100
NON_BLANK = r"\S"

AUDIENCE_HELP = "面向对象：person 个人，enterprise 法人"
TYPE_HELP = "事项类型（国家标准编号）：01 行政许可 … 10 其他行政权力，20 公共服务"
AudienceParam = Annotated[Audience | None, Query(None, description=AUDIENCE_HELP)]
TypeParam = Annotated[ItemType | None, Query(None, alias="type", description=TYPE_HELP)]


def _department(department_id: int | None) -> Department | None:
    """The department a filter names; unknown ones are a 404 naming the parameter."""
    if department_id is None:
        return None
    try:
        return get_department(department_id)
    except NotFound as exc:
        exc.field = "department"
        raise


def _page(total: int, items: list[Any], page: int, page_size: int) -> dict[str, Any]:
    return {"total": total, "page": page, "page_size": page_size, "items": items}


@router.get("/themes", response=ThemeList, summary="主题（按个人 / 法人）", tags=["主题与一件事"])
def list_themes(
    request: HttpRequest,
    audience: AudienceParam = None,
    region: str | None = Query(
        None, pattern=REGION_CODE_PATTERN, description="只统计该区划（含下级）的事项数。" + REGION_CODE_HELP
    ),
) -> dict[str, Any]:
    region_obj = get_region(region) if region else None
    themes = selectors.themes_with_counts(audience, region_obj)
    return {"total": len(themes), "items": themes}


@router.get("/life-events", response=LifeEventList, summary="一件事列表", tags=["主题与一件事"])
def list_life_events(
    request: HttpRequest,
    audience: AudienceParam = None,
    region: str | None = Query(
        None,
        pattern=REGION_CODE_PATTERN,
        description="该区划适用的（全国、上级、本级及下级）。" + REGION_CODE_HELP,
    ),
) -> dict[str, Any]:
    region_obj = get_region(region) if region else None
    events = list(selectors.life_events_for(audience, region_obj))
    return {"total": len(events), "items": events}


@router.get(
    "/life-events/{slug}", response=LifeEventDetail, summary="一件事详情：含已发布事项", tags=["主题与一件事"]
)
def life_event_detail(request: HttpRequest, slug: str = Path(..., max_length=80)) -> Any:
    return selectors.get_life_event(slug)


@router.get(
    "/items",
    response=ItemPage,
    summary="事项列表",
    description="只列已发布事项，按热度从高到低。所有筛选条件可组合。",
)
def list_items(
    request: HttpRequest,
    region: str | None = Query(
        None, pattern=REGION_CODE_PATTERN, description="区划（含下级）。" + REGION_CODE_HELP
    ),
    department: int | None = Query(None, ge=1, description="实施主体 id"),
    theme: str | None = Query(None, max_length=64, description="主题标识（slug），可与 audience 同用"),
    audience: AudienceParam = None,
    item_type: TypeParam = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    items = selectors.filter_items(
        selectors.published_items(),
        region=get_region(region) if region else None,
        department=_department(department),
        themes=selectors.themes_by_slug(theme, audience) if theme else None,
        audience=audience,
        item_type=item_type,
    ).order_by("-popularity", "id")
    start = (page - 1) * page_size
    return _page(items.count(), list(items[start : start + page_size]), page, page_size)


@router.get("/items/{code}", response=ItemDetail, summary="事项详情（办事指南全部要素）")
def item_detail(request: HttpRequest, code: str = Path(..., max_length=80, description="实施编码")) -> Any:
    return selectors.get_published_item(code)


# Looked up directly: Model.get_FOO_display() rebuilds a hashable copy of every choice (and
# translates each label) on each call, a tenth of a millisecond per row.
_TYPE_LABELS = dict(ItemType.choices)


def _search_row(hit: Any) -> dict[str, Any]:
    """A result as plain values: the response schema validates dicts far faster than models."""
    item = hit.item
    department, region = item.department, item.region
    return {
        "code": item.code,
        "name": item.name,
        "highlight": hit.highlighted_name,
        "score": hit.score,
        "type": item.item_type,
        "type_name": str(_TYPE_LABELS.get(item.item_type, item.item_type)),
        "department": {"id": department.id, "name": department.name},
        "region": {
            "code": region.code,
            "code12": region.code12,
            "name": region.name,
            "full_name": region.full_name,
            "level": region.level,
        },
        "for_person": item.for_person,
        "for_enterprise": item.for_enterprise,
        "online_depth": item.online_depth,
    }


@router.get(
    "/search",
    response=SearchAnswer,
    summary="检索事项（日常用语、拼音、错别字均可）",
    description="结果按相关度、再按热度排列；`highlight` 是带 `<mark>` 标记、已转义的 HTML 名称。",
    tags=["检索"],
)
def search(
    request: HttpRequest,
    q: str = Query(
        ..., min_length=1, max_length=MAX_QUERY_LENGTH, pattern=NON_BLANK, description="要查找的内容"
    ),
    region: str | None = Query(None, pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP),
    audience: AudienceParam = None,
    department: int | None = Query(None, ge=1, description="实施主体 id"),
    theme: str | None = Query(None, max_length=64, description="主题标识（slug）"),
    item_type: TypeParam = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    from tongban.catalog.search import search_items

    region_obj = get_region(region) if region else None
    _department(department)
    if theme:
        selectors.themes_by_slug(theme, audience)
    result = search_items(
        q,
        region_code=region_obj.code if region_obj else None,
        audience=audience.value if audience else None,
        department_id=department,
        theme_slug=theme,
        item_type=item_type.value if item_type else None,
        page=page,
        page_size=page_size,
    )
    search_log.record_search(
        q, region_code=region_obj.code if region_obj else "", result_count=result.total, count=page == 1
    )
    return {
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "query": result.query,
        "corrected_query": result.corrected_query,
        "items": [_search_row(hit) for hit in result.hits],
    }


@router.get("/search/suggest", response=SuggestAnswer, summary="输入提示", tags=["检索"])
def search_suggest(
    request: HttpRequest,
    q: str = Query(
        ..., min_length=1, max_length=MAX_QUERY_LENGTH, pattern=NON_BLANK, description="已输入的文字"
    ),
    region: str | None = Query(None, pattern=REGION_CODE_PATTERN, description=REGION_CODE_HELP),
    limit: int = Query(8, ge=1, le=20),
) -> dict[str, Any]:
    from tongban.catalog.search import suggest

    region_obj = get_region(region) if region else None
    return {
        "query": q.strip(),
        "items": suggest(q, region_code=region_obj.code if region_obj else None, limit=limit),
    }
