"""Build and store the search documents (``SearchEntry`` rows) of published items.

Writes go through ``SearchEntry`` only; the database keeps its full-text index in step
(FTS5 triggers on SQLite, a generated tsvector on PostgreSQL). Called inside the caller's
transaction, so an item and its index row change together.
"""

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tongban.catalog.models import SearchEntry, ServiceItem
from tongban.regions.codes import ancestor_codes

from . import analysis
from .signals import index_updated

CHUNK = 1000
UNCLASSIFIED_GROUPS = {"", "未分类", "无", "其他"}


def region_filter_tokens(region_code: str) -> list[str]:
    """An item is found from its own region and every region above it ('0r…'); '0x…' is exact."""
    return [f"0r{code}" for code in ancestor_codes(region_code)] + [f"0x{region_code}"]


@functools.lru_cache(maxsize=4096)
def _phrase(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    word_list, pinyin = analysis.phrase_tokens(text)
    return tuple(word_list), tuple(pinyin)


@dataclass(frozen=True)
class ItemFacts:
    """The fields of an item that its search document is made of."""

    pk: int
    name: str
    group: str
    keywords: str
    item_type: str
    region_code: str
    for_person: bool
    for_enterprise: bool
    department_id: int
    department_name: str
    department_short_name: str
    popularity: int
    base_code: str = ""
    themes: tuple[tuple[str, str], ...] = ()  # (name, slug)


def build_entry(item: ItemFacts) -> SearchEntry:
    """The search document of one item."""
    name = analysis.analyse_name(item.name)
    extra_words: list[str] = []
    extra_pinyin: list[str] = []
    sources = [item.group if item.group.strip() not in UNCLASSIFIED_GROUPS else ""]
    sources += [item.department_name, item.department_short_name]
    sources += [theme_name for theme_name, _slug in item.themes]
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
    filters.extend(f"0t{''.join(analysis.runs(slug.lower()))}" for _name, slug in item.themes)
    return SearchEntry(
        item_id=item.pk,
        title=item.name,
        tokens=" ".join(name.words),
        extra=" ".join(_unique([w for w in extra_words if len(w) > 1 or not analysis.is_han(w)])),
        pinyin=" ".join(_unique([*name.pinyin, *extra_pinyin])),
        grams=" ".join(name.grams),
        filters=" ".join(_unique(filters)),
        region_code=item.region_code,
        base_code=item.base_code,
        popularity=item.popularity,
    )


_FACT_FIELDS = (
    "pk",
    "name",
    "group",
    "keywords",
    "item_type",
    "region_code",
    "for_person",
    "for_enterprise",
    "department_id",
    "department__name",
    "department__short_name",
    "popularity",
    "base_code",
)


def published_facts(ids: list[int]) -> list[ItemFacts]:
    """Facts of the published items among ``ids``, in two queries (rows as tuples, not models)."""
    rows = ServiceItem.objects.filter(pk__in=ids, status=ServiceItem.Status.PUBLISHED).values_list(
        *_FACT_FIELDS
    )
    themes: dict[int, list[tuple[str, str]]] = {}
    links = ServiceItem.themes.through.objects.filter(serviceitem_id__in=ids).values_list(
        "serviceitem_id", "theme__name", "theme__slug"
    )
    for item_id, theme_name, slug in links:
        themes.setdefault(item_id, []).append((theme_name, slug))
    return [ItemFacts(*row, themes=tuple(themes.get(row[0], ()))) for row in rows]


_INSERT = (
    "INSERT INTO catalog_searchentry "
    "(item_id, title, tokens, extra, pinyin, grams, filters, region_code, base_code, popularity, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _insert(entries: list[SearchEntry]) -> None:
    """Insert index rows with one prepared statement (the ORM's bulk_create costs more than the data)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            e.item_id,
            e.title,
            e.tokens,
            e.extra,
            e.pinyin,
            e.grams,
            e.filters,
            e.region_code,
            e.base_code,
            e.popularity,
            now,
        )
        for e in entries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT, rows)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def index_items(item_ids: Iterable[int]) -> None:
    """(Re)index these items; unpublished or deleted ones are removed from the index."""
    ids = sorted({int(i) for i in item_ids if i is not None})
    for chunk in _chunks(ids):
        entries = [build_entry(item) for item in published_facts(chunk)]
        with transaction.atomic():
            SearchEntry.objects.filter(item_id__in=chunk).delete()
            _insert(entries)
    if ids:
        index_updated.send(sender=SearchEntry, item_ids=ids)


def rebuild_index() -> int:
    """Index every published item from scratch; returns how many are searchable."""
    from .backends import bulk_load

    ids = list(
        ServiceItem.objects.filter(status=ServiceItem.Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = 0
    with transaction.atomic(), bulk_load():
        SearchEntry.objects.all().delete()
        for chunk in _chunks(ids):
            entries = [build_entry(item) for item in published_facts(chunk)]
            _insert(entries)
            total += len(entries)
    index_updated.send(sender=SearchEntry, item_ids=None)
    return total
