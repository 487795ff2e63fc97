"""Build and store the search documents (``SearchEntry`` rows) of published items.

Writes go through ``SearchEntry`` only; the database keeps its full-text index in step
(FTS5 triggers on SQLite, a generated tsvector on PostgreSQL). Called inside the caller's
transaction, so an item and its index row change together.
"""

import functools
from collections.abc import Iterable, Iterator

from django.db import transaction

from tongban.catalog.models import SearchEntry, ServiceItem
from tongban.regions.codes import ancestor_codes

from . import analysis

CHUNK = 1000
UNCLASSIFIED_GROUPS = {"", "未分类", "无", "其他"}


def region_filter_tokens(region_code: str) -> list[str]:
    """An item is found from its own region and every region above it ('0r…'); '0x…' is exact."""
    return [f"0r{code}" for code in ancestor_codes(region_code)] + [f"0x{region_code}"]


@functools.lru_cache(maxsize=4096)
def _phrase(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    word_list, pinyin = analysis.phrase_tokens(text)
    return tuple(word_list), tuple(pinyin)


def build_entry(item: ServiceItem, themes: Iterable) -> SearchEntry:
    """The search document of one item (``themes`` given so callers can prefetch them)."""
    themes = list(themes)
    name = analysis.analyse_name(item.name)
    extra_words: list[str] = []
    extra_pinyin: list[str] = []
    sources = [item.group if item.group.strip() not in UNCLASSIFIED_GROUPS else ""]
    sources += [item.department.name, item.department.short_name]
    sources += [t.name for t in themes]
    keywords = analysis.normalize(item.keywords.replace(",", " ").replace("，", " ").replace("、", " "))
    for keyword in keywords.split():
        compact = "".join(analysis.runs(keyword))
        if compact:
            extra_words.append(compact)
        sources.append(keyword)
    for text in sources:
        if text:
            word_list, pinyin = _phrase(text)
            extra_words.extend(word_list)
            extra_pinyin.extend(pinyin)
    filters = region_filter_tokens(item.region_code)
    if item.for_person:
        filters.append("0aperson")
    if item.for_enterprise:
        filters.append("0aenterprise")
    filters.append(f"0d{item.department_id}")
    filters.append(f"0y{item.item_type}")
    filters.extend(f"0t{''.join(analysis.runs(t.slug.lower()))}" for t in themes)
    return SearchEntry(
        item_id=item.pk,
        title=item.name,
        tokens=" ".join(name.words),
        extra=" ".join(_unique(extra_words)),
        pinyin=" ".join(_unique([*name.pinyin, *extra_pinyin])),
        grams=" ".join(name.grams),
        filters=" ".join(_unique(filters)),
        region_code=item.region_code,
    )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _published(ids: list[int]):  # noqa: ANN202
    return (
        ServiceItem.objects.filter(pk__in=ids, status=ServiceItem.Status.PUBLISHED)
        .select_related("department")
        .prefetch_related("themes")
    )


def index_items(item_ids: Iterable[int]) -> None:
    """(Re)index these items; unpublished or deleted ones are removed from the index."""
    ids = sorted({int(i) for i in item_ids if i is not None})
    for chunk in _chunks(ids):
        entries = [build_entry(item, item.themes.all()) for item in _published(chunk)]
        with transaction.atomic():
            SearchEntry.objects.filter(item_id__in=chunk).delete()
            SearchEntry.objects.bulk_create(entries, batch_size=500)


def rebuild_index() -> int:
    """Index every published item from scratch; returns how many are searchable."""
    from .backends import after_bulk_load

    ids = list(
        ServiceItem.objects.filter(status=ServiceItem.Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = 0
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for chunk in _chunks(ids):
            entries = [build_entry(item, item.themes.all()) for item in _published(chunk)]
            SearchEntry.objects.bulk_create(entries, batch_size=500)
            total += len(entries)
    after_bulk_load()
    return total
