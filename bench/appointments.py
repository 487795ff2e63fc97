"""Appointments benchmark: bookings per second with p95 on PostgreSQL, 2 web workers.

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) and posts
``/api/v1/appointments/bookings`` with ``wrk`` from a separate process, each request a different
person (OIDC bearer token, ``api`` scope) booking one of many bookable items at one of 300 slots
of a hall; rounds alternate with the bare ``/healthz`` view measured in the same run, so the
result is also given as a ratio of it (the machine's noise shows in both). Afterwards the
database must agree with wrk: as many bookings as 201 answers, no slot over its quota.

Runs against ``DATABASE_URL`` when it names PostgreSQL, else on a throwaway cluster of its own
(``bench/pgcluster.py``); ``bench/run.py`` calls it after the other benchmarks.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pgcluster
from catalog import Server, database_info, free_port, machine_info
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result, wrk_post

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "appointments.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:appointments:start -->"
TABLE_END = "<!-- bench:appointments:end -->"
TARGETS = {"bookings_per_s": 100.0, "book_p95_ms": 150.0}
BARE = "/healthz"
MAX_RATE = 600  # generous upper bound of bookings per second, to prepare enough people

BOOK_INIT = r"""
function init(args)
  for line in io.lines(args[1]) do
    local token, body = line:match("^(%S+)\t(.+)$")
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/appointments/bookings", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }, body)
  end
end
"""


def log(message: str) -> None:
    print(f"[appointments {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(args: argparse.Namespace) -> dict:
    """A hall with two windows serving ``items`` items, 300 slots with room for every request,
    and people with tokens; each request line is a different (person, item)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    import hashlib
    import random
    import secrets

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model
    from tests.factories import DepartmentFactory, PublishedItemFactory, make_uscc

    from tongban.appointments.models import Hall, Slot, Window
    from tongban.identity.oidc.services import create_client

    call_command("migrate", interactive=False, verbosity=0)
    run = secrets.token_hex(3)
    serial = secrets.randbelow(10**8)
    department = DepartmentFactory(name=f"压测部门{run}", uscc=make_uscc(serial))
    items = [
        PublishedItemFactory(
            code=f"511A{serial:08d}{n:02d}-511602000000-000-TEST-1-00",
            name=f"压测预约事项{run}-{n}",
            department=department,
            supports_appointment=True,
        )
        for n in range(args.items)
    ]
    hall = Hall.objects.create(
        code=f"bench-{run}",
        name="压测大厅",
        region=department.region,
        department=department,
        book_days_ahead=30,
    )
    windows = []
    for n in (1, 2):
        window = Window.objects.create(hall=hall, number=f"{n}号窗口", department=department)
        window.items.set(items)
        windows.append(window)
    first = timezone.localdate() + dt.timedelta(days=1)
    requests = MAX_RATE * args.seconds * (args.rounds + 1)
    per_slot = requests // 300 + 2
    slots = Slot.objects.bulk_create(
        [
            Slot(
                hall=hall,
                window=windows[n % 2],
                date=first + dt.timedelta(days=n // 30),
                start=dt.time(8 + (n // 2) % 15, 0 if n % 2 else 30),
                end=dt.time(9 + (n // 2) % 15, 0),
                capacity=per_slot,
                online_quota=per_slot,
            )
            for n in range(300)
        ]
    )
    people_needed = requests // args.items + 1
    User = get_user_model()
    people = User.objects.bulk_create(
        [
            User(username=f"bench-{run}-{n}", kind="citizen", real_name=f"预约压测{n}")
            for n in range(people_needed)
        ],
        batch_size=2000,
    )
    client = create_client(name=f"预约压测{run}", redirect_uris=["https://bench.example.cn/cb"]).client
    token_model = get_access_token_model()
    tokens = []
    for person in people:
        raw = secrets.token_urlsafe(32)
        tokens.append(raw)
        person.bench_token = raw
    token_model.objects.bulk_create(
        [
            token_model(
                user=p,
                application=client,
                token=p.bench_token,
                token_checksum=hashlib.sha256(p.bench_token.encode()).hexdigest(),
                expires=timezone.now() + dt.timedelta(days=1),
                scope="openid api",
            )
            for p in people
        ],
        batch_size=2000,
    )
    rng = random.Random(args.seed)
    lines = [
        f"{tokens[n // args.items]}\t"
        + json.dumps({"item": items[n % args.items].pk, "slot": rng.choice(slots).pk}, separators=(",", ":"))
        for n in range(requests)
    ]
    db = database_info()
    connection.close()
    return {"lines": lines, "hall": hall.pk, "database": db}


def wrk_book(port: int, lines: list[str], seconds: int, connections: int, workdir: Path, name: str) -> dict:
    result = wrk_post(port, BOOK_INIT, lines, seconds, connections, workdir, name)
    if result["other"] or result["exhausted"]:
        raise RuntimeError(
            f"{result['other']} answers were not 201, {result['exhausted']} lines reused: {result['errors']}"
        )
    return {
        "created": result["created"],
        "rps": result["created"] / seconds,
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "p99_ms": result["p99_ms"],
    }


def check_database(hall_id: int) -> dict:
    from django.db.models import F, Sum

    from tongban.appointments.models import Booking, Slot

    slots = Slot.objects.filter(hall_id=hall_id)
    return {
        "bookings": Booking.objects.filter(hall_id=hall_id).count(),
        "booked": slots.aggregate(n=Sum("booked"))["n"] or 0,
        "over_quota": slots.filter(booked__gt=F("online_quota")).count(),
    }


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    load_average = os.getloadavg()[0]
    prep = prepare(args)
    per_round = MAX_RATE * args.seconds
    slices = [prep["lines"][i * per_round : (i + 1) * per_round] for i in range(args.rounds + 1)]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tongban-bench-appointments-") as tmp:
        workdir = Path(tmp)
        server = Server(port, 2, 1, workdir / "granian.log")
        try:
            server.wait_ready(BARE)
            log("warming up")
            wrk_get(port, [BARE], 2, 4, workdir)
            warm = wrk_book(port, slices[0], 2, args.connections, workdir, "warm")
            bare_rps, rounds = [], []
            for n in range(args.rounds):
                bare_rps.append(wrk_get(port, [BARE], args.seconds, args.connections, workdir)["rps"])
                rounds.append(wrk_book(port, slices[n + 1], args.seconds, args.connections, workdir, f"r{n}"))
                log(f"round {n + 1}: bare {bare_rps[-1]:,.0f} req/s, bookings {rounds[-1]['rps']:,.0f}/s")
        except Exception:
            print((workdir / "granian.log").read_text()[-6000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    created = warm["created"] + sum(r["created"] for r in rounds)
    db = check_database(prep["hall"])
    # Requests still in flight when a round ends are made but not counted by wrk: never fewer.
    if db["bookings"] < created or db["booked"] != db["bookings"] or db["over_quota"]:
        raise RuntimeError(f"wrk saw {created} bookings made, the database says {db}")
    bookings = statistics.median(r["rps"] for r in rounds)
    bare = statistics.median(bare_rps)
    result = {
        "database": prep["database"],
        "load_average": round(load_average, 2),
        "workers": 2,
        "connections": args.connections,
        "bookings_per_s": round(bookings, 1),
        "book_p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 2),
        "book_p95_ms": round(statistics.median(r["p95_ms"] for r in rounds), 2),
        "book_p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 2),
        "bare_rps": round(bare, 1),
        "bookings_vs_bare_ratio": round(bookings / bare, 4),
        "bookings_checked": db,
        "rounds": rounds,
        "bare_rounds": bare_rps,
    }
    result["meets_targets"] = {
        "bookings_per_s": result["bookings_per_s"] >= TARGETS["bookings_per_s"],
        "book_p95_ms": result["book_p95_ms"] <= TARGETS["book_p95_ms"],
    }
    return result


def table(result: dict) -> str:
    def mark(key: str) -> str:
        return "✓" if result["meets_targets"][key] else "✗"

    machine = result["machine"]
    return "\n".join(
        [
            "| database | bookings/s (≥ 100) | p50 | p95 (≤ 150 ms) | p99 | bare view req/s | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| PostgreSQL {result['database'].get('version', '').split(' ')[0]} | {result['bookings_per_s']:,.0f} "
            f"{mark('bookings_per_s')} | {result['book_p50_ms']:.1f} ms | {result['book_p95_ms']:.1f} ms "
            f"{mark('book_p95_ms')} | {result['book_p99_ms']:.1f} ms | {result['bare_rps']:,.0f} "
            f"| {result['bookings_vs_bare_ratio'] * 100:.1f} % |",
            "",
            f"Measured {result['date']} at commit `{machine['commit']}` on {machine['cores']} cores, granian WSGI "
            f"with 2 workers and 1 blocking thread, {result['connections']} connections; every booking checked "
            f"against the database afterwards ({result['bookings_checked']['bookings']:,} bookings, as many as "
            f"places taken, none over quota); load average when the measurement started: {result['load_average']}.",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading="## Appointments (bookings)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--items", type=int, default=10, help="bookable items (one booking per person and item)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="also write the result here")
    parser.add_argument("--write", action="store_true", help="update bench/results and docs/performance.md")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        datadir = ROOT / "bench" / "var" / "pgdata-appointments"
        shutil.rmtree(datadir, ignore_errors=True)
        with pgcluster.cluster(datadir) as url:
            os.environ["DATABASE_URL"] = url
            os.environ["TONGBAN_VAR_DIR"] = str(ROOT / "bench" / "var" / "appointments")
            return _measure(args)
    return _measure(args)


def _measure(args: argparse.Namespace) -> dict:
    os.environ.pop("TONGBAN_TESTING", None)
    result = run(args)
    result["machine"] = machine_info()
    result["date"] = time.strftime("%Y-%m-%d")
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("rounds", "bare_rounds")}, ensure_ascii=False
        )
    )
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        write(result)
    return result


if __name__ == "__main__":
    main()
