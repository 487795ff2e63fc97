"""Reads of the 电子监察 indicators: the stable API for pages, the JSON API, reports and open data.

Every figure is summed from the rollup cells (``models.IndicatorCell``, or ``SummaryCell`` when
the item is neither filtered nor grouped by), never from raw cases; one grouped query for the
counters and one for the working-day histogram, whatever the number of cases. These functions
do not check who asks: pages and API handlers call ``access.resolve_scope`` first; reports and open data publish aggregates by design.

- ``indicator_rows(...)``: rows grouped by any of period / region / department / item.
- ``region_indicators(code, ...)``: the trend of a region (one row per period, oldest first).
- ``totals(...)``: one row for everything that matches.
- ``ranking(...)``: departments or items of a region, best first by one indicator.
- ``cases_behind(...)``: the cases counted in one figure (the drill-down), from ``CaseFact``.

Rates are ``None`` when their denominator is zero (shown as "—", never as 0 %).
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from tongban.appointments.selectors import region_figures as booking_figures
from tongban.cases.models import Case
from tongban.cases.selectors import joint_child_count
from tongban.catalog.models import ServiceItem
from tongban.consult.selectors import region_figures
from tongban.departments.models import Department
from tongban.payments.selectors import region_figures as payment_figures
from tongban.regions.codes import LEVEL_LENGTHS
from tongban.sharing.selectors import read_count

from .models import (
    DAYS_CAP,
    MEASURES,
    CaseFact,
    DurationCell,
    IndicatorCell,
    RatingFact,
    SummaryCell,
    SummaryDurationCell,
)

PERIODS = ("month", "quarter", "year")
GROUPS = ("period", "region", "department", "item")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class IndicatorRow:
    """Sums of one group plus the indicators derived from them.

    ``period`` is the first day of the month, quarter or year (None when not grouped by period);
    ``region_code`` / ``department_id`` / ``item_id`` are set when grouped by them.
    ``durations`` maps working days (``DAYS_CAP`` = that many or more) to concluded cases.
    """

    period: dt.date | None = None
    region_code: str | None = None
    department_id: int | None = None
    item_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    durations: Counter = field(default_factory=Counter)
    name: str = ""  # the department's or item's name, when a ranking asks for it
    active: bool | None = None  # any measure non-zero (known when only some were summed)

    def __getattr__(self, name: str) -> int:
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    # -- derived indicators --
    @property
    def online_rate(self) -> float | None:
        """网办率: cases applied online among those received."""
        return _rate(self.counts["online"], self.counts["received"])

    @property
    def full_online_rate(self) -> float | None:
        """全程网办: received online for an item of 网办深度 Ⅳ."""
        return _rate(self.counts["full_online"], self.counts["received"])

    @property
    def visits_per_case(self) -> float | None:
        """跑动次数 per received case."""
        return _rate(self.counts["visits"], self.counts["received"])

    @property
    def corrections_per_case(self) -> float | None:
        return _rate(self.counts["corrections"], self.counts["received"])

    @property
    def refusal_rate(self) -> float | None:
        """不予受理 among the intake decisions (accepted + refused)."""
        return _rate(self.counts["refused"], self.counts["accepted"] + self.counts["refused"])

    @property
    def on_time_legal_rate(self) -> float | None:
        return _rate(self.counts["on_time_legal"], self.counts["with_legal"])

    @property
    def on_time_promised_rate(self) -> float | None:
        return _rate(self.counts["on_time_promised"], self.counts["with_promised"])

    @property
    def one_time_rate(self) -> float | None:
        """一次办结: concluded without a correction request."""
        return _rate(self.counts["one_time"], self.counts["concluded"])

    @property
    def automatic_rate(self) -> float | None:
        """秒批: concluded by a decision table's grant."""
        return _rate(self.counts["automatic"], self.counts["concluded"])

    @property
    def average_days(self) -> float | None:
        concluded = self.counts["concluded"]
        return round(self.counts["work_days"] / concluded, 1) if concluded else None

    @property
    def p90_days(self) -> int | None:
        """The 90th percentile of working days (nearest rank on the histogram)."""
        return percentile(self.durations, 0.9)

    @property
    def satisfaction_rate(self) -> float | None:
        """好差评 满意率: ratings of 3–5 stars among the counted ones."""
        return _rate(self.counts["rating_good"], self.counts["rated"])

    @property
    def average_rating(self) -> float | None:
        rated = self.counts["rated"]
        return round(self.counts["rating_sum"] / rated, 2) if rated else None

    @property
    def rectification_rate(self) -> float | None:
        """差评整改率: bad ratings whose rectification is done."""
        return _rate(self.counts["rating_rectified"], self.counts["rating_bad"])

    def as_dict(self) -> dict:
        return {
            "period": self.period,
            "region_code": self.region_code,
            "department_id": self.department_id,
            "item_id": self.item_id,
            "name": self.name,
            **self.counts,
            **{name: getattr(self, name) for name in DERIVED},
        }


DERIVED = (
    "online_rate",
    "full_online_rate",
    "visits_per_case",
    "corrections_per_case",
    "refusal_rate",
    "on_time_legal_rate",
    "on_time_promised_rate",
    "one_time_rate",
    "automatic_rate",
    "average_days",
    "p90_days",
    "satisfaction_rate",
    "average_rating",
    "rectification_rate",
)


def percentile(histogram: Counter, fraction: float) -> int | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(total * fraction * 1000) // 1000))  # ceil without float noise
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    return DAYS_CAP


def period_start(month: dt.date, period: str) -> dt.date:
    if period == "year":
        return month.replace(month=1, day=1)
    if period == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)
    return month.replace(day=1)


def _cells(
    region_code: str | None,
    department_id: int | None,
    item_id: int | None,
    start: dt.date | None,
    end: dt.date | None,
    region_codes: Sequence[str] | None = None,
    by_item: bool = True,
) -> QuerySet:
    """The cells matching the filters: the item cells, or the summary cells (one per region
    code, department and month, the item cells' sums) when the item is neither filtered nor
    grouped by (``by_item`` False and no ``item_id``)."""
    cells = (IndicatorCell if by_item or item_id is not None else SummaryCell).objects.all()
    if region_code:
        cells = cells.filter(region_code__startswith=region_code)
    if region_codes is not None:
        query = Q(pk__in=[])
        for code in region_codes:
            query |= Q(region_code__startswith=code)
        cells = cells.filter(query)
    if department_id is not None:
        cells = cells.filter(department_id=department_id)
    if item_id is not None:
        cells = cells.filter(item_id=item_id)
    if start:
        cells = cells.filter(month__gte=start.replace(day=1))
    if end:
        cells = cells.filter(month__lte=end.replace(day=1))
    return cells


def indicator_rows(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
    period: str = "month",
    start: dt.date | None = None,
    end: dt.date | None = None,
    group_by: Iterable[str] = ("period",),
    region_level: int | None = None,
    region_codes: Sequence[str] | None = None,
    durations: bool = True,
    measures: Sequence[str] | None = None,
) -> list[IndicatorRow]:
    """Indicator rows for cells matching the filters, grouped by ``group_by`` (any of
    "period", "region", "department", "item"; none gives one row).

    ``region_code`` keeps that region and everything below it (codes share the prefix),
    ``region_codes`` any of several; ``start``/``end`` are inclusive and count by month;
    ``period`` folds months into quarters or years; grouping by region groups by the code cut to
    ``region_level`` (1 province … 5 village; default: the cases' own codes). Without
    ``durations`` the histogram is not read (one query less; ``p90_days`` is then None).
    ``measures`` sums only those (the others stay 0, and so do the indicators made from them)
    and marks each row ``active`` when any measure is non-zero: a ranking reads a few columns
    of hundreds of groups instead of all of them.
    """
    groups = tuple(group_by)
    chosen = MEASURES if measures is None else tuple(measures)
    if not set(chosen) <= set(MEASURES):
        raise ValueError(f"measures {chosen!r}")
    if period not in PERIODS or not set(groups) <= set(GROUPS):
        raise ValueError(f"period {period!r} / group_by {groups!r}")
    cells = _cells(region_code, department_id, item_id, start, end, region_codes, by_item="item" in groups)
    sql_fields: list[str] = []
    annotations: dict = {}
    if "period" in groups:
        sql_fields.append("month")
    if "region" in groups:
        if region_level:
            annotations["region"] = Substr("region_code", 1, LEVEL_LENGTHS[region_level])
            sql_fields.append("region")
        else:
            sql_fields.append("region_code")
    if "department" in groups:
        sql_fields.append("department_id")
    if "item" in groups:
        sql_fields.append("item_id")

    rows: dict[tuple, IndicatorRow] = {}

    def row_for(values: dict, prefix: str = "") -> IndicatorRow:
        month = values.get(prefix + "month")
        region = values.get(prefix + "region", values.get(prefix + "region_code"))
        key_period = period_start(month, period) if month else None
        key = (key_period, region, values.get(prefix + "department_id"), values.get(prefix + "item_id"))
        if key not in rows:
            rows[key] = IndicatorRow(period=key[0], region_code=key[1], department_id=key[2], item_id=key[3])
        return rows[key]

    sums = {}
    if measures is not None:  # first: the sums below are named like the fields they add up
        every = sum((F(name) for name in MEASURES[1:]), F(MEASURES[0]))
        sums["active"] = Sum(ExpressionWrapper(every, output_field=BigIntegerField()))
    sums |= {name: Sum(name) for name in chosen}
    query = cells.annotate(**annotations) if annotations else cells
    found = query.order_by().values(*sql_fields).annotate(**sums) if sql_fields else [query.aggregate(**sums)]
    for values in found:
        if not sql_fields and all(values[name] is None for name in sums):
            continue
        row = row_for(values)
        for name in chosen:
            row.counts[name] += values[name] or 0
        if measures is not None:
            row.active = bool(row.active) or bool(values["active"])

    if not durations:
        return _sorted(rows, groups)
    duration_fields = [f"cell__{name}" for name in sql_fields if name != "region"]
    duration_annotations = {}
    if "region" in sql_fields:
        duration_annotations["cell__region"] = Substr(
            "cell__region_code", 1, LEVEL_LENGTHS[region_level or 5]
        )
        duration_fields.append("cell__region")
    histogram = DurationCell if cells.model is IndicatorCell else SummaryDurationCell
    durations = histogram.objects.filter(cell__in=cells)
    if duration_annotations:
        durations = durations.annotate(**duration_annotations)
    for values in durations.order_by().values(*duration_fields, "days").annotate(n=Sum("count")):
        row_for(values, "cell__").durations[values["days"]] += values["n"]

    return _sorted(rows, groups)


def _sorted(rows: dict[tuple, IndicatorRow], groups: tuple) -> list[IndicatorRow]:
    if not groups and not rows:
        return [IndicatorRow()]
    return [rows[key] for key in sorted(rows, key=lambda k: tuple((v is None, v or 0) for v in k))]


def histogram(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Counter:
    """The working-day histogram of every cell matching the filters, summed (one query on the
    histogram rows alone: no grouping by the cells' fields, so no join)."""
    cells = _cells(region_code, department_id, item_id, start, end, by_item=False)
    model = DurationCell if cells.model is IndicatorCell else SummaryDurationCell
    rows = model.objects.filter(cell__in=cells).order_by().values_list("days").annotate(n=Sum("count"))
    return Counter({days: n for days, n in rows if n})


def summed(rows: Iterable[IndicatorRow]) -> IndicatorRow:
    """One row with the sums of ``rows``' counts and histograms (rows of disjoint cells: a
    trend's months, a ranking's departments), as ``totals`` would read them from the cells."""
    out = IndicatorRow()
    for row in rows:
        for name, value in row.counts.items():
            out.counts[name] += value
        out.durations.update(row.durations)
    return out


def totals(**filters) -> IndicatorRow:
    """One row for everything matching the filters of ``indicator_rows``."""
    filters.pop("group_by", None)
    return indicator_rows(group_by=(), **filters)[0]


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_back(today: dt.date, months: int) -> dt.date:
    """The first month of a trend of ``months`` months ending with ``today``'s (12 → a year)."""
    return add_months(today, -(months - 1))


def region_indicators(
    region_code: str,
    *,
    period: str = "month",
    months: int = 12,
    today: dt.date | None = None,
    department_id: int | None = None,
    durations: bool = True,
) -> list[IndicatorRow]:
    """The trend of a region: one row per period of the last ``months`` months, oldest first,
    with empty periods included (a chart needs every month)."""
    today = today or dt.date.today()
    start = months_back(today, months)
    found = {
        row.period: row
        for row in indicator_rows(
            region_code=region_code,
            department_id=department_id,
            period=period,
            start=start,
            end=today,
            durations=durations,
        )
    }
    out = []
    month = start
    while month <= today:
        key = period_start(month, period)
        if not out or out[-1].period != key:
            out.append(found.get(key) or IndicatorRow(period=key))
        month = add_months(month, 1)
    return out


RANKABLE = {
    "received": True,
    "on_time_promised_rate": True,
    "on_time_legal_rate": True,
    "satisfaction_rate": True,
    "online_rate": True,
    "one_time_rate": True,
    "average_days": False,  # fewer is better
    "overdue": False,
    "refusal_rate": False,
}


def ranking(
    *,
    by: str = "department",
    indicator: str = "on_time_promised_rate",
    region_code: str | None = None,
    department_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int | None = None,
    worst_first: bool = False,
) -> list[IndicatorRow]:
    """Departments or items (``by``) best first by ``indicator`` (worst first if asked), named;
    a row whose indicator has no value (nothing to measure) comes last in either order."""
    if by not in ("department", "item") or indicator not in RANKABLE:
        raise ValueError(f"ranking by {by!r} on {indicator!r}")
    rows = indicator_rows(
        region_code=region_code,
        department_id=department_id,
        start=start,
        end=end,
        group_by=(by,),
        durations=False,
    )
    return rank(rows, by=by, indicator=indicator, limit=limit, worst_first=worst_first)


def _active(row: IndicatorRow) -> bool:
    return row.active if row.active is not None else any(row.counts.values())


RANKING_MEASURES = (
    "received",
    "concluded",
    "work_days",
    "with_promised",
    "on_time_promised",
    "overdue",
    "rated",
    "rating_good",
)
"""What a ranking and its table show: received, on-time rate, average days, overdue, satisfaction."""


def rank(
    rows: list[IndicatorRow], *, by: str, indicator: str, limit: int | None = None, worst_first: bool = False
) -> list[IndicatorRow]:
    """Order rows already grouped by department or item (``ranking`` without the query, so one
    grouped read serves the best and the worst lists), and name the ones kept."""
    higher_better = RANKABLE[indicator]
    descending = higher_better != worst_first

    def key(row: IndicatorRow) -> tuple:
        value = getattr(row, indicator)
        return (value is None, -(value or 0) if descending else (value or 0), -row.counts["received"])

    ordered = sorted((row for row in rows if _active(row)), key=key)
    ordered = ordered[:limit] if limit else ordered
    if by == "department":
        names = dict(
            Department.objects.filter(pk__in=[r.department_id for r in ordered]).values_list("pk", "name")
        )
        for row in ordered:
            row.name = names.get(row.department_id, "")
    else:
        names = dict(
            ServiceItem.objects.filter(pk__in=[r.item_id for r in ordered]).values_list("pk", "name")
        )
        for row in ordered:
            row.name = names.get(row.item_id, "") or "（窗口评价，未关联事项）"
    return ordered


# --- drill-down -----------------------------------------------------------------------------

# Which facts each drillable figure counts: (the month field it is counted in, extra filter).
DRILL = {
    "received": ("received_month", Q()),
    "online": ("received_month", Q(online=True)),
    "full_online": ("received_month", Q(full_online=True)),
    "corrections": ("received_month", Q(corrections__gt=0)),
    "overdue": ("received_month", Q(overdue=True)),
    "accepted": ("accepted_month", Q()),
    "refused": ("refused_month", Q()),
    "concluded": ("concluded_month", Q()),
    "one_time": ("concluded_month", Q(one_time=True)),
    "automatic": ("concluded_month", Q(automatic=True)),
    "on_time_legal": ("concluded_month", Q(on_time_legal=True)),
    "late_legal": ("concluded_month", Q(with_legal=True, on_time_legal=False)),
    "on_time_promised": ("concluded_month", Q(on_time_promised=True)),
    "late_promised": ("concluded_month", Q(with_promised=True, on_time_promised=False)),
    "rating_bad": ("", Q()),
}


def cases_behind(
    measure: str,
    *,
    region_code: str | None = None,
    region_codes: Sequence[str] | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Case]:
    """The cases one figure counted, newest first (the same facts the cells were built from)."""
    if measure not in DRILL:
        raise ValueError(measure)
    month_field, extra = DRILL[measure]
    if measure == "rating_bad":
        facts = RatingFact.objects.filter(counted=True, level__lte=2)
        month_field = "month"
        id_field = "rating__case_id"
    else:
        facts = CaseFact.objects.filter(extra)
        id_field = "case_id"
        facts = facts.filter(**{f"{month_field}__isnull": False})
    if region_code:
        facts = facts.filter(region_code__startswith=region_code)
    if region_codes is not None:
        query = Q(pk__in=[])
        for code in region_codes:
            query |= Q(region_code__startswith=code)
        facts = facts.filter(query)
    if department_id is not None:
        facts = facts.filter(department_id=department_id)
    if item_id is not None:
        facts = facts.filter(item_id=item_id)
    if start:
        facts = facts.filter(**{f"{month_field}__gte": start.replace(day=1)})
    if end:
        facts = facts.filter(**{f"{month_field}__lte": end.replace(day=1)})
    return (
        Case.objects.filter(pk__in=facts.values(id_field))
        .select_related("item", "department")
        .defer("data")
        .order_by("-submitted_at", "-pk")
    )


@dataclass
class JoinedFigures:
    """The figures other apps keep for a scope and period (DESIGN §3: each app owns its reads):
    一件事 children (cases), registry reads (sharing), 12345 requests (consult), fees
    (payments) and bookings (appointments). ``received`` is the rollups' count of cases, the
    denominator of the 一件事 share."""

    received: int
    joint_children: int
    data_reads: int
    hotline: dict[str, int]
    fees: dict = field(default_factory=dict)
    bookings: dict = field(default_factory=dict)

    @property
    def joint_rate(self) -> float | None:
        return _rate(self.joint_children, self.received)

    @property
    def hotline_on_time_rate(self) -> float | None:
        return _rate(self.hotline["answered_on_time"], self.hotline["answered_with_due"])

    @property
    def hotline_satisfaction_rate(self) -> float | None:
        return _rate(self.hotline["satisfied"], self.hotline["rated"])


def month_bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[since, until)`` in local time for the months ``start`` … ``end`` (the cells' months)."""
    tz = timezone.get_current_timezone()

    def local(day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, 1, tzinfo=tz)

    return (local(start) if start else None, local(add_months(end, 1)) if end else None)


def joined_figures(
    *,
    today: dt.date,
    region_code: str | None = None,
    department_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    received: int | None = None,
) -> JoinedFigures:
    """The other apps' figures for a region (summed upwards) or department and the months
    ``start`` … ``end``; each app's selector is one cached aggregate, never a scan per view."""
    since, until = month_bounds(start, end)
    scope = {"region_code": region_code, "department_id": department_id, "since": since, "until": until}
    if received is None:
        received = totals(
            region_code=region_code, department_id=department_id, start=start, end=end, durations=False
        ).received
    return JoinedFigures(
        received=received,
        joint_children=joint_child_count(**scope),
        data_reads=read_count(**scope),
        hotline=region_figures(today=today, **scope),
        fees=payment_figures(**scope),
        bookings=booking_figures(
            region_code=region_code,
            department_id=department_id,
            start=start or dt.date(2000, 1, 1),
            end=add_months(end, 1) - dt.timedelta(days=1) if end else today,
        ),
    )
