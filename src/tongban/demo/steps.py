"""The demo steps of the catalogue side: regions, the catalogue itself and the search index."""

from collections.abc import Callable

from tongban.catalog.models import SearchEntry, ServiceItem

from .catalog import ensure_regions, load_city_demo, load_province_scale


def regions(**_: object) -> str:
    created = ensure_regions()
    return f"已载入行政区划 {created} 条" if created else "行政区划已存在"


def catalog(
    *, scale: str, min_items: int, province: str, out: Callable[[str], None] | None = None, **_: object
) -> str:
    if scale == "province":
        report = load_province_scale(min_items=min_items, province=province, progress=out)
        return f"{report}（其中广安市 {report.timings['city']:.1f} 秒，全省 {report.timings['province']:.1f} 秒）"
    return str(load_city_demo())


def search(**_: object) -> str:
    """Rebuild the search index when the search module provides one and it is incomplete.

    The demo writes items in bulk (no save signals), so after it added items every published
    item may lack its entry; when each already has one, a second run leaves the index alone.
    """
    try:
        from tongban.catalog import search as search_module
    except ImportError:
        return "检索模块尚未提供，跳过"
    if not hasattr(search_module, "rebuild_index"):
        return "检索模块未提供 rebuild_index，跳过"
    published = ServiceItem.objects.published()
    total = published.count()
    if SearchEntry.objects.count() == total and not published.filter(search_entry__isnull=True).exists():
        return f"检索索引已是最新（{total} 条）"
    result = search_module.rebuild_index()
    return f"检索索引已重建：{result}" if result is not None else "检索索引已重建"
