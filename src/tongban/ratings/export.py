"""CSV and XLSX exports of ratings for supervisors (names masked, no contact data)."""

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

from tongban.core.masking import mask_name

from .models import Rating

HEADERS = [
    "评价时间",
    "部门",
    "事项",
    "办件编号",
    "渠道",
    "评价等级",
    "等级名称",
    "默认评价",
    "申诉成立不计入",
    "评价人",
    "评价内容",
    "标签",
    "追评",
]


def _rows(ratings: Iterable[Rating]) -> list[list]:
    rows = []
    for r in ratings:
        rows.append(
            [
                r.created_at.strftime("%Y-%m-%d %H:%M"),
                r.department.name,
                r.item.name if r.item_id else "",
                r.case.number if r.case_id else "",
                r.get_channel_display(),
                r.level,
                r.get_level_display(),
                "是" if r.is_default else "否",
                "是" if r.excluded else "否",
                mask_name(r.rater_name),
                _safe(r.comment),
                "、".join(r.tags or []),
                _safe(r.follow_up),
            ]
        )
    return rows


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(ratings: Iterable[Rating]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(_rows(ratings))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(ratings: Iterable[Rating]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "好差评"
    sheet.append(HEADERS)
    for row in _rows(ratings):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
