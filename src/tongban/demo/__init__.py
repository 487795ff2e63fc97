"""Demo data for `tongban demo`: a real city's catalogue with complete, plausible guides.

``STEPS`` is the ordered list of loaders the command runs. Another app adds its own demo
data by inserting a step here (before "search", which indexes whatever the others loaded, and
"statistics", which refreshes PostgreSQL's planner statistics):
a name and the dotted path of a callable taking keyword arguments ``scale`` ("city" or
"province"), ``min_items``, ``province`` and ``out`` (a progress printer or None; accept
``**_`` for any added later) and returning a one-line summary. Every step must be
idempotent. ``tongban demo --only NAME`` / ``--skip NAME`` choose among them.
"""

import time
from collections.abc import Callable
from importlib import import_module

STEPS: list[tuple[str, str]] = [
    ("regions", "tongban.demo.steps.regions"),
    ("catalog", "tongban.demo.steps.catalog"),
    ("identity", "tongban.demo.identity.load"),
    ("certificates", "tongban.demo.configure.load"),
    ("bundles", "tongban.catalog.bundle_demo.load"),
    ("cases", "tongban.demo.cases.load"),
    ("ratings", "tongban.demo.cases.load_ratings"),
    ("sharing", "tongban.sharing.demo.load"),
    ("consult", "tongban.consult.demo.load"),
    ("appointments", "tongban.demo.appointments.load"),
    ("payments", "tongban.payments.demo.load"),
    ("decisions", "tongban.decisions.demo.load"),
    ("crossregion", "tongban.demo.crossregion.load"),
    ("cards", "tongban.supervision.cards.demo.load"),
    ("supervision", "tongban.supervision.demo.load"),
    ("opendata", "tongban.opendata.demo.load"),
    ("search", "tongban.demo.steps.search"),
    ("statistics", "tongban.demo.refresh_statistics"),
]


def step_names() -> list[str]:
    return [name for name, _path in STEPS]


def run_steps(
    *,
    scale: str = "city",
    min_items: int = 60_000,
    province: str = "51",
    only: list[str] | None = None,
    skip: list[str] | None = None,
    out: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Run the demo steps in order; returns the seconds each took."""
    timings: dict[str, float] = {}
    for name, path in STEPS:
        if (only and name not in only) or (skip and name in skip):
            continue
        module_path, _, attr = path.rpartition(".")
        func = getattr(import_module(module_path), attr)
        started = time.perf_counter()
        summary = func(scale=scale, min_items=min_items, province=province, out=out)
        timings[name] = time.perf_counter() - started
        if out:
            out(f"[{name}] {summary}（{timings[name]:.1f} 秒）")
    return timings


def refresh_statistics(**_: object) -> str:
    """Last step: tell PostgreSQL's planner what was just loaded. Before autovacuum gets to it
    (and never, inside a transaction not committed yet) it plans joins over tens of thousands of
    regions and items as if the tables were empty, and a query can run for minutes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return "无需更新（SQLite）"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "已更新 PostgreSQL 统计信息"
