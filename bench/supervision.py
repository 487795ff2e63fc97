"""电子监察 benchmark: the supervisor's dashboard p95 over the rollup cells of ``--cases`` cases, and
the cost of keeping the rollups per case event as a ratio to the event itself, in one run.

1. Dashboard. The page reads only the rollup cells, so this script writes the cells (and their
   working-day histograms) of ``--cases`` cases directly, spread Zipf-like over the published
   items of the supervisor's region and the last ``--months`` months, and the summary cells
   (without the item) from them as the worker keeps them, then serves the app as
   ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) and times
   ``/staff/supervision/`` (default scope, a department, 24 months) signed in as the supervisor,
   sequentially on one keep-alive connection, against ``/healthz`` in the same run.
2. Rollup maintenance. In this process, on open cases of the database: a case event (claim, then
   release: two history lines and two audit links, as every step writes) is timed, then what the
   rollups add for it — the after-commit observer (is a drain waiting? enqueue) and the drain the
   worker runs (read the chain, recompute the case's fact, compare, store); a second measurement
   recounts cases whose fact changed (cells updated). Reported as ratios to the event.

It REPLACES the database's rollup cells: run it on a benchmark database, never on a live one,
then ``tongban supervision recount --fix`` if the database is kept.

``python bench/supervision.py --out result.json [--cases 1000000] [--write] [--pgdata DIR]``;
``--pgdata`` as in ``bench/opendata.py`` (a kept cluster, loaded once, shared by both).
"""

import argparse
import datetime as dt
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import Server, database_info, free_port, machine_info, percentile
from common import replace_doc_block, save_result
from opendata import kept_database, load_average, months_back, setup_django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "issue16-supervision.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:supervision:start -->"
TABLE_END = "<!-- bench:supervision:end -->"
BARE = "/healthz"
TARGET_P95_MS = 200
SUPERVISOR = "shi_jiancha"


def prepare_cells(cases: int, months: int, seed: int, region: str) -> dict:
    """Rollup cells (with histograms) for ``cases`` cases over the region's published items."""
    from django.db import connection, transaction

    from tongban.catalog.models import ServiceItem
    from tongban.supervision import rollups
    from tongban.supervision.models import DurationCell, IndicatorCell, SummaryDurationCell

    rng = random.Random(seed)
    items = list(
        ServiceItem.objects.published()
        .filter(region_code__startswith=region)
        .values_list("pk", "department_id", "region_code")
    )
    if not items:
        raise SystemExit(f"区划 {region} 没有已发布的事项：先运行 tongban demo")
    rng.shuffle(items)
    month_list = months_back(months)
    weights = [1 / (k + 1) for k in range(len(items))]
    counts: dict[tuple[int, dt.date], int] = {}
    for index in rng.choices(range(len(items)), weights=weights, k=cases):
        key = (index, rng.choice(month_list))
        counts[key] = counts.get(key, 0) + 1
    cells = []
    for (index, month), received in counts.items():
        item_id, department_id, region_code = items[index]
        concluded = round(received * 0.9)
        bad = round(received * 0.02)
        cells.append(
            IndicatorCell(
                region_code=region_code,
                department_id=department_id,
                item_id=item_id,
                month=month,
                received=received,
                online=round(received * 0.7),
                full_online=round(received * 0.3),
                visits=round(received * 0.5),
                corrections=round(received * 0.1),
                accepted=round(received * 0.95),
                refused=round(received * 0.03),
                concluded=concluded,
                one_time=round(concluded * 0.85),
                automatic=round(concluded * 0.05),
                with_legal=concluded,
                on_time_legal=round(concluded * 0.98),
                with_promised=concluded,
                on_time_promised=round(concluded * 0.93),
                work_days=concluded * 6,
                overdue=round(received * 0.01) if month == month_list[0] else 0,
                rated=round(received * 0.6),
                rating_sum=round(received * 0.6 * 4.6),
                rating_good=round(received * 0.6) - bad,
                rating_bad=bad,
                rating_rectified=round(bad * 0.8),
            )
        )
    with transaction.atomic():
        DurationCell.objects.all().delete()
        IndicatorCell.objects.all().delete()
        IndicatorCell.objects.bulk_create(cells, batch_size=5000)
        durations = []
        for cell in IndicatorCell.objects.filter(concluded__gt=0).values_list("pk", "concluded").iterator():
            left = cell[1]
            for days in range(1, 13):  # a spread of 1 … 12 working days
                share = left if days == 12 else round(cell[1] / 12)
                share = min(share, left)
                if share:
                    durations.append(DurationCell(cell_id=cell[0], days=days, count=share))
                    left -= share
        DurationCell.objects.bulk_create(durations, batch_size=10_000)
        # The worker keeps the summary cells beside the item cells (rollups.apply); cells written
        # directly get theirs from the sums.
        summaries = rollups.rebuild_summaries()
        summary_durations = SummaryDurationCell.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("indicatorcell", "durationcell", "summarycell", "summarydurationcell"):
                cursor.execute(f"ANALYZE supervision_{table}")
    return {
        "cells": len(cells),
        "duration_rows": len(durations),
        "items": len(items),
        "summary_cells": summaries,
        "summary_duration_rows": summary_durations,
    }


def supervisor_cookie() -> tuple[str, str, int]:
    """A signed-in, second-factor-verified session of the demo supervisor (cookie name, value)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tongban.identity import permissions

    user = get_user_model().objects.get(username=SUPERVISOR)
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    department = (
        permissions.staff_departments(user).filter(cases__isnull=False).values_list("pk", flat=True).first()
        or permissions.staff_departments(user).values_list("pk", flat=True).first()
    )
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, department


def timed_gets(port: int, paths: list[str], cookie: str = "", before=None) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    times = []
    try:
        for path in paths:
            if before is not None:
                before()
            started = time.perf_counter_ns()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {body[:300]!r}")
    finally:
        conn.close()
    return times


def touch_cursor() -> None:
    from django.utils import timezone

    from tongban.supervision import rollups
    from tongban.supervision.models import Cursor

    Cursor.objects.update_or_create(name=rollups.CURSOR, defaults={"updated_at": timezone.now()})


def maintenance(events: int) -> dict:
    """Per case event: the event's own time, the observer's and the drain's (ms)."""
    from django.db import transaction

    from tongban.cases import services
    from tongban.cases.models import Case
    from tongban.identity.models import StaffMembership, StaffRole
    from tongban.supervision import rollups, tasks
    from tongban.supervision.models import CaseFact

    rollups.drain()  # start from a caught-up cursor
    open_cases = list(
        Case.objects.filter(status=Case.Status.PENDING_INTAKE, assignee__isnull=True).select_related(
            "department"
        )[:50]
    )
    staff = {}
    for membership in StaffMembership.objects.filter(role=StaffRole.INTAKE).select_related("user"):
        staff.setdefault(membership.department_id, membership.user)
    open_cases = [case for case in open_cases if case.department_id in staff]
    if not open_cases:
        raise SystemExit("没有待受理的办件：先运行 tongban demo")
    event_ms, observer_ms, drain_ms, refresh_ms = [], [], [], []
    for n in range(events):
        case = open_cases[n % len(open_cases)]
        actor = staff[case.department_id]
        started = time.perf_counter_ns()
        with transaction.atomic():
            services.claim_case(actor=actor, case=case)
        with transaction.atomic():
            services.release_case(actor=actor, case=case)
        event_ms.append((time.perf_counter_ns() - started) / 1e6 / 2)
        started = time.perf_counter_ns()
        tasks.on_case_event(case.pk, 0)
        tasks.on_case_event(case.pk, 0)
        observer_ms.append((time.perf_counter_ns() - started) / 1e6 / 2)
        started = time.perf_counter_ns()
        rollups.drain()
        drain_ms.append((time.perf_counter_ns() - started) / 1e6 / 2)
        # A changed fact: forget the case's fact, so counting it again updates its cells.
        CaseFact.objects.filter(case_id=case.pk).delete()
        started = time.perf_counter_ns()
        with transaction.atomic():
            rollups.refresh_cases([case.pk])
        refresh_ms.append((time.perf_counter_ns() - started) / 1e6)
    rollups.recount(fix=True)  # the deleted facts were counted twice on purpose above
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path=tasks.drain_rollups.module_path).delete()
    event = statistics.median(event_ms)
    return {
        "events": events,
        "event_median_ms": round(event, 2),
        "observer_median_ms": round(statistics.median(observer_ms), 2),
        "drain_median_ms": round(statistics.median(drain_ms), 2),
        "changed_fact_median_ms": round(statistics.median(refresh_ms), 2),
        "observer_ratio": round(statistics.median(observer_ms) / event, 3),
        "drain_ratio": round(statistics.median(drain_ms) / event, 3),
        "changed_fact_ratio": round(statistics.median(refresh_ms) / event, 3),
    }


def run(args: argparse.Namespace) -> dict:
    load_before = load_average()
    setup_django()
    from django.db import connection

    started = time.perf_counter()
    cells = prepare_cells(args.cases, args.months, args.seed, args.region)
    seed_s = time.perf_counter() - started
    name, value, department = supervisor_cookie()
    connection.close()
    cookie = f"{name}={value}"
    kinds = {
        "dashboard": "/staff/supervision/",
        "department": f"/staff/supervision/?department={department}",
        "24_months": "/staff/supervision/?months=24",
    }
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(port, args.workers, args.threads, Path(tmp) / "granian.log")
        try:
            server.wait_ready(BARE)
            timed_gets(port, list(kinds.values()) * 3, cookie)
            load_timed = load_average()  # when the timed requests start
            bare = timed_gets(port, [BARE] * args.requests)
            by_kind = {name: timed_gets(port, [path] * args.requests, cookie) for name, path in kinds.items()}
            # Cold: the rollups moved before every request (as when events keep arriving), so the
            # page's cached figures never serve and each request reads the cells again.
            by_kind.update(
                {
                    f"{name}, cells changed": timed_gets(
                        port, [path] * args.requests, cookie, before=touch_cursor
                    )
                    for name, path in kinds.items()
                }
            )
        finally:
            server.stop()
    upkeep = maintenance(args.events)
    everything = [t for name, times in by_kind.items() if "changed" in name for t in times]
    warm = [t for name, times in by_kind.items() if "changed" not in name for t in times]
    bare_p95 = percentile(bare, 95)
    page_p95 = percentile(everything, 95)
    return {
        "script": "bench/supervision.py",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": database_info(),
        "cases": args.cases,
        "months": args.months,
        "region": args.region,
        "rollup_cells": cells["cells"],
        "duration_rows": cells["duration_rows"],
        "summary_cells": cells["summary_cells"],
        "summary_duration_rows": cells["summary_duration_rows"],
        "items": cells["items"],
        "seed_s": round(seed_s, 1),
        "load_average_1m_before": load_before,
        "load_average_1m_timed": load_timed,
        "load_average_1m_after": load_average(),
        "requests_per_kind": args.requests,
        "bare_p50_ms": round(percentile(bare, 50), 2),
        "bare_p95_ms": round(bare_p95, 2),
        "dashboard_cached_p95_ms": round(percentile(warm, 95), 2),
        "dashboard_p50_ms": round(percentile(everything, 50), 2),
        "dashboard_p95_ms": round(page_p95, 2),
        "dashboard_p95_ratio_to_bare": round(page_p95 / bare_p95, 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": page_p95 <= TARGET_P95_MS,
        "by_kind_p95_ms": {name: round(percentile(times, 95), 2) for name, times in by_kind.items()},
        "maintenance": upkeep,
    }


def table(result: dict) -> str:
    kinds = result["by_kind_p95_ms"]
    upkeep = result["maintenance"]
    return "\n".join(
        [
            f"{result['when']} · {result['database'].get('vendor', '')} · {result['cases']:,} cases over "
            f"{result['months']} months in region {result['region']} ({result['items']:,} items) → "
            f"{result['rollup_cells']:,} rollup cells, {result['duration_rows']:,} histogram rows; "
            f"{result.get('summary_cells', 0):,} summary cells without the item, "
            f"{result.get('summary_duration_rows', 0):,} of their histogram rows. Load average "
            f"(1 min, 2 cores shared) {result.get('load_average_1m_before', '?')} before, {result.get('load_average_1m_timed', '?')} when the timed requests began, "
            f"{result.get('load_average_1m_after', '?')} after.",
            "",
            "| request | p95 ms |",
            "|---|---|",
            f"| bare `/healthz` (baseline) | {result['bare_p95_ms']} |",
            *(f"| dashboard: {name} | {value} |" for name, value in kinds.items()),
            f"| dashboard, cells changed before each request | **{result['dashboard_p95_ms']}** "
            f"(×{result['dashboard_p95_ratio_to_bare']} the bare view; target ≤ {result['target_p95_ms']} ms: "
            f"{'met' if result['meets_target'] else 'NOT met'}) |",
            f"| dashboard, figures cached (cells unchanged) | {result['dashboard_cached_p95_ms']} |",
            "",
            f"Rollup upkeep per case event ({upkeep['events']} claim + release pairs, medians): the event "
            f"{upkeep['event_median_ms']} ms (its after-commit observer included); the observer alone {upkeep['observer_median_ms']} ms "
            f"(×{upkeep['observer_ratio']}); the worker's drain {upkeep['drain_median_ms']} ms "
            f"(×{upkeep['drain_ratio']}); counting a case whose fact changed (cells updated) "
            f"{upkeep['changed_fact_median_ms']} ms (×{upkeep['changed_fact_ratio']}).",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(
        DOC,
        TABLE_START,
        TABLE_END,
        table(result),
        heading="## 电子监察 dashboard and rollups (bench/supervision.py)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--region", default="5116", help="the supervisor's region (demo: 广安市)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per kind")
    parser.add_argument("--events", type=int, default=40, help="case events for the upkeep ratio")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--pgdata", type=Path, help="a kept PostgreSQL cluster's directory (bench/opendata.py)"
    )
    parser.add_argument("--scale", default="city", help="the demo scale loaded into a new --pgdata cluster")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--write", action="store_true", help=f"{RESULTS.name} and docs/performance.md")
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
