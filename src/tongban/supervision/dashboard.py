"""What the supervisor's dashboard shows, built from the selectors (a handful of grouped queries
on the rollup cells, whatever the number of cases) and rendered into charts."""

import datetime as dt
import functools
import hashlib
import pickle
import re
import zlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import InvalidInput
from tongban.core.types import User

from . import charts, rollups, selectors
from .access import Scope
from .models import Cursor

MONTH_CHOICES = (3, 6, 12, 24)
QUARTERS_OFFERED = 8
YEARS_OFFERED = 3

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """What the dashboard counts: the last N months, a calendar quarter or a calendar year.
    ``start`` is the first month's first day, ``end`` a day in the last month (today for the
    running quarter or year)."""

    value: str
    label: str
    start: dt.date
    end: dt.date

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def last_months(months: int, today: dt.date) -> Period:
    label = _("近 %(n)s 个月") % {"n": months}
    return Period(str(months), str(label), selectors.months_back(today, months), today)


def _quarter(year: int, quarter: int, today: dt.date) -> Period:
    start = dt.date(year, (quarter - 1) * 3 + 1, 1)
    end = min(selectors.add_months(start, 3) - dt.timedelta(days=1), today)
    label = _("%(year)s年第%(q)s季度") % {"year": year, "q": quarter}
    return Period(f"{year}-Q{quarter}", str(label), start, end)


def _year(year: int, today: dt.date) -> Period:
    end = min(dt.date(year, 12, 31), today)
    return Period(str(year), str(_("%(year)s年") % {"year": year}), dt.date(year, 1, 1), end)


def period_choices(today: dt.date) -> list[Period]:
    """The filter's options: rolling months, the last quarters and years (the running one first)."""
    quarter = (today.month - 1) // 3
    quarters = []
    for back in range(QUARTERS_OFFERED):
        index = today.year * 4 + quarter - back
        quarters.append(_quarter(index // 4, index % 4 + 1, today))
    years = [_year(today.year - back, today) for back in range(YEARS_OFFERED)]
    return [last_months(m, today) for m in MONTH_CHOICES] + quarters + years


def parse_period(text: str, today: dt.date) -> Period:
    """``12`` (months back), ``2026-Q3`` or ``2026``; a period not begun yet or before 2000 is
    refused with a Chinese message."""
    text = (text or "").strip()
    if text.isdigit() and int(text) in MONTH_CHOICES:
        return last_months(int(text), today)
    if match := _QUARTER.match(text):
        found = _quarter(int(match.group(1)), int(match.group(2)), today)
    elif match := _YEAR.match(text):
        found = _year(int(match.group(1)), today)
    else:
        raise InvalidInput(
            gettext("统计期应为 3、6、12 或 24 个月，或季度（如 2026-Q3）、年度（如 2026）。"), field="period"
        )
    if found.start.year < 2000 or found.start > today:
        raise InvalidInput(gettext("该统计期尚未开始或过早。"), field="period")
    return found


LABELS = {
    "received": _("收件"),
    "accepted": _("受理"),
    "refused": _("不予受理"),
    "concluded": _("办结"),
    "overdue": _("当前超期"),
    "online": _("网上申请"),
    "full_online": _("全程网办"),
    "corrections": _("有补正的办件"),
    "one_time": _("一次办结"),
    "automatic": _("秒批办结"),
    "on_time_legal": _("法定时限内办结"),
    "late_legal": _("超法定时限办结"),
    "on_time_promised": _("承诺时限内办结"),
    "late_promised": _("超承诺时限办结"),
    "rating_bad": _("差评"),
}


@dataclass
class Figure:
    label: str
    value: str
    hint: str = ""
    url: str | None = None
    alert: bool = False


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value: float | int | None, unit: str = "") -> str:
    return "—" if value is None else f"{round(value, 2):g}{unit}"


def drill_url(measure: str, scope: Scope, start: dt.date | None, end: dt.date | None, **extra) -> str:
    params = {
        "measure": measure,
        "region": scope.region_code or "",
        "department": scope.department_id or "",
        "item": scope.item_id or "",
        "from": f"{start:%Y-%m}" if start else "",
        "to": f"{end:%Y-%m}" if end else "",
        **extra,
    }
    return _cases_url(get_script_prefix()) + "?" + urlencode({k: v for k, v in params.items() if v})


@functools.lru_cache(maxsize=8)
def _cases_url(prefix: str) -> str:
    """The drill-down's path, reversed once per script prefix (a page links it dozens of times)."""
    return reverse("supervision:cases")


def _figures(
    row: selectors.IndicatorRow, now: selectors.IndicatorRow, scope: Scope, start, end
) -> list[Figure]:
    def url(measure: str) -> str:
        return drill_url(measure, scope, start, end)

    days = _("工作日")
    return [
        Figure(_("收件"), _number(row.received), _("提交的申请"), url("received")),
        Figure(_("受理"), _number(row.accepted), "", url("accepted")),
        Figure(_("办结"), _number(row.concluded), _("准予、不予或转报"), url("concluded")),
        Figure(
            _("当前超期"),
            _number(now.overdue),
            _("在办且已过期限（不限统计期）"),
            drill_url("overdue", scope, None, None),
            alert=bool(now.overdue),
        ),
        Figure(_("法定时限办结率"), _percent(row.on_time_legal_rate), "", url("late_legal")),
        Figure(_("承诺时限办结率"), _percent(row.on_time_promised_rate), "", url("late_promised")),
        Figure(_("平均用时"), _number(row.average_days, f" {days}"), _("提交至办结")),
        Figure(_("90% 办件用时不超过"), _number(row.p90_days, f" {days}"), _("第 90 百分位")),
        Figure(_("网办率"), _percent(row.online_rate), _("网上申请的比例"), url("online")),
        Figure(_("全程网办"), _percent(row.full_online_rate), _("网办深度Ⅳ级且网上申请"), url("full_online")),
        Figure(_("平均跑动次数"), _number(row.visits_per_case), _("每件到现场次数")),
        Figure(_("一次办结率"), _percent(row.one_time_rate), _("办结且未补正"), url("one_time")),
        Figure(_("件均补正次数"), _number(row.corrections_per_case), "", url("corrections")),
        Figure(_("不予受理率"), _percent(row.refusal_rate), _("不予受理 ÷ 受理决定"), url("refused")),
        Figure(_("秒批率"), _percent(row.automatic_rate), _("决策表自动办结"), url("automatic")),
        Figure(_("满意率"), _percent(row.satisfaction_rate), _("好差评 3–5 星")),
        Figure(_("差评整改率"), _percent(row.rectification_rate), _("差评已整改"), url("rating_bad")),
    ]


def _table_rows(trend: list[selectors.IndicatorRow]) -> list[dict]:
    return [
        {
            "month": f"{row.period:%Y-%m}",
            "received": row.received,
            "concluded": row.concluded,
            "on_time": _percent(row.on_time_promised_rate),
            "satisfaction": _percent(row.satisfaction_rate),
        }
        for row in trend
    ]


def _ranking_rows(rows: list[selectors.IndicatorRow], scope: Scope, by: str, start, end) -> list[dict]:
    out = []
    for row in rows:
        target = Scope(
            region_code=scope.region_code,
            department_id=row.department_id if by == "department" else scope.department_id,
            item_id=row.item_id if by == "item" and row.item_id else None,
        )
        out.append(
            {
                "name": row.name,
                "received": row.received,
                "on_time": _percent(row.on_time_promised_rate),
                "satisfaction": _percent(row.satisfaction_rate),
                "overdue": row.overdue,
                "average_days": _number(row.average_days),
                "url": drill_url("received", target, start, end),
                "late_url": drill_url("late_promised", target, start, end),
                "overdue_url": drill_url("overdue", target, None, None),
                "department_id": row.department_id,
            }
        )
    return out


def _open_cards(user: User, limit: int = 10) -> tuple[list, str | None]:
    """Engineer B's open cards (``supervision.cards``), if that app provides its selector."""
    try:
        from tongban.supervision.cards.selectors import open_cards_for
    except ImportError:  # pragma: no cover - the cards app not yet there
        return [], None
    try:
        url = reverse("supervision_cards:list")
    except Exception:  # pragma: no cover
        url = None
    return open_cards_for(user, limit=limit), url


def build(user: User, scope: Scope, *, period: Period, today: dt.date) -> dict:
    """The page's context: the figures from the cache when the rollups have not changed since
    they were built (the key holds the cursor's position and time, which every change of the
    cells moves, so a cached page is never stale), the user's open cards always fresh."""
    version = Cursor.objects.filter(name=rollups.CURSOR).values_list("position", "updated_at").first()
    parts = (scope.region_code, scope.department_id, scope.item_id, period, today, get_language(), version)
    key = "supervision:dashboard:z:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    context = _unpack(cache.get(key))
    if context is None:
        context = figures(scope, period=period, today=today)
        # Compressed: the three charts make the context some 75 kB pickled, 15 kB compressed,
        # and the cache's write and read take time in proportion (a database cache here).
        cache.set(key, zlib.compress(pickle.dumps(context, pickle.HIGHEST_PROTOCOL), 1), 3600)
    cards, cards_url = _open_cards(user)
    joined = selectors.joined_figures(
        today=today,
        region_code=scope.region_code,
        department_id=scope.department_id,
        start=period.start,
        end=period.end,
        received=context["received_total"],
    )
    return {**context, "cards": cards, "cards_url": cards_url, "joined": joined_figures(joined)}


def _unpack(packed) -> dict | None:
    """A context cached by ``build``; None for a miss or anything else under the key."""
    if not isinstance(packed, bytes):
        return None
    try:
        return pickle.loads(zlib.decompress(packed))  # noqa: S301 - written by ``build`` alone
    except (zlib.error, pickle.UnpicklingError, EOFError):
        return None


def joined_figures(joined: selectors.JoinedFigures) -> list[Figure]:
    """一件事, data sharing and 12345: kept by their own apps (each a cached aggregate with its
    own short lifetime), so they are read per view beside the cached rollup figures."""
    hotline = joined.hotline
    return [
        Figure(_("一件事办件占比"), _percent(joined.joint_rate), _("一件事联办的子办件 ÷ 收件")),
        Figure(_("数据共享调用"), _number(joined.data_reads), _("部门读取人口、法人库的次数")),
        Figure(_("12345 诉求受理"), _number(hotline["received"]), _("统计期内收到的诉求")),
        Figure(_("12345 按时答复率"), _percent(joined.hotline_on_time_rate), _("期限内答复 ÷ 已答复")),
        Figure(_("12345 满意率"), _percent(joined.hotline_satisfaction_rate), _("满意与基本满意 ÷ 已评价")),
        Figure(
            _("12345 当前超期"),
            _number(hotline["overdue"]),
            _("未答复且已过答复期限"),
            alert=bool(hotline["overdue"]),
        ),
        *fee_and_booking_figures(joined.fees, joined.bookings),
    ]


def _yuan(amount) -> str:
    return _("%(amount)s 元") % {"amount": f"{amount or 0:,.2f}"}


def fee_and_booking_figures(fees: dict, bookings: dict) -> list[Figure]:
    """统一支付 and 预约办事, each kept by its own app; the details are on their figures pages."""
    wait = bookings.get("average_wait_minutes")
    return [
        Figure(_("网上缴费"), _number(fees.get("paid_orders")), _("统计期内已缴的缴款单")),
        Figure(_("缴费金额"), _yuan(fees.get("paid_amount")), _("统计期内已缴金额")),
        Figure(_("退款金额"), _yuan(fees.get("refunded_amount")), _("统计期内成功退款")),
        Figure(
            _("对账差异待处理"),
            _number(fees.get("open_mismatches")),
            _("渠道账单与缴款单不符、尚未处理"),
            alert=bool(fees.get("open_mismatches")),
        ),
        Figure(_("预约"), _number(bookings.get("bookings")), _("统计期内预约的时段")),
        Figure(_("爽约"), _number(bookings.get("no_shows")), _("预约未到")),
        Figure(_("平均等候"), "—" if wait is None else _("%(n)s 分钟") % {"n": wait}, _("取号到叫号")),
    ]


def figures(scope: Scope, *, period: Period, today: dt.date) -> dict:
    """Everything the dashboard shows about a scope (the same for every viewer of that scope)."""
    start, end = period.start, period.end
    # The period's months: the period's totals are their sum (the same cells as one ungrouped
    # read), and the histogram of the whole period is read alone for the 90th percentile.
    trend = selectors.region_indicators(
        scope.region_code or "",
        months=period.months,
        today=end,
        department_id=scope.department_id,
        durations=False,
    )
    row = selectors.summed(trend)
    row.durations = selectors.histogram(
        region_code=scope.region_code, department_id=scope.department_id, start=start, end=end
    )
    labels = [f"{r.period.month}月" for r in trend]
    title = str(scope.title)
    volume_svg = charts.trend_chart(
        labels,
        [(str(_("收件")), [r.received for r in trend]), (str(_("办结")), [r.concluded for r in trend])],
        title=f"{title}：{_('每月收件与办结')}",
        description=str(_("折线图，按月显示收件数和办结数，数据见右侧表格。")),
    )
    rate_svg = charts.trend_chart(
        labels,
        [
            (str(_("承诺时限办结率")), [r.on_time_promised_rate for r in trend]),
            (str(_("满意率")), [r.satisfaction_rate for r in trend]),
        ],
        title=f"{title}：{_('每月按时办结率与满意率')}",
        description=str(_("折线图，按月显示承诺时限内办结的比例和好差评满意率，数据见右侧表格。")),
        percent=True,
    )
    by = "item" if scope.department_id else "department"
    window = {"start": start, "end": end, "durations": False, "measures": selectors.RANKING_MEASURES}
    grouped = selectors.indicator_rows(group_by=(by,), **window, **_rank_filters(scope))
    best = selectors.rank(grouped, by=by, indicator="on_time_promised_rate", limit=10)
    worst = selectors.rank(grouped, by=by, indicator="on_time_promised_rate", worst_first=True, limit=5)
    worst_items = _worst_items(scope, start, end) if by == "department" else []
    overdue_rows = selectors.indicator_rows(
        group_by=(by,), durations=False, measures=selectors.RANKING_MEASURES, **_rank_filters(scope)
    )
    now = selectors.summed(overdue_rows)  # overdue now, whatever the period: all the scope's cells
    most_overdue = [
        r
        for r in selectors.rank(overdue_rows, by=by, indicator="overdue", worst_first=True, limit=5)
        if r.overdue
    ]
    rated = [r for r in best if r.on_time_promised_rate is not None]
    ranking_svg = (
        charts.bar_chart(
            [r.name for r in rated],
            [r.on_time_promised_rate for r in rated],
            title=f"{title}：{_('承诺时限办结率排名')}",
            description=str(_("条形图，按承诺时限内办结的比例从高到低排列，数据见下方表格。")),
            percent=True,
        )
        if rated
        else None
    )
    return {
        "scope": scope,
        "period": period,
        "received_total": row.received,
        "start": start,
        "end": end,
        "figures": _figures(row, now, scope, start, end),
        "trend": _table_rows(trend),
        "volume_chart": charts.data_uri(volume_svg),
        "rate_chart": charts.data_uri(rate_svg),
        "ranking_chart": charts.data_uri(ranking_svg) if ranking_svg else None,
        "ranking_by": by,
        "ranking": _ranking_rows(best, scope, by, start, end),
        "worst": _ranking_rows(worst, scope, by, start, end),
        "worst_items": worst_items,
        "most_overdue": _ranking_rows(most_overdue, scope, by, None, None),
    }


WORST_ITEMS_SECONDS = 300


def _worst_items(scope: Scope, start: dt.date, end: dt.date) -> list[dict]:
    """The five items with the lowest on-time rate of a region or all departments: the only
    figure that reads the item cells (one per item and month: tens of thousands for a city), so
    it is cached on its own for ``WORST_ITEMS_SECONDS`` instead of with the rest of the figures,
    whose key changes with every change of the cells. The list may be that much older than the
    page's other figures (the page says so)."""
    parts = (scope.region_code, scope.department_id, start, end, get_language())
    key = "supervision:worst-items:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    rows = cache.get(key)
    if rows is None:
        items = selectors.indicator_rows(
            group_by=("item",),
            start=start,
            end=end,
            durations=False,
            measures=selectors.RANKING_MEASURES,
            **_rank_filters(scope),
        )
        worst = selectors.rank(items, by="item", indicator="on_time_promised_rate", worst_first=True, limit=5)
        rows = _ranking_rows(worst, scope, "item", start, end)
        cache.set(key, rows, WORST_ITEMS_SECONDS)
    return rows


def _rank_filters(scope: Scope) -> dict:
    return {"region_code": scope.region_code, "department_id": scope.department_id}
