"""Report periods: a month (``2026-11``) or a quarter (``2026-Q4``), parsed with Chinese errors."""

import datetime as dt
import re

from django.utils.translation import gettext as _

from tongban.core.errors import InvalidInput
from tongban.supervision.selectors import add_months

from .models import Report

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")


def bounds(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period beginning on ``start``."""
    months = 3 if kind == Report.Kind.QUARTER else 1
    return start, add_months(start, months) - dt.timedelta(days=1)


def containing(kind: str, day: dt.date) -> dt.date:
    """The first day of the period of ``kind`` that contains ``day``."""
    if kind == Report.Kind.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


def parse(kind: str, text: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """``(start, end)`` of the period named by ``text``; a period not begun yet is refused."""
    text = (text or "").strip()
    if kind == Report.Kind.MONTH:
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInput(_("月份格式应为“年-月”，例如 2026-11。"), field="period")
        start = dt.date(int(match.group(1)), int(match.group(2)), 1)
    elif kind == Report.Kind.QUARTER:
        match = _QUARTER.match(text)
        if not match:
            raise InvalidInput(_("季度格式应为“年-Q季度”，例如 2026-Q4。"), field="period")
        start = dt.date(int(match.group(1)), (int(match.group(2)) - 1) * 3 + 1, 1)
    else:
        raise InvalidInput(_("通报类型只能是月报（month）或季报（quarter）。"), field="kind")
    if start.year < 2000:
        raise InvalidInput(_("期间过早：通报从 2000 年起。"), field="period")
    if start > today:
        raise InvalidInput(_("该期间尚未开始，不能生成通报。"), field="period")
    return bounds(kind, start)
