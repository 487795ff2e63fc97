"""Writes of the open-data portal: download counts and the published statistics snapshot.

Download counts are one ``UPDATE … SET downloads = downloads + 1`` per download (F()), never a
read-modify-write, and no row per download: a popular file causes no write storm or lost update.

The case statistics are published as a snapshot (``StatisticsRow``) rebuilt from 电子监察's
rollups (``supervision.selectors.indicator_rows``) by ``tongban tick`` (``refresh_due``) and by the demo. Why a snapshot rather than reading the rollups on each request:
suppression needs every item of a department's month at once (secondary suppression), so doing
it per request would read and sort whole groups for every page; the snapshot stores only the
published values, so the API is one indexed, paged read and no code path can show a value that
suppression removed.
"""

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.supervision import selectors as supervision
from tongban.supervision.models import Cursor

from .datasets import department_code
from .models import Dataset, StatisticsRow
from .selectors import get_spec
from .suppression import suppress_group

STATISTICS = "case-statistics"
SNAPSHOT_EVERY = dt.timedelta(minutes=10)
PUBLISHED_MEASURES = ("received", "online", "accepted", "concluded", "with_promised", "on_time")
SOURCE_MEASURES = {
    "received": "received",
    "online": "online",
    "accepted": "accepted",
    "concluded": "concluded",
    "with_promised": "with_promised",
    "on_time": "on_time_promised",
}


def record_download(slug: str) -> None:
    """Count one download of a dataset (anyone may download; only known datasets are counted)."""
    get_spec(slug)
    if not Dataset.objects.filter(slug=slug).update(downloads=F("downloads") + 1):
        Dataset.objects.get_or_create(slug=slug)
        Dataset.objects.filter(slug=slug).update(downloads=F("downloads") + 1)


COLUMNS = (
    "month",
    "kind",
    "region_code",
    "region_name",
    "department_code",
    "department_name",
    "item_code",
    "item_name",
    *PUBLISHED_MEASURES,
    "seq",
)


def _build_rows(cells: list[dict]) -> list[tuple]:
    """Published rows (tuples in ``COLUMNS`` order) from rollup cells (month, department_id,
    item_id, measures…): item rows and each department's month total, suppressed."""
    items = (
        ServiceItem.objects.select_related("region")
        .only("code", "name", "region_code", "region__code", "region__name", "region__full_name")
        .in_bulk({c["item_id"] for c in cells})
    )
    departments = (
        Department.objects.select_related("region")
        .only("name", "uscc", "local_code", "region__code", "region__name", "region__full_name")
        .in_bulk({c["department_id"] for c in cells})
    )
    groups: dict[tuple[dt.date, int], list[dict]] = defaultdict(list)
    for cell in cells:
        if cell["item_id"] in items and cell["department_id"] in departments:
            groups[(cell["month"], cell["department_id"])].append(cell)
    rows = []
    for (month, department_id), members in groups.items():
        members.sort(key=lambda c: items[c["item_id"]].code)
        department = departments[department_id]
        published: list[list[int | None]] = []
        totals: list[int | None] = []
        for measure in PUBLISHED_MEASURES:
            cells_out, total = suppress_group([c[SOURCE_MEASURES[measure]] for c in members])
            published.append(cells_out)
            totals.append(total)
        code, name = department_code(department), department.name
        for index, cell in enumerate(members):
            item = items[cell["item_id"]]
            region = item.region.full_name or item.region.name
            counts = tuple(column[index] for column in published)
            rows.append(
                (
                    month,
                    StatisticsRow.Kind.ITEM.value,
                    item.region_code,
                    region,
                    code,
                    name,
                    item.code,
                    item.name,
                    *counts,
                )
            )
        region = department.region.full_name or department.region.name
        rows.append(
            (
                month,
                StatisticsRow.Kind.DEPARTMENT.value,
                department.region.code,
                region,
                code,
                name,
                "",
                "",
                *totals,
            )
        )
    return rows


def _numbered(rows: list[tuple]) -> list[tuple]:
    """The rows in the snapshot's order — month newest first, then region code, department code,
    row kind and item code (by code point) — each with its position ``seq`` (1, 2, …) appended:
    pages and cursors read ``seq > n`` instead of skipping n rows."""
    rows.sort(key=lambda row: (-row[0].toordinal(), row[2], row[4], row[1], row[6]))
    return [(*row, seq) for seq, row in enumerate(rows, 1)]


def _insert(rows: list[tuple]) -> None:
    """One prepared INSERT run over all rows: bulk_create's per-row SQL compilation cost more
    than the database's work (seconds per ten thousand rows)."""
    table = connection.ops.quote_name(StatisticsRow._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names from the model, values bound)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _cells() -> list[dict]:
    """电子监察's rollups by month, department and item (summed over the cases' region codes)."""
    rows = supervision.indicator_rows(period="month", group_by=("period", "department", "item"))
    return [
        {"month": r.period, "department_id": r.department_id, "item_id": r.item_id}
        | {source: r.counts[source] for source in SOURCE_MEASURES.values()}
        for r in rows
        if r.item_id
    ]


def rebuild_statistics() -> int:
    """Replace the published statistics with a fresh, suppressed snapshot; returns its row count."""
    rows = _numbered(_build_rows(_cells()))
    with transaction.atomic():
        StatisticsRow.objects.all().delete()
        _insert(rows)
        Dataset.objects.update_or_create(
            slug=STATISTICS, defaults={"snapshot_at": timezone.now(), "rows": len(rows)}
        )
    return len(rows)


def refresh_due() -> int:
    """Periodic duty: rebuild the statistics when 电子监察's rollups moved since the snapshot (at
    most every ``SNAPSHOT_EVERY``), and at least daily; returns the rows written (0: not due)."""
    snapshot_at = Dataset.objects.filter(slug=STATISTICS).values_list("snapshot_at", flat=True).first()
    if snapshot_at is not None:
        age = timezone.now() - snapshot_at
        if age < SNAPSHOT_EVERY:
            return 0
        if age < dt.timedelta(days=1) and not Cursor.objects.filter(updated_at__gt=snapshot_at).exists():
            return 0
    return rebuild_statistics()
