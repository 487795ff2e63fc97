"""Small-cell suppression for published case statistics, so that no person can be singled out.

Rule (documented in docs/opendata.md and on every statistics page):

1. Primary: a count from 1 to 4 (fewer than ``THRESHOLD`` cases) is not published. Zero is
   published: it describes nobody.
2. Secondary: the portal publishes one kind of total — a department's month (the sum of its
   items' rows for that month; the public 办件公示 figures are per department too). Within such
   a group, if any item cell is suppressed, further cells are suppressed, smallest first, until
   at least two cells are suppressed AND their sum is at least ``THRESHOLD``. Then total minus
   the published cells gives only the sum of several suppressed cells, never one cell and never
   a sum below the threshold.
3. If that cannot be reached (too few cells in the group), the group's total is suppressed too.
   A total below the threshold is always suppressed.

Each measure (收件, 受理, 办结, …) is a separate table and suppressed on its own. No other totals
(by region, by item across months) are published; adding one means adding its groups here.
"""

from collections.abc import Sequence

THRESHOLD = 5


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def suppress_group(cells: Sequence[int]) -> tuple[list[int | None], int | None]:
    """Apply the rule to one group: the cells as published (None = suppressed) and the total."""
    published: list[int | None] = list(cells)
    total = sum(cells)
    hidden = {i for i, v in enumerate(cells) if is_small(v)}
    if hidden:
        # Candidates for secondary suppression: published non-zero cells, smallest first (a zero
        # added to the hidden set would hide nothing the total does not already give away).
        candidates = sorted((v, i) for i, v in enumerate(cells) if i not in hidden and v > 0)
        while (len(hidden) < 2 or sum(cells[i] for i in hidden) < THRESHOLD) and candidates:
            hidden.add(candidates.pop(0)[1])
        for i in hidden:
            published[i] = None
    protected = not hidden or (len(hidden) >= 2 and sum(cells[i] for i in hidden) >= THRESHOLD)
    shown_total = total if protected and not is_small(total) else None
    return published, shown_total
