"""Keeping the indicator cells: the definitions, the incremental update and the recount.

Every case and every rating has a *fact* (``CaseFact`` / ``RatingFact``): the few values the
indicators need, computed from the raw rows by ``case_facts`` / ``rating_facts``. A fact
contributes fixed amounts to fixed cells (``case_contribution``). Counting a case again applies
(new contribution − stored contribution) and stores the new fact, in one transaction; so a case
counted twice, or by two paths, is counted once.

Which cases and ratings changed comes from the audit chain (``core.audit``): every case step and
every rating change appends an entry naming its object, and appends are serialised by the chain
head, so sequence numbers become visible strictly in order and a cursor over them misses
nothing (a cursor over ``CaseEvent`` ids could skip a row whose transaction committed late).
``drain`` reads the chain from the cursor on; it runs in the worker after each case event
(``tasks.drain_rollups``, enqueued by the ``cases.steps`` event observer) and in ``tongban tick``
as the safety net, which also counts the cases that fell overdue overnight (no event marks it).

Every change to an item cell is added, in the same ``apply``, to the summary cell of its region
code, department and month (``SummaryCell``: the cells without the item), so the summaries are
always the sums of the item cells and the pages that do not look at items read far fewer rows.

``recount`` computes every cell (item and summary) from the raw cases and ratings alone and
compares (or replaces).
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from tongban.cases import clock
from tongban.cases.models import Case, CaseEvent, CorrectionRequest
from tongban.cases.services.automatic import SUFFIX as AUTOMATIC_SUFFIX
from tongban.catalog.models import Channel, OnlineDepth
from tongban.core.models import AuditEntry
from tongban.ratings.models import BAD_LEVELS, Rating, Rectification
from tongban.workdays import calendar

from .models import (
    DAYS_CAP,
    MEASURES,
    CaseFact,
    Cursor,
    DurationCell,
    IndicatorCell,
    RatingFact,
    SummaryCell,
    SummaryDurationCell,
)

CURSOR = "audit"
BATCH = 2000
CASE_FIELDS = (
    "region_code",
    "department_id",
    "item_id",
    "received_month",
    "online",
    "full_online",
    "visits",
    "corrections",
    "accepted_month",
    "refused_month",
    "concluded_month",
    "one_time",
    "automatic",
    "with_legal",
    "on_time_legal",
    "with_promised",
    "on_time_promised",
    "work_days",
    "overdue",
)
RATING_FIELDS = ("region_code", "department_id", "item_id", "month", "counted", "level", "rectified")
# 办结: the case ran its course after intake (granted, denied or forwarded); a refused intake
# (不予受理) and a withdrawal are not 办结 and have their own figures.
CONCLUDED = (Case.Status.CONCLUDED, Case.Status.DENIED, Case.Status.FORWARDED)

Key = tuple[str, int, int, dt.date]  # region code, department, item, month
SummaryKey = tuple[str, int, dt.date]  # region code, department, month


def month_of(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.replace(day=1)


def local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


# --- facts from the raw rows ---------------------------------------------------------------


def case_facts(case_ids: Iterable[int], today: dt.date | None = None) -> dict[int, dict]:
    """The fact of each case (as a dict of ``CASE_FIELDS``), from the case, its item, its
    correction requests and its automatic decision: four queries for any number of cases."""
    ids = list(case_ids)
    if not ids:
        return {}
    today = today or clock.today()
    corrections = dict(
        CorrectionRequest.objects.filter(case_id__in=ids)
        .order_by()
        .values_list("case_id")
        .annotate(n=Count("id"))
    )
    # 秒批: the grant was the system's step (``cases.services.automatic``), read from the history
    # line written with it, so the same drain that counts the conclusion sees it.
    automatic = set(
        CaseEvent.objects.filter(case_id__in=ids, actor__isnull=True, title__endswith=AUTOMATIC_SUFFIX)
        .filter(Q(action="decided") | Q(action="accept", to_status__in=CONCLUDED))
        .values_list("case_id", flat=True)
    )
    rows = Case.objects.filter(pk__in=ids).values_list(
        "pk",
        "region_code",
        "department_id",
        "item_id",
        "channel",
        "status",
        "submitted_at",
        "accepted_at",
        "concluded_at",
        "legal_due",
        "promised_due",
        "due_date",
        "paused_since",
        "item__online_depth",
        "item__visits_required",
    )
    return {row[0]: _case_fact(row, corrections.get(row[0], 0), row[0] in automatic, today) for row in rows}


def _case_fact(row: tuple, corrections: int, automatic: bool, today: dt.date) -> dict:
    (_pk, region, department, item, channel, status, submitted, accepted, concluded_at) = row[:9]
    legal_due, promised_due, due_date, paused_since, depth, visits_required = row[9:]
    online = channel == Channel.ONLINE
    full_online = online and depth == OnlineDepth.IV
    concluded = status in CONCLUDED and concluded_at is not None
    done = local_date(concluded_at) if concluded else None
    return {
        "region_code": region,
        "department_id": department,
        "item_id": item,
        "received_month": month_of(submitted),
        "online": online,
        "full_online": full_online,
        # 跑动次数: none for 全程网办, the item's 到现场次数 online, at least one at the window.
        "visits": 0 if full_online else (visits_required if online else max(visits_required, 1)),
        "corrections": corrections,
        "accepted_month": month_of(accepted),
        "refused_month": month_of(concluded_at or submitted) if status == Case.Status.REFUSED else None,
        "concluded_month": month_of(done),
        "one_time": concluded and corrections == 0,
        "automatic": concluded and automatic,
        "with_legal": concluded and legal_due is not None,
        "on_time_legal": concluded and legal_due is not None and done <= legal_due,
        "with_promised": concluded and promised_due is not None,
        "on_time_promised": concluded and promised_due is not None and done <= promised_due,
        "work_days": max(calendar.workdays_between(local_date(submitted), done), 0) if concluded else None,
        "overdue": status in Case.OPEN_STATUSES
        and paused_since is None
        and due_date is not None
        and due_date < today,
    }


def rating_facts(rating_ids: Iterable[int]) -> dict[int, dict]:
    ids = list(rating_ids)
    if not ids:
        return {}
    rectified = set(
        Rectification.objects.filter(rating_id__in=ids, status=Rectification.Status.RECTIFIED).values_list(
            "rating_id", flat=True
        )
    )
    rows = Rating.objects.filter(pk__in=ids).values_list(
        "pk", "region_code", "department_id", "item_id", "created_at", "excluded", "level"
    )
    return {
        pk: {
            "region_code": region,
            "department_id": department,
            "item_id": item or 0,
            "month": month_of(created),
            "counted": not excluded,
            "level": level,
            "rectified": pk in rectified,
        }
        for pk, region, department, item, created, excluded, level in rows
    }


# --- what a fact contributes ----------------------------------------------------------------


@dataclass
class Contribution:
    cells: dict[Key, Counter] = field(default_factory=lambda: defaultdict(Counter))
    days: Counter = field(default_factory=Counter)  # (key, days) -> count

    def add(self, other: "Contribution", sign: int = 1) -> None:
        for key, measures in other.cells.items():
            target = self.cells[key]
            for name, value in measures.items():
                target[name] += sign * value
        for key, value in other.days.items():
            self.days[key] += sign * value

    def nonzero(self) -> "Contribution":
        out = Contribution()
        for key, measures in self.cells.items():
            kept = Counter({name: value for name, value in measures.items() if value})
            if kept:
                out.cells[key] = kept
        out.days = Counter({key: value for key, value in self.days.items() if value})
        return out


def case_contribution(fact: dict | None, into: Contribution | None = None) -> Contribution:
    """Received, channel, visits, corrections and 'overdue now' in the month of submission;
    accepted in the month of acceptance; refused in the month of the refusal; everything about
    the outcome (on time, working days, 一次办结, 秒批) in the month of conclusion."""
    out = into if into is not None else Contribution()
    if not fact:
        return out
    base = (fact["region_code"], fact["department_id"], fact["item_id"])
    received = out.cells[(*base, fact["received_month"])]
    received["received"] += 1
    received["online"] += fact["online"]
    received["full_online"] += fact["full_online"]
    received["visits"] += fact["visits"]
    received["corrections"] += fact["corrections"]
    received["overdue"] += fact["overdue"]
    if fact["accepted_month"]:
        out.cells[(*base, fact["accepted_month"])]["accepted"] += 1
    if fact["refused_month"]:
        out.cells[(*base, fact["refused_month"])]["refused"] += 1
    if fact["concluded_month"]:
        key = (*base, fact["concluded_month"])
        cell = out.cells[key]
        cell["concluded"] += 1
        for name in (
            "one_time",
            "automatic",
            "with_legal",
            "on_time_legal",
            "with_promised",
            "on_time_promised",
        ):
            cell[name] += fact[name]
        cell["work_days"] += fact["work_days"]
        out.days[(key, min(fact["work_days"], DAYS_CAP))] += 1
    return out


def rating_contribution(fact: dict | None, into: Contribution | None = None) -> Contribution:
    """A counted rating in the month it was given (an upheld appeal removes it)."""
    out = into if into is not None else Contribution()
    if not fact or not fact["counted"]:
        return out
    cell = out.cells[(fact["region_code"], fact["department_id"], fact["item_id"], fact["month"])]
    bad = fact["level"] in BAD_LEVELS
    cell["rated"] += 1
    cell["rating_sum"] += fact["level"]
    cell["rating_good"] += not bad
    cell["rating_bad"] += bad
    cell["rating_rectified"] += bad and fact["rectified"]
    return out


# --- applying changes -----------------------------------------------------------------------


def summary_key(key: Key) -> SummaryKey:
    """The summary cell an item cell adds into: the same region code, department and month."""
    return (key[0], key[1], key[3])


def summarised(contribution: Contribution) -> Contribution:
    """Item cells folded into summary cells (keys ``(region_code, department_id, month)``)."""
    out = Contribution()
    for key, measures in contribution.cells.items():
        out.cells[summary_key(key)].update(measures)
    for (key, days), value in contribution.days.items():
        out.days[(summary_key(key), days)] += value
    return out


def _cell_ids(keys: list[Key]) -> dict[Key, int]:
    """Ids of the item cells with these keys, creating those that do not exist yet."""
    return _ids(IndicatorCell, ("region_code", "department_id", "item_id", "month"), keys)


def _summary_ids(keys: list[SummaryKey]) -> dict[SummaryKey, int]:
    return _ids(SummaryCell, ("region_code", "department_id", "month"), keys)


def _ids(model, names: tuple[str, ...], keys: list[tuple]) -> dict[tuple, int]:
    if not keys:
        return {}
    model.objects.bulk_create(
        [model(**dict(zip(names, key, strict=True))) for key in keys], ignore_conflicts=True, batch_size=500
    )
    wanted = set(keys)
    ids: dict[tuple, int] = {}
    for chunk in _chunks(keys, 500):
        rows = model.objects.filter(
            department_id__in={k[1] for k in chunk}, month__in={k[-1] for k in chunk}
        ).values_list("id", *names)
        for pk, *key in rows:
            if tuple(key) in wanted:
                ids[tuple(key)] = pk
    return ids


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply_to(delta: Contribution, cells, durations, ids_of) -> int:
    keys = sorted(set(delta.cells) | {key for key, _days in delta.days})
    ids = ids_of(keys)
    for key in sorted(delta.cells):
        cells.objects.filter(pk=ids[key]).update(
            **{name: F(name) + value for name, value in sorted(delta.cells[key].items())}
        )
    if delta.days:
        durations.objects.bulk_create(
            [durations(cell_id=ids[key], days=days) for key, days in delta.days], ignore_conflicts=True
        )
        for (key, days), value in sorted(delta.days.items()):
            durations.objects.filter(cell_id=ids[key], days=days).update(count=F("count") + value)
    return len(keys)


def apply(delta: Contribution) -> int:
    """Add a (signed) contribution to the item cells and to their summary cells, in key order
    (no lock-order deadlocks: every writer holds the cursor's lock anyway)."""
    delta = delta.nonzero()
    changed = _apply_to(delta, IndicatorCell, DurationCell, _cell_ids)
    _apply_to(summarised(delta).nonzero(), SummaryCell, SummaryDurationCell, _summary_ids)
    return changed


def _store(model, pk_name: str, fields: tuple[str, ...], old: dict[int, dict], new: dict[int, dict]) -> None:
    created = [model(**{pk_name: pk}, **fact) for pk, fact in new.items() if pk not in old]
    changed = [model(**{pk_name: pk}, **fact) for pk, fact in new.items() if pk in old and old[pk] != fact]
    gone = [pk for pk in old if pk not in new]
    if created:
        model.objects.bulk_create(created, batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=1000)
    if gone:
        model.objects.filter(pk__in=gone).delete()


def _refresh(ids: Iterable[int], model, pk_name: str, fields: tuple[str, ...], facts, contribution) -> int:
    """Count these rows again: new contribution − stored one into the cells, the new facts kept."""
    ordered = sorted(set(ids))
    changed = 0
    for chunk in _chunks(ordered, BATCH):
        old = {
            row.pop(pk_name): row
            for row in model.objects.filter(**{f"{pk_name}__in": chunk}).values(pk_name, *fields)
        }
        new = facts(chunk)
        delta = Contribution()
        for pk in chunk:
            if old.get(pk) != new.get(pk):
                changed += 1
                delta.add(contribution(new.get(pk)))
                delta.add(contribution(old.get(pk)), -1)
        apply(delta)
        _store(model, pk_name, fields, old, new)
    return changed


def refresh_cases(case_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Count these cases again. Callers hold the cursor's lock (``_lock_cursor``), which serialises every writer."""
    return _refresh(
        case_ids, CaseFact, "case_id", CASE_FIELDS, lambda chunk: case_facts(chunk, today), case_contribution
    )


def refresh_ratings(rating_ids: Iterable[int]) -> int:
    return _refresh(rating_ids, RatingFact, "rating_id", RATING_FIELDS, rating_facts, rating_contribution)


def _lock_cursor() -> Cursor:
    Cursor.objects.get_or_create(name=CURSOR)
    return Cursor.objects.select_for_update().get(name=CURSOR)


# --- reading the audit chain ----------------------------------------------------------------


def _touched(entries: list[tuple[int, str, str, str, dict]]) -> tuple[set[int], set[int]]:
    """Case and rating ids named by audit entries (a rectification or appeal names its rating)."""
    cases: set[int] = set()
    ratings: set[int] = set()
    rectifications: set[int] = set()
    appeals: set[int] = set()
    for _seq, object_type, object_id, action, summary in entries:
        if not object_id.isdigit():
            if action == "ratings.default":
                cases_rated = [c for c in (summary or {}).get("cases", []) if isinstance(c, int)]
                ratings.update(Rating.objects.filter(case_id__in=cases_rated).values_list("pk", flat=True))
            continue
        pk = int(object_id)
        if object_type == "cases.case":
            cases.add(pk)
        elif object_type == "ratings.rating":
            ratings.add(pk)
        elif object_type == "ratings.rectification":
            rectifications.add(pk)
        elif object_type == "ratings.appeal":
            appeals.add(pk)
    if rectifications:
        ratings.update(
            Rectification.objects.filter(pk__in=rectifications).values_list("rating_id", flat=True)
        )
    if appeals:
        from tongban.ratings.models import Appeal

        ratings.update(Appeal.objects.filter(pk__in=appeals).values_list("rating_id", flat=True))
    return cases, ratings


def drain(limit: int = BATCH) -> int:
    """Count what the audit chain records after the cursor; returns how many entries were read."""
    read = 0
    while True:
        with transaction.atomic():
            cursor = _lock_cursor()
            page = list(
                AuditEntry.objects.filter(seq__gt=cursor.position)
                .order_by("seq")
                .values_list("seq", "object_type", "object_id", "action", "summary")[:limit]
            )
            if not page:
                return read
            relevant = [row for row in page if row[1] in _WATCHED_TYPES or row[3] == "ratings.default"]
            cases, ratings = _touched(relevant)
            refresh_cases(cases)
            refresh_ratings(ratings)
            cursor.position = page[-1][0]
            cursor.save(update_fields=["position", "updated_at"])
            read += len(page)
        if len(page) < limit:
            return read


_WATCHED_TYPES = frozenset({"cases.case", "ratings.rating", "ratings.rectification", "ratings.appeal"})


def sweep_overdue(today: dt.date | None = None) -> int:
    """Cases that fell overdue since they were last counted (time passing writes no event), and
    any counted overdue that no longer is."""
    today = today or clock.today()
    with transaction.atomic():
        cursor = _lock_cursor()
        newly = Case.objects.filter(
            status__in=Case.OPEN_STATUSES, paused_since__isnull=True, due_date__lt=today
        ).exclude(supervision_fact__overdue=True)
        stale = CaseFact.objects.filter(overdue=True).exclude(
            case__status__in=Case.OPEN_STATUSES, case__paused_since__isnull=True, case__due_date__lt=today
        )
        ids = set(newly.values_list("pk", flat=True)) | set(stale.values_list("case_id", flat=True))
        changed = refresh_cases(ids, today)
        if changed:
            cursor.save(update_fields=["updated_at"])  # the cells changed: cached pages are rebuilt
        return changed


def catch_up() -> int:
    """The periodic duty (``tongban tick``): the chain since the cursor, then the overdue sweep."""
    return drain() + sweep_overdue()


# --- recount --------------------------------------------------------------------------------


@dataclass
class Difference:
    key: tuple
    measure: str
    kept: int
    recounted: int


def recounted(today: dt.date | None = None) -> tuple[Contribution, dict[int, dict], dict[int, dict]]:
    """Every cell computed from the raw cases and ratings alone, with the facts."""
    total = Contribution()
    facts: dict[int, dict] = {}
    ratings: dict[int, dict] = {}
    for chunk in _chunks(list(Case.objects.order_by("pk").values_list("pk", flat=True)), BATCH):
        part = case_facts(chunk, today)
        facts.update(part)
        for fact in part.values():
            case_contribution(fact, total)
    for chunk in _chunks(list(Rating.objects.order_by("pk").values_list("pk", flat=True)), BATCH):
        part = rating_facts(chunk)
        ratings.update(part)
        for fact in part.values():
            rating_contribution(fact, total)
    return total.nonzero(), facts, ratings


def kept() -> Contribution:
    """What the item cells hold now."""
    return _kept(IndicatorCell, DurationCell, ("region_code", "department_id", "item_id", "month"))


def kept_summaries() -> Contribution:
    """What the summary cells hold now (keys ``(region_code, department_id, month)``)."""
    return _kept(SummaryCell, SummaryDurationCell, ("region_code", "department_id", "month"))


def _kept(cells, durations, names: tuple[str, ...]) -> Contribution:
    out = Contribution()
    keys = {}
    for row in cells.objects.values("id", *names, *MEASURES):
        key = tuple(row[name] for name in names)
        keys[row["id"]] = key
        out.cells[key] = Counter({name: row[name] for name in MEASURES if row[name]})
    for cell_id, days, count in durations.objects.values_list("cell_id", "days", "count"):
        out.days[(keys[cell_id], days)] = count
    return out.nonzero()


def compare(expected: Contribution, actual: Contribution) -> list[Difference]:
    differences = []
    for key in sorted(set(expected.cells) | set(actual.cells), key=str):
        want, have = expected.cells.get(key, Counter()), actual.cells.get(key, Counter())
        for name in MEASURES:
            if want.get(name, 0) != have.get(name, 0):
                differences.append(Difference(key, name, have.get(name, 0), want.get(name, 0)))
    for key in sorted(set(expected.days) | set(actual.days), key=str):
        if expected.days.get(key, 0) != actual.days.get(key, 0):
            differences.append(
                Difference(key[0], f"days={key[1]}", actual.days.get(key, 0), expected.days.get(key, 0))
            )
    return differences


def compare_summaries(expected: Contribution, actual: Contribution) -> list[Difference]:
    """``compare`` for summary cells; a difference's key is ``(region, department, None, month)``
    (no item: the department's summary)."""
    out = compare(expected, actual)
    for difference in out:
        region, department, month = difference.key
        difference.key = (region, department, None, month)
    return out


def _write_cells(total: Contribution, cells, durations, names: tuple[str, ...], ids_of) -> None:
    rows = [
        cells(**dict(zip(names, key, strict=True)), **measures)
        for key, measures in sorted(total.cells.items())
    ]
    rows += [
        cells(**dict(zip(names, key, strict=True))) for key in {k for k, _d in total.days} - set(total.cells)
    ]
    cells.objects.bulk_create(rows, batch_size=1000)
    ids = ids_of(sorted({tuple(getattr(row, name) for name in names) for row in rows}))
    durations.objects.bulk_create(
        [durations(cell_id=ids[key], days=days, count=n) for (key, days), n in total.days.items()],
        batch_size=2000,
    )


def _write(total: Contribution) -> None:
    """Item and summary cells straight from a recount (the tables are empty)."""
    _write_cells(
        total, IndicatorCell, DurationCell, ("region_code", "department_id", "item_id", "month"), _cell_ids
    )
    _write_cells(
        summarised(total).nonzero(),
        SummaryCell,
        SummaryDurationCell,
        ("region_code", "department_id", "month"),
        _summary_ids,
    )


def rebuild_summaries() -> int:
    """Replace the summary cells by the sums of the item cells as they are (for cells written
    other than by ``apply``: a benchmark; migration 0002 does the same); returns the number of
    summary cells. Callers that race the worker hold the cursor's lock."""
    return summarise_cells(IndicatorCell, DurationCell, SummaryCell, SummaryDurationCell)


def summarise_cells(cells, durations, summaries, summary_durations) -> int:
    """Two grouped reads of the item cells and two inserts (models passed in, so that a
    migration can run it with its historical models)."""
    summary_durations.objects.all().delete()
    summaries.objects.all().delete()
    names = ("region_code", "department_id", "month")
    rows = cells.objects.order_by().values(*names).annotate(**{m: Sum(m) for m in MEASURES})
    summaries.objects.bulk_create(
        [
            summaries(**{name: row[name] for name in names}, **{m: row[m] or 0 for m in MEASURES})
            for row in rows.iterator()
        ],
        batch_size=2000,
    )
    ids = {
        (r, d, m): pk for pk, r, d, m in summaries.objects.values_list("id", *names).iterator(chunk_size=5000)
    }
    histogram = (
        durations.objects.order_by()
        .values(*(f"cell__{name}" for name in names), "days")
        .annotate(n=Sum("count"))
    )
    summary_durations.objects.bulk_create(
        [
            summary_durations(
                cell_id=ids[(row["cell__region_code"], row["cell__department_id"], row["cell__month"])],
                days=row["days"],
                count=row["n"],
            )
            for row in histogram.iterator()
            if row["n"]
        ],
        batch_size=5000,
    )
    return len(ids)


def recount(*, fix: bool = False, today: dt.date | None = None) -> list[Difference]:
    """Compare every cell (item and summary cells) with a recount from the raw rows; with ``fix``, replace the cells and
    facts by the recount and move the cursor to the chain's head (all under the cursor lock)."""
    with transaction.atomic():
        cursor = _lock_cursor()
        head = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        expected, facts, ratings = recounted(today)
        differences = compare(expected, kept())
        differences += compare_summaries(summarised(expected).nonzero(), kept_summaries())
        if fix:
            SummaryDurationCell.objects.all().delete()
            SummaryCell.objects.all().delete()
            DurationCell.objects.all().delete()
            IndicatorCell.objects.all().delete()
            CaseFact.objects.all().delete()
            RatingFact.objects.all().delete()
            _write(expected)
            CaseFact.objects.bulk_create(
                [CaseFact(case_id=pk, **fact) for pk, fact in facts.items()], batch_size=2000
            )
            RatingFact.objects.bulk_create(
                [RatingFact(rating_id=pk, **fact) for pk, fact in ratings.items()], batch_size=2000
            )
            cursor.position = head
            cursor.save(update_fields=["position", "updated_at"])
    return differences
