"""办件公示: each department's cases of one month for the public, no personal data.

Small cells are suppressed by the open-data portal's rule (``tongban.opendata.suppression``:
a department's month is the group of its items' cells; fewer than five cases are not shown, and
secondary suppression keeps a total from giving a hidden cell away). ``opendata`` comes after
this app in the layering, so it registers the rule here (``register_small_cell_rule``); until it
has, nothing is shown rather than something unsuppressed.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from tongban.departments.models import Department
from tongban.supervision import selectors as indicators

Rule = Callable[[Sequence[int]], tuple[list[int | None], int | None]]
_rule: Rule | None = None

MEASURES = ("received", "accepted", "concluded", "with_promised", "on_time_promised", "rated", "rating_good")


def register_small_cell_rule(rule: Rule) -> None:
    global _rule
    _rule = rule


def _total(cells: Sequence[int]) -> int | None:
    if _rule is None:
        return None
    return _rule(cells)[1]


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None


def department_figures(region_code: str | None, month: dt.date) -> list[dict[str, Any]]:
    """Per department of the region (and below): the month's totals as published (None = not
    shown), and the two rates made only from published totals."""
    rows = indicators.indicator_rows(
        region_code=region_code or None, start=month, end=month, group_by=("department", "item")
    )
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[row.department_id].append(row)
    names = dict(Department.objects.filter(pk__in=groups).values_list("pk", "name"))
    out = []
    for department_id, items in groups.items():
        if not any(row.counts[m] for row in items for m in MEASURES):
            continue
        shown = {m: _total([row.counts[m] for row in items]) for m in MEASURES}
        out.append(
            {
                "department_id": department_id,
                "name": names.get(department_id, ""),
                "received": shown["received"],
                "accepted": shown["accepted"],
                "concluded": shown["concluded"],
                "on_time_rate": _rate(shown["on_time_promised"], shown["with_promised"]),
                "satisfaction_rate": _rate(shown["rating_good"], shown["rated"]),
            }
        )
    out.sort(key=lambda d: (-(d["received"] or 0), d["name"]))
    return out
