"""Reads of the open-data portal shared by its pages, its API and its downloads."""

import base64
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput, NotFound
from tongban.core.params import MAX_PAGE

from .datasets import SPECS, Spec
from .models import Dataset

MAX_PAGE_SIZE = 200
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
REGION = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$")


class BadFilter(InvalidInput):
    """A filter or paging parameter the portal cannot use: 422 with a Chinese message."""

    code = "invalid_parameters"
    status = 422


def get_spec(slug: str) -> Spec:
    try:
        return SPECS[slug]
    except KeyError:
        raise NotFound(_("没有这个开放数据集。"), field="slug") from None


@dataclass
class Summary:
    spec: Spec
    modified: dt.datetime | None
    downloads: int


def downloads() -> dict[str, int]:
    return dict(Dataset.objects.values_list("slug", "downloads"))


def summaries() -> list[Summary]:
    counts = downloads()
    return [Summary(spec, spec.modified(), counts.get(slug, 0)) for slug, spec in SPECS.items()]


def summary(slug: str) -> Summary:
    spec = get_spec(slug)
    return Summary(spec, spec.modified(), downloads().get(slug, 0))


def parse_filters(spec: Spec, raw: dict[str, Any]) -> dict:
    """The dataset's filters from a query string, checked; unknown or bad values are refused."""
    filters: dict[str, Any] = {}
    for name, value in raw.items():
        if value in (None, ""):
            continue
        value = str(value).strip()
        if name not in spec.filters:
            allowed = "、".join(spec.filters) or _("无")
            raise BadFilter(
                _("该数据集不支持筛选条件 %(name)s（可用：%(allowed)s）。")
                % {"name": name, "allowed": allowed},
                field=name,
            )
        if name == "month":
            match = MONTH.match(value)
            if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 2199:
                raise BadFilter(_("月份格式应为 YYYY-MM，例如 2026-11。"), field="month")
            filters["month"] = dt.date(int(match[1]), int(match[2]), 1)
        elif name == "region":
            if not REGION.match(value):
                raise BadFilter(_("行政区划代码应为 2、4、6、9 或 12 位数字。"), field="region")
            filters["region"] = value
        elif name == "year":
            if not value.isdigit() or not 1900 <= int(value) <= 2199:
                raise BadFilter(_("年份应为四位数字，例如 2026。"), field="year")
            filters["year"] = int(value)
        elif name == "item":
            if len(value) > 80:
                raise BadFilter(_("实施编码最多 80 个字符。"), field="item")
            filters["item"] = value
    return filters


def parse_page(page: Any, page_size: Any = 20) -> tuple[int, int]:
    """Page number and size from a query string (the API's own schema checks them too)."""
    try:
        page_n = int(1 if page in (None, "") else page)
        size_n = int(20 if page_size in (None, "") else page_size)
    except (TypeError, ValueError):
        raise BadFilter(_("页码和每页条数必须是整数。"), field="page") from None
    if not 1 <= page_n <= MAX_PAGE:
        raise BadFilter(_("页码应在 1 至 %(max)s 之间。") % {"max": MAX_PAGE}, field="page")
    if not 1 <= size_n <= MAX_PAGE_SIZE:
        raise BadFilter(_("每页条数应在 1 至 %(max)s 之间。") % {"max": MAX_PAGE_SIZE}, field="page_size")
    return page_n, size_n


FILTERED_OFFSET_MAX = 20_000
"""With filters, a numbered snapshot's pages are an OFFSET within the matching rows; no page
starts past this many rows (deeper: follow ``next_cursor``, or download the dataset)."""
CURSOR = re.compile(r"^(\d{1,20})\.(\d{1,10})$")


@dataclass
class Page:
    total: int
    page: int | None  # None when the page was asked for by cursor
    page_size: int
    rows: list[dict]
    next_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page is not None and self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page is not None and self.page > 1


def _stamp(snapshot: dt.datetime) -> int:
    return int(snapshot.timestamp() * 1_000_000)


def encode_cursor(snapshot: dt.datetime, seq: int) -> str:
    """An opaque cursor: the snapshot it belongs to and the position of the last row read."""
    return base64.urlsafe_b64encode(f"{_stamp(snapshot)}.{seq}".encode()).decode().rstrip("=")


def cursor_position(spec: Spec, token: str) -> int:
    """The position after which a cursor continues; a malformed cursor, a cursor of a dataset
    that has none or of an earlier snapshot is refused (422, Chinese message)."""
    if spec.snapshot is None:
        raise BadFilter(_("该数据集不支持 cursor，请用 page 翻页。"), field="cursor")
    token = token.strip()
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except ValueError:
        text = ""
    match = CURSOR.match(text) if len(token) <= 64 else None
    if not match:
        raise BadFilter(_("cursor 无效：请原样使用上一页返回的 next_cursor。"), field="cursor")
    snapshot = spec.snapshot()
    if snapshot is None or int(match[1]) != _stamp(snapshot):
        made = timezone.localtime(snapshot).strftime("%Y-%m-%d %H:%M") if snapshot else "—"
        raise BadFilter(
            _("数据已于 %(time)s 重新生成，这个 cursor 已失效：请从第一页重新读取（不带 cursor）。")
            % {"time": made},
            field="cursor",
        )
    return int(match[2])


def page_of(spec: Spec, filters: dict, page: int, page_size: int, cursor: str | None = None) -> Page:
    """One page of a dataset: by number (``page``) or after a ``cursor`` (numbered snapshots)."""
    if cursor and page != 1:
        raise BadFilter(_("cursor 与 page 不能同时使用：用 cursor 时不要带 page。"), field="cursor")
    after = cursor_position(spec, cursor) if cursor else None
    source = spec.source(filters)
    total = spec.known_total(filters)
    if total is None:
        total = source.count() if isinstance(source, QuerySet) else len(source)
    start = (page - 1) * page_size
    if spec.snapshot is None:
        return Page(total, page, page_size, [spec.row(obj) for obj in source[start : start + page_size]])
    if after is not None:
        window = source.filter(seq__gt=after)
    elif not filters:
        window = source.filter(seq__gt=start)  # the positions are 1 … total: no rows to skip
    elif start >= FILTERED_OFFSET_MAX:
        raise BadFilter(
            _(
                "按条件筛选时，分页最多从第 %(max)s 行开始；请用上一页返回的 next_cursor 继续读取，"
                "或下载整个数据集。"
            )
            % {"max": f"{FILTERED_OFFSET_MAX:,}"},
            field="page",
        )
    else:
        window = source[start:]
    found = list(window[: page_size + 1])
    more, found = len(found) > page_size, found[:page_size]
    snapshot = spec.snapshot() if more else None
    return Page(
        total,
        None if cursor else page,
        page_size,
        [spec.row(obj) for obj in found],
        encode_cursor(snapshot, found[-1].seq) if snapshot else None,
    )
