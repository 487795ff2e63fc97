"""Search entry points (first version: plain name matching; the full index follows)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput

MAX_QUERY_LENGTH = 100


class SearchQueryTooLong(InvalidInput):
    code = "search_query_too_long"
    default_message = _("搜索内容过长，请不超过 100 个字。")


@dataclass
class SearchHit:
    item: ServiceItem
    score: float
    highlighted_name: str


@dataclass
class SearchPage:
    total: int
    hits: list[SearchHit]
    page: int
    page_size: int
    query: str
    corrected_query: str | None = None


def _filtered(region_code, audience, department_id, theme_slug, item_type):  # noqa: ANN001, ANN202
    items = ServiceItem.objects.published().select_related("department", "region")
    if region_code:
        items = items.filter(region_code__startswith=region_code)
    if audience == "person":
        items = items.filter(for_person=True)
    elif audience == "enterprise":
        items = items.filter(for_enterprise=True)
    if department_id:
        items = items.filter(department_id=department_id)
    if theme_slug:
        items = items.filter(themes__slug=theme_slug)
    if item_type:
        items = items.filter(item_type=item_type)
    return items


def search_items(
    query: str,
    *,
    region_code: str | None = None,
    audience: str | None = None,
    department_id: int | None = None,
    theme_slug: str | None = None,
    item_type: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryTooLong(field="q")
    if not query:
        return SearchPage(total=0, hits=[], page=page, page_size=page_size, query=query)
    items = _filtered(region_code, audience, department_id, theme_slug, item_type).filter(
        Q(name__icontains=query) | Q(keywords__icontains=query)
    )
    total = items.count()
    start = (page - 1) * page_size
    hits = [
        SearchHit(item=i, score=1.0, highlighted_name=escape(i.name))
        for i in items.order_by("-popularity", "id")[start : start + page_size]
    ]
    return SearchPage(total=total, hits=hits, page=page, page_size=page_size, query=query)


def suggest(prefix: str, *, region_code: str | None = None, limit: int = 8) -> list[dict]:
    prefix = (prefix or "").strip()[:MAX_QUERY_LENGTH]
    if not prefix:
        return []
    items = _filtered(region_code, None, None, None, None).filter(name__icontains=prefix)
    return [
        {"code": i.code, "name": i.name, "department": i.department.name}
        for i in items.order_by("-popularity", "id")[:limit]
    ]


def index_items(item_ids: Iterable[int]) -> None:
    """(Re)index these items; unpublished ones leave the index."""


def rebuild_index() -> int:
    return ServiceItem.objects.published().count()
