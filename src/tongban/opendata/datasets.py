"""The datasets the platform publishes, defined once for pages, API, downloads and metadata.

Each ``Spec`` names its fields (with Frictionless types, which also give the XLSX and JSON
types), where its rows come from and when its data last changed. Nothing here reads a person:
the catalogue and the holiday calendar are public facts, the ratings and the case statistics
are aggregates (the statistics already suppressed when they were published, ``services``).
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chinese_calendar
from django.db.models import Max, Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import MaterialRequirement, ServiceItem
from tongban.catalog.selectors import published_items
from tongban.ratings import selectors as rating_selectors
from tongban.ratings.models import Rating
from tongban.workdays.calendar import WorkCalendar
from tongban.workdays.models import DayOverride

from .models import Dataset, StatisticsRow


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    """Frictionless field type: string, integer, number, boolean, date, datetime."""
    title: Any
    description: Any = ""
    suppressible: bool = False
    """Empty where a small cell was suppressed (statistics only)."""


@dataclass(frozen=True)
class Spec:
    slug: str
    title: Any
    description: Any
    keywords: Sequence[Any]
    theme: str
    """EU data theme (publications.europa.eu/resource/authority/data-theme), e.g. GOVE."""
    fields: Sequence[Field]
    source: Callable[[dict], QuerySet | list]
    row: Callable[[Any], dict]
    modified: Callable[[], dt.datetime | None]
    preview: Sequence[str] = ()
    """Fields shown in the landing page's preview table (all when empty)."""
    frequency: str = "DAILY"
    filters: Sequence[str] = field(default_factory=tuple)
    suppression_note: Any = ""
    """How small cells are hidden (datasets with suppressible fields)."""
    known_total: Callable[[dict], int | None] = lambda filters: None
    """The number of rows for these filters when it is known without counting (None: count)."""
    snapshot: Callable[[], dt.datetime | None] | None = None
    """For a dataset published as a numbered snapshot (rows with a ``seq`` 1, 2, … in the
    source's order): when the snapshot was made. Its pages are then read by position
    (``seq > n``, a keyset) and it can be walked with a ``cursor`` that names the snapshot."""

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def suppresses(self) -> bool:
        return any(f.suppressible for f in self.fields)

    def rows(self, filters: dict | None = None) -> Iterable[dict]:
        source = self.source(filters or {})
        items = source.iterator(chunk_size=2000) if isinstance(source, QuerySet) else source
        return (self.row(obj) for obj in items)


def _region_name(item: ServiceItem) -> str:
    return item.region.full_name or item.region.name


def department_code(department) -> str:
    """A department's public identifier: its 统一社会信用代码, else its local code, else its key."""
    return department.uscc or department.local_code or str(department.pk)


# --- 政务服务事项目录 -------------------------------------------------------------------------


def _items(filters: dict) -> QuerySet[ServiceItem]:
    items = published_items().prefetch_related(
        Prefetch(
            "materials", queryset=MaterialRequirement.objects.order_by("order", "id").only("item_id", "name")
        )
    )
    if filters.get("region"):
        items = items.filter(region_code__startswith=filters["region"])
    return items.order_by("region_code", "code")


def _item_row(item: ServiceItem) -> dict:
    return {
        "code": item.code,
        "base_code": item.base_code,
        "name": item.name,
        "item_type": item.get_item_type_display(),
        "department": item.department.name,
        "department_code": department_code(item.department),
        "region_code": item.region_code,
        "region_name": _region_name(item),
        "legal_basis": item.legal_basis,
        "conditions": item.conditions,
        "case_kind": item.get_case_kind_display(),
        "legal_limit": item.legal_limit,
        "legal_limit_unit": item.get_legal_limit_unit_display(),
        "promised_limit": item.promised_limit,
        "promised_limit_unit": item.get_promised_limit_unit_display(),
        "is_charged": item.is_charged,
        "fee_basis": item.fee_basis,
        "online_depth": item.online_depth,
        "visits_required": item.visits_required,
        "handling_place": item.handling_place,
        "handling_hours": item.handling_hours,
        "supports_appointment": item.supports_appointment,
        "supports_online_payment": item.supports_online_payment,
        "materials": "；".join(m.name for m in item.materials.all()),
        "result_name": item.result_name,
        "guide_path": reverse("web:item", args=[item.code]),
    }


def _items_modified() -> dt.datetime | None:
    return ServiceItem.objects.published().aggregate(m=Max("updated_at"))["m"]


SERVICE_ITEMS = Spec(
    slug="service-items",
    title=_("政务服务事项目录"),
    description=_(
        "本平台发布的全部政务服务事项（实施清单）及其办事指南要素：事项类型、实施主体、所属区划、设定依据、"
        "受理条件、办件类型、法定和承诺办结时限、收费及依据、网办深度、到现场次数、办理地点和时间、申请材料、"
        "审批结果。"
    ),
    keywords=(_("政务服务事项"), _("办事指南"), _("实施清单")),
    theme="GOVE",
    fields=(
        Field("code", "string", _("实施编码")),
        Field("base_code", "string", _("基本编码")),
        Field("name", "string", _("事项名称")),
        Field("item_type", "string", _("事项类型")),
        Field("department", "string", _("实施主体")),
        Field("department_code", "string", _("实施主体编码"), _("统一社会信用代码，没有时为本地部门编码")),
        Field("region_code", "string", _("区划代码")),
        Field("region_name", "string", _("区划名称")),
        Field("legal_basis", "string", _("设定依据")),
        Field("conditions", "string", _("受理条件")),
        Field("case_kind", "string", _("办件类型")),
        Field("legal_limit", "integer", _("法定办结时限")),
        Field("legal_limit_unit", "string", _("法定时限单位")),
        Field("promised_limit", "integer", _("承诺办结时限"), _("0 表示即办")),
        Field("promised_limit_unit", "string", _("承诺时限单位")),
        Field("is_charged", "boolean", _("是否收费")),
        Field("fee_basis", "string", _("收费依据")),
        Field("online_depth", "integer", _("网办深度"), _("1–4，4 为全程网办")),
        Field("visits_required", "integer", _("到办事现场次数")),
        Field("handling_place", "string", _("办理地点")),
        Field("handling_hours", "string", _("办理时间")),
        Field("supports_appointment", "boolean", _("支持预约办理")),
        Field("supports_online_payment", "boolean", _("支持网上支付")),
        Field("materials", "string", _("申请材料"), _("材料名称，以“；”分隔")),
        Field("result_name", "string", _("审批结果名称")),
        Field("guide_path", "string", _("办事指南地址"), _("本站办事指南页面的路径")),
    ),
    source=_items,
    row=_item_row,
    modified=_items_modified,
    preview=("code", "name", "department", "region_name", "promised_limit", "online_depth"),
    filters=("region",),
)


# --- 部门好差评 ---------------------------------------------------------------------------------


def _rating_rows(filters: dict) -> list:
    rows = rating_selectors.ranking(region_code=filters.get("region", ""))
    prefetch_related_objects([r.department for r in rows], "region")
    return rows


def _rating_row(row) -> dict:
    fig = row.figures
    dist = fig.distribution
    return {
        "rank": row.rank,
        "department": row.department.name,
        "department_code": department_code(row.department),
        "region_code": row.department.region.code,
        "region_name": row.department.region.full_name or row.department.region.name,
        "ratings": fig.total,
        "very_satisfied": dist[5],
        "satisfied": dist[4],
        "basically_satisfied": dist[3],
        "dissatisfied": dist[2],
        "very_dissatisfied": dist[1],
        "satisfaction_rate": fig.satisfaction_rate,
        "bad_rate": fig.bad_rate,
        "average": fig.average,
        "rectification_rate": fig.rectification_rate,
    }


def _ratings_modified() -> dt.datetime | None:
    return Rating.objects.aggregate(m=Max("created_at"))["m"]


DEPARTMENT_RATINGS = Spec(
    slug="department-ratings",
    title=_("部门好差评"),
    description=_(
        "各实施主体（“店铺”）收到的政务服务好差评：评价数、五个等级的分布、满意率、差评率、"
        "平均等级和差评整改率，按满意率排名。统计口径与本站公开的好差评排名相同：申诉成立的评价不计入，"
        "办结 7 日内未评价的计为“基本满意”。不含评价人和评价内容。"
    ),
    keywords=(_("好差评"), _("满意率"), _("政务服务评价")),
    theme="GOVE",
    fields=(
        Field("rank", "integer", _("名次")),
        Field("department", "string", _("部门")),
        Field("department_code", "string", _("部门编码")),
        Field("region_code", "string", _("区划代码")),
        Field("region_name", "string", _("区划名称")),
        Field("ratings", "integer", _("评价数")),
        Field("very_satisfied", "integer", _("非常满意")),
        Field("satisfied", "integer", _("满意")),
        Field("basically_satisfied", "integer", _("基本满意")),
        Field("dissatisfied", "integer", _("不满意")),
        Field("very_dissatisfied", "integer", _("非常不满意")),
        Field("satisfaction_rate", "number", _("满意率"), _("0–1")),
        Field("bad_rate", "number", _("差评率"), _("0–1")),
        Field("average", "number", _("平均等级"), _("1–5")),
        Field("rectification_rate", "number", _("整改率"), _("0–1；没有差评时为空")),
    ),
    source=_rating_rows,
    row=_rating_row,
    modified=_ratings_modified,
    preview=("rank", "department", "region_name", "ratings", "satisfaction_rate", "average"),
    filters=("region",),
)


# --- 节假日安排 -----------------------------------------------------------------------------------

_HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class HolidayDay:
    date: dt.date
    is_workday: bool
    name: str
    source: str


@functools.cache
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.get_holiday_detail(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def calendar_years() -> list[int]:
    this = timezone.localdate().year
    return [this - 1, this, this + 1]


def _holiday_days(filters: dict) -> list[HolidayDay]:
    years = [filters["year"]] if filters.get("year") else calendar_years()
    start, end = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    cal = WorkCalendar(start, end)
    names = dict(DayOverride.objects.filter(date__range=(start, end)).values_list("date", "name"))
    days = []
    day = start
    while day <= end:
        if day in cal.overrides:
            days.append(HolidayDay(day, cal.is_workday(day), names.get(day, ""), "override"))
        elif _library_knows(day.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            if name is not None:
                days.append(HolidayDay(day, not on_holiday, _HOLIDAY_NAMES.get(name, name), "library"))
        day += dt.timedelta(days=1)
    return days


def _holiday_row(day: HolidayDay) -> dict:
    return {
        "date": day.date,
        "year": day.date.year,
        "kind": str(_("调休上班") if day.is_workday else _("放假")),
        "is_workday": day.is_workday,
        "name": day.name,
        "source": str(
            _("平台管理员发布") if day.source == "override" else _("国务院办公厅通知（chinese-calendar）")
        ),
    }


def _holidays_modified() -> dt.datetime | None:
    """The admins' latest change, else when the installed chinese-calendar data was written."""
    changed = DayOverride.objects.aggregate(m=Max("updated_at"))["m"]
    return changed or _library_date()


@functools.cache
def _library_date() -> dt.datetime:
    path = Path(chinese_calendar.__file__).with_name("constants.py")
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)


HOLIDAYS = Spec(
    slug="holidays",
    title=_("节假日安排"),
    description=_(
        "本平台计算法定和承诺办结时限（工作日）时使用的节假日和调休安排：去年、今年和明年中"
        "放假的日期和调休上班的日期。未列出的日期按周一至周五上班、周六周日休息计算；"
        "国务院尚未发布安排的年份，平台按此估算并在期限旁注明。"
    ),
    keywords=(_("节假日"), _("调休"), _("工作日")),
    theme="GOVE",
    fields=(
        Field("date", "date", _("日期")),
        Field("year", "integer", _("年份")),
        Field("kind", "string", _("类型"), _("放假或调休上班")),
        Field("is_workday", "boolean", _("是否上班")),
        Field("name", "string", _("节日")),
        Field("source", "string", _("依据")),
    ),
    source=_holiday_days,
    row=_holiday_row,
    modified=_holidays_modified,
    frequency="ANNUAL",
    filters=("year",),
)


# --- 办件统计 -------------------------------------------------------------------------------------


def _statistics(filters: dict) -> QuerySet[StatisticsRow]:
    rows = StatisticsRow.objects.all()
    if filters.get("month"):
        rows = rows.filter(month=filters["month"])
    if filters.get("region"):
        rows = rows.filter(region_code__startswith=filters["region"])
    if filters.get("item"):
        rows = rows.filter(item_code=filters["item"])
    return rows.order_by("seq")  # month newest first, region, department, kind, item (services)


def _statistics_row(row: StatisticsRow) -> dict:
    on_time_rate = (
        round(row.on_time / row.with_promised, 4) if row.with_promised and row.on_time is not None else None
    )
    return {
        "month": row.month.strftime("%Y-%m"),
        "row_kind": row.get_kind_display(),
        "region_code": row.region_code,
        "region_name": row.region_name,
        "department": row.department_name,
        "department_code": row.department_code,
        "item_code": row.item_code,
        "item_name": row.item_name,
        "received": row.received,
        "accepted": row.accepted,
        "concluded": row.concluded,
        "with_promised": row.with_promised,
        "on_time": row.on_time,
        "on_time_rate": on_time_rate,
        "online": row.online,
    }


def _statistics_total(filters: dict) -> int | None:
    """Unfiltered, the snapshot's row count is stored with it: COUNT(*) over a large snapshot
    would cost more than the page itself."""
    if filters:
        return None
    return Dataset.objects.filter(slug="case-statistics").values_list("rows", flat=True).first()


def _statistics_modified() -> dt.datetime | None:
    return Dataset.objects.filter(slug="case-statistics").values_list("snapshot_at", flat=True).first()


SUPPRESSED_NOTE = _(
    "少于 5 件的数字不公开；为防止用部门合计减去其余数字推算出被隐藏的数字，"
    "同一部门同一月份中如有数字被隐藏，会再隐藏最小的其他数字，直至被隐藏的数字至少两个且合计不少于 5 件，"
    "做不到时部门合计也不公开。"
)

HIDDEN = _("不公开时为空（见“小数抑制”）")

CASE_STATISTICS = Spec(
    slug="case-statistics",
    title=_("办件统计"),
    description=_(
        "按月份、事项和区划汇总的办件数量：收件、网上申请、受理、办结、承诺件办结和其中按承诺时限办结的数量，"
        "以及每个部门每月的合计。只有汇总数字，不含任何申请人信息。"
    ),
    keywords=(_("办件统计"), _("按期办结率"), _("网上申请")),
    theme="GOVE",
    fields=(
        Field(
            "month",
            "yearmonth",
            _("月份"),
            _("收件数按提交月份、受理数按受理月份、办结数按办结月份统计"),
        ),
        Field("row_kind", "string", _("行类型"), _("事项或部门合计")),
        Field("region_code", "string", _("区划代码")),
        Field("region_name", "string", _("区划名称")),
        Field("department", "string", _("部门")),
        Field("department_code", "string", _("部门编码")),
        Field("item_code", "string", _("实施编码"), _("部门合计行为空")),
        Field("item_name", "string", _("事项名称"), _("部门合计行为空")),
        Field("received", "integer", _("收件数"), HIDDEN, suppressible=True),
        Field("accepted", "integer", _("受理数"), HIDDEN, suppressible=True),
        Field("concluded", "integer", _("办结数"), HIDDEN, suppressible=True),
        Field("with_promised", "integer", _("承诺件办结数"), HIDDEN, suppressible=True),
        Field("on_time", "integer", _("按承诺时限办结数"), HIDDEN, suppressible=True),
        Field(
            "on_time_rate",
            "number",
            _("按期办结率"),
            _("按承诺时限办结数 ÷ 承诺件办结数；任一不公开时为空"),
            suppressible=True,
        ),
        Field("online", "integer", _("网上申请数"), HIDDEN, suppressible=True),
    ),
    source=_statistics,
    row=_statistics_row,
    modified=_statistics_modified,
    preview=("month", "department", "row_kind", "item_name", "received", "concluded", "on_time_rate"),
    filters=("month", "region", "item"),
    suppression_note=SUPPRESSED_NOTE,
    known_total=_statistics_total,
    snapshot=_statistics_modified,
)


SPECS: dict[str, Spec] = {s.slug: s for s in (SERVICE_ITEMS, DEPARTMENT_RATINGS, CASE_STATISTICS, HOLIDAYS)}
