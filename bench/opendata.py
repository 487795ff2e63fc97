"""Open-data statistics API benchmark: p95 of ``/api/v1/opendata/datasets/case-statistics/rows``
over the published snapshot of a million cases, against the bare view in the same run.

The API reads only the published snapshot (``opendata.StatisticsRow``), which is rebuilt from
电子监察's rollup cells; what the cases themselves cost to count into those cells is the rollup
benchmark's business. So this script writes the rollup cells of ``--cases`` cases directly —
spread over the published items (a few popular, many rare, as in a real catalogue) and the last
``--months`` months — rebuilds the snapshot (timed: small-cell suppression over every
department's month), and serves the app as ``tongban serve`` does (granian WSGI, 2 workers,
1 blocking thread). Requests, sequential on one keep-alive connection, cycle through what a
harvester and a portal user ask: the first and a deep page unfiltered (``?page=N``), a page after
a cursor anywhere in the snapshot, one month, one item, one city, one city's month. ``/healthz`` is the baseline. It REPLACES the database's rollup cells:
run it on a benchmark database (``make bench`` does), never on a live one.

``python bench/opendata.py --out result.json [--cases 1000000] [--write] [--pgdata DIR]``.

Without ``--pgdata`` it uses the database of the environment (``make bench``: its throwaway
PostgreSQL). ``--pgdata bench/var/pgdata-issue16`` starts a PostgreSQL cluster in that directory
(created, migrated and loaded with ``tongban demo --scale SCALE`` the first time) and KEEPS it,
so ``bench/supervision.py --pgdata`` with the same directory reuses the loaded database; remove
the directory when done.
"""

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import Server, database_info, free_port, machine_info, percentile
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "opendata.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:opendata:start -->"
TABLE_END = "<!-- bench:opendata:end -->"
BARE = "/healthz"
API = "/api/v1/opendata/datasets/case-statistics/rows"
TARGET_P95_MS = 100


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


@contextlib.contextmanager
def kept_database(pgdata: Path | None, scale: str = "city"):
    """The database of the environment, or a kept PostgreSQL cluster in ``pgdata`` that is
    migrated and loaded with the demo the first time (both benchmarks can then share it)."""
    if pgdata is None:
        yield
        return
    import pgcluster

    with pgcluster.cluster(pgdata.resolve(), keep=True) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("TONGBAN_VAR_DIR", str(pgdata.resolve().parent / f"{pgdata.name}-var"))
        tongban = [sys.executable, "-m", "tongban"]
        subprocess.run([*tongban, "migrate", "--noinput", "-v0"], check=True)
        marker = pgdata / "demo-loaded"
        if not marker.exists():
            started = time.monotonic()
            subprocess.run([*tongban, "demo", "--scale", scale], check=True)
            marker.write_text(f"{scale} {time.monotonic() - started:.0f} s\n")
        yield


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def months_back(count: int) -> list[dt.date]:
    first = dt.date.today().replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months


def prepare(cases: int, months: int, seed: int) -> dict:
    """Rollup cells for ``cases`` cases, then the snapshot; returns what the requests need."""
    setup_django()
    from django.db import connection, transaction

    from tongban.catalog.models import ServiceItem
    from tongban.opendata import services
    from tongban.opendata.models import StatisticsRow
    from tongban.supervision import rollups
    from tongban.supervision.models import DurationCell, IndicatorCell

    rng = random.Random(seed)
    items = list(ServiceItem.objects.published().values_list("pk", "department_id", "region_code", "code"))
    if not items:
        raise SystemExit("数据库中没有已发布的事项：先运行 tongban demo")
    rng.shuffle(items)
    month_list = months_back(months)
    # Zipf-like popularity: item k gets weight 1/(k+1); most cases fall on a few hundred items.
    weights = [1 / (k + 1) for k in range(len(items))]
    counts: dict[tuple[int, dt.date], int] = {}
    for index in rng.choices(range(len(items)), weights=weights, k=cases):
        key = (index, rng.choice(month_list))
        counts[key] = counts.get(key, 0) + 1
    cells = []
    for (index, month), received in counts.items():
        _pk, department_id, region_code, _code = items[index]
        concluded = round(received * 0.9)
        cells.append(
            IndicatorCell(
                region_code=region_code,
                department_id=department_id,
                item_id=items[index][0],
                month=month,
                received=received,
                online=round(received * 0.7),
                accepted=round(received * 0.95),
                concluded=concluded,
                with_promised=concluded,
                on_time_promised=round(concluded * 0.93),
            )
        )
    with transaction.atomic():
        DurationCell.objects.all().delete()
        IndicatorCell.objects.all().delete()
        IndicatorCell.objects.bulk_create(cells, batch_size=5000)
        rollups.rebuild_summaries()  # as the worker keeps them beside the item cells
    started = time.perf_counter()
    rows = services.rebuild_statistics()
    rebuild_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE opendata_statisticsrow")
    from tongban.opendata.datasets import CASE_STATISTICS
    from tongban.opendata.selectors import encode_cursor

    snapshot = CASE_STATISTICS.snapshot()
    # Cursors as a harvester holds them: after a row anywhere in the snapshot.
    cursors = [encode_cursor(snapshot, rng.randint(1, rows)) for _ in range(1000)] if rows else []
    sample = StatisticsRow.objects.filter(kind="item").exclude(received=None).order_by("?").first()
    city = sample.region_code[:4] if sample else ""
    suppressed = StatisticsRow.objects.filter(received=None).count()
    connection.close()
    return {
        "cells": len(cells),
        "rows": rows,
        "suppressed_received": suppressed,
        "rebuild_s": round(rebuild_s, 2),
        "items": [code for _pk, _d, _r, code in items[:200]],
        "months": [m.strftime("%Y-%m") for m in month_list],
        "city": city,
        "cursors": cursors,
    }


def request_paths(data: dict, count: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    pages = max(1, data["rows"] // 50)
    kinds = {
        "first_page": lambda: f"{API}?page_size=50",
        "deep_page": lambda: f"{API}?page_size=50&page={rng.randint(1, min(pages, 10_000))}",
        "cursor": lambda: f"{API}?page_size=50&cursor={rng.choice(data['cursors'])}",
        "month": lambda: f"{API}?month={rng.choice(data['months'])}&page_size=50",
        "item": lambda: f"{API}?item={rng.choice(data['items'])}",
        "city": lambda: f"{API}?region={data['city']}&page_size=50",
        "city_month": lambda: f"{API}?region={data['city']}&month={rng.choice(data['months'])}&page_size=50",
    }
    return {name: [make() for _ in range(count)] for name, make in kinds.items()}


def timed_gets(port: int, paths: list[str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for path in paths:
            started = time.perf_counter_ns()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {body[:300]!r}")
    finally:
        conn.close()
    return times


def run(args: argparse.Namespace) -> dict:
    load_before = load_average()
    started = time.perf_counter()
    data = prepare(args.cases, args.months, args.seed)
    seed_s = time.perf_counter() - started
    paths = request_paths(data, args.requests, args.seed)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(port, args.workers, args.threads, Path(tmp) / "granian.log")
        try:
            server.wait_ready(BARE)
            warm = [p[0] for p in paths.values()]
            timed_gets(port, warm * 3)
            load_timed = load_average()  # when the timed requests start
            bare = timed_gets(port, [BARE] * args.requests)
            by_kind = {name: timed_gets(port, kind_paths) for name, kind_paths in paths.items()}
        finally:
            server.stop()
    everything = [t for times in by_kind.values() for t in times]
    bare_p95 = percentile(bare, 95)
    api_p95 = percentile(everything, 95)
    return {
        "script": "bench/opendata.py",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": database_info(),
        "cases": args.cases,
        "months": args.months,
        "rollup_cells": data["cells"],
        "snapshot_rows": data["rows"],
        "suppressed_received_cells": data["suppressed_received"],
        "snapshot_rebuild_s": data["rebuild_s"],
        "seed_and_rebuild_s": round(seed_s, 1),
        "load_average_1m_before": load_before,
        "load_average_1m_timed": load_timed,
        "load_average_1m_after": load_average(),
        "requests_per_kind": args.requests,
        "bare_p50_ms": round(percentile(bare, 50), 2),
        "bare_p95_ms": round(bare_p95, 2),
        "api_p50_ms": round(percentile(everything, 50), 2),
        "api_p95_ms": round(api_p95, 2),
        "api_p95_ratio_to_bare": round(api_p95 / bare_p95, 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": api_p95 <= TARGET_P95_MS,
        "by_kind_p95_ms": {name: round(percentile(times, 95), 2) for name, times in by_kind.items()},
    }


def table(result: dict) -> str:
    kinds = result["by_kind_p95_ms"]
    lines = [
        f"{result['when']} · {result['database'].get('vendor', '')} · {result['cases']:,} cases over "
        f"{result['months']} months → {result['rollup_cells']:,} rollup cells → "
        f"{result['snapshot_rows']:,} published rows ({result['suppressed_received_cells']:,} with 收件数 "
        f"suppressed); snapshot rebuilt in {result['snapshot_rebuild_s']} s. Load average (1 min, 2 cores "
        f"shared) {result.get('load_average_1m_before', '?')} before, {result.get('load_average_1m_timed', '?')} when the timed requests began, {result.get('load_average_1m_after', '?')} after.",
        "",
        "| request | p95 ms |",
        "|---|---|",
        f"| bare `/healthz` (baseline) | {result['bare_p95_ms']} |",
        *(f"| statistics API: {name} | {value} |" for name, value in kinds.items()),
        f"| statistics API, all | **{result['api_p95_ms']}** (×{result['api_p95_ratio_to_bare']} the bare view; "
        f"target ≤ {result['target_p95_ms']} ms: {'met' if result['meets_target'] else 'NOT met'}) |",
    ]
    return "\n".join(lines)


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(
        DOC, TABLE_START, TABLE_END, table(result), heading="## 开放数据 statistics API (bench/opendata.py)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--pgdata", type=Path, help="a kept PostgreSQL cluster's directory (see above)")
    parser.add_argument("--scale", default="city", help="the demo scale loaded into a new --pgdata cluster")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--write", action="store_true", help="bench/results/opendata.json and docs/performance.md"
    )
    args = parser.parse_args()
    with kept_database(args.pgdata, args.scale):
        result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        save_result(args.out, result)
    if args.write:
        write(result)


if __name__ == "__main__":
    main()
