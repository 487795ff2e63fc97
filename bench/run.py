"""``make bench``: the catalogue benchmark on SQLite and on a throwaway PostgreSQL, then the cases one.

For each database: migrate, load the province-scale catalogue (``tongban demo --scale
province``, at least 60,000 items) unless ``--reuse`` finds it already loaded, run
``bench/catalog.py``, then write ``bench/results/catalog.json`` and the table in
``docs/performance.md``. On PostgreSQL, ``bench/cases.py`` then runs on the same database
(``bench/results/cases.json``; ``--no-cases`` skips it). Working state lives in ``bench/var/``
(ignored by git).
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgcluster
from common import replace_doc_block

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "bench" / "var"
RESULTS = ROOT / "bench" / "results" / "catalog.json"
DOC = ROOT / "docs" / "performance.md"
TONGBAN = [sys.executable, "-m", "tongban"]
MIN_ITEMS = 60_000
TARGETS = {"search_p95_ms": 30.0, "guide_p95_ms": 20.0, "search_vs_bare_ratio": 0.40}
TABLE_START = "<!-- bench:catalog:start -->"
TABLE_END = "<!-- bench:catalog:end -->"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def count_items(env: dict[str, str]) -> int:
    code = (
        "import django; django.setup(); "
        "from tongban.catalog.models import ServiceItem; print(ServiceItem.objects.count())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def prepare(env: dict[str, str], scale: str, min_items: int) -> int:
    """Migrate and load the catalogue when it is not there yet; return the item count."""
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=env, check=True)
    items = count_items(env)
    if items < min_items:
        log(f"loading the {scale} catalogue (tongban demo --scale {scale})")
        started = time.monotonic()
        subprocess.run([*TONGBAN, "demo", "--scale", scale], env=env, check=True)
        items = count_items(env)
        log(f"loaded {items} items in {time.monotonic() - started:.0f} s")
    if items < min_items:
        raise SystemExit(f"only {items} items after loading; the benchmark needs at least {min_items}")
    return items


def run_catalog(env: dict[str, str], name: str, extra: list[str]) -> dict:
    out = BENCH_VAR / f"{name}.json"
    log(f"{name}: measuring")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "catalog.py"), "--out", str(out), *extra], env=env, check=True
    )
    return json.loads(out.read_text())


def bench_sqlite(args: argparse.Namespace, base_env: dict[str, str]) -> dict:
    var = BENCH_VAR / "sqlite"
    if not args.reuse:
        shutil.rmtree(var, ignore_errors=True)
    env = {**base_env, "TONGBAN_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    prepare(env, args.scale, args.min_items)
    return run_catalog(env, "sqlite", args.catalog_args)


def bench_postgresql(args: argparse.Namespace, base_env: dict[str, str]) -> dict:
    var = BENCH_VAR / "postgresql"
    datadir = BENCH_VAR / "pgdata"
    if not args.reuse:
        shutil.rmtree(var, ignore_errors=True)
        shutil.rmtree(datadir, ignore_errors=True)
    with pgcluster.cluster(datadir, keep=args.reuse) as url:
        log(f"PostgreSQL at {url}")
        env = {**base_env, "TONGBAN_VAR_DIR": str(var), "DATABASE_URL": url}
        prepare(env, args.scale, args.min_items)
        result = run_catalog(env, "postgresql", args.catalog_args)
        if not args.no_cases:
            run_cases(env, args)
        if not args.no_appointments:
            run_appointments(env, args)
        if not args.no_consult:
            run_consult(env, args)
        if not args.no_payments:
            run_payments(env, args)
        if not args.no_decisions:
            run_decisions(env, args)
        if not args.no_joint:
            run_joint(env, args)
        if not args.no_supervision:
            run_supervision(env, args)
        if not args.no_opendata:
            run_opendata(env, args)
        return result


def run_joint(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/joint.py`` on the same PostgreSQL: a five-item 一件事 against a single submission."""
    log("joint: 一件事 submissions of five items against single-item submissions")
    cmd = [sys.executable, str(ROOT / "bench" / "joint.py"), "--out", str(BENCH_VAR / "joint.json")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_supervision(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/supervision.py`` on the same PostgreSQL, before opendata (both replace the rollup
    cells): the supervisor's dashboard p95 over a million cases' cells, and the rollup upkeep per
    case event as a ratio to the event."""
    log("supervision: dashboard p95 over a million cases' rollup cells; rollup upkeep per case event")
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "supervision.py"),
        "--out",
        str(BENCH_VAR / "supervision.json"),
    ]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_opendata(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/opendata.py`` on the same PostgreSQL, last (it replaces the rollup cells): the
    open-data statistics API's p95 over a million cases' snapshot against the bare view."""
    log("opendata: statistics API p95 over the snapshot of a million cases against the bare view")
    cmd = [sys.executable, str(ROOT / "bench" / "opendata.py"), "--out", str(BENCH_VAR / "opendata.json")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_decisions(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/decisions.py`` on the same PostgreSQL: 秒批 against a plain submission."""
    log("decisions: 秒批 submissions and submission-to-wallet time against plain submissions")
    cmd = [sys.executable, str(ROOT / "bench" / "decisions.py")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_payments(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/payments.py`` on the same PostgreSQL: payment callbacks per second and their p95."""
    log("payments: payment callbacks per second against the bare view")
    cmd = [sys.executable, str(ROOT / "bench" / "payments.py"), "--out", str(BENCH_VAR / "payments.json")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_appointments(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/appointments.py`` on the same PostgreSQL: bookings per second and their p95."""
    log("appointments: bookings per second against the bare view")
    cmd = [sys.executable, str(ROOT / "bench" / "appointments.py")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_cases(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/cases.py`` on the same database: a million cases, submissions, the staff queue."""
    log("cases: topping up to 1,000,000 cases and measuring")
    out = BENCH_VAR / "cases.json"
    cmd = [sys.executable, str(ROOT / "bench" / "cases.py"), "--out", str(out), *shlex.split(args.cases_args)]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_consult(env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/consult.py`` on the same PostgreSQL: request intake and the assistant's answers."""
    log("consult: request intake and assistant answers per second")
    cmd = [sys.executable, str(ROOT / "bench" / "consult.py"), "--out", str(BENCH_VAR / "consult.json")]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_certificates(base_env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/certificates.py`` on its own fresh SQLite database (it needs no catalogue)."""
    var = BENCH_VAR / "certificates"
    shutil.rmtree(var, ignore_errors=True)
    env = {**base_env, "TONGBAN_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=env, check=True)
    log("certificates: verifications and issuances per second")
    out, script = BENCH_VAR / "certificates.json", str(ROOT / "bench" / "certificates.py")
    cmd = [sys.executable, script, "--out", str(out), *args.certificates_args.split()]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def run_machines(base_env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/machines.py``: two web nodes behind PgBouncer against one node direct, with a replica."""
    log("machines: one node direct against two behind PgBouncer, replica's share of reads")
    cmd = [sys.executable, str(ROOT / "bench" / "machines.py"), *args.machines_args.split()]
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=base_env, check=True)


def run_sharing(base_env: dict[str, str], args: argparse.Namespace) -> None:
    """``bench/sharing.py`` on its own PostgreSQL cluster: the exchange API with and without its logging."""
    log("sharing: exchange API, logged against the same read unlogged")
    cmd = [sys.executable, str(ROOT / "bench" / "sharing.py"), *args.sharing_args.split()]
    env = {k: v for k, v in base_env.items() if k != "DATABASE_URL"}
    subprocess.run(cmd if args.no_write else [*cmd, "--write"], env=env, check=True)


def verdict(result: dict) -> dict[str, bool]:
    return {
        "search_p95_ms": result["search_p95_ms"] <= TARGETS["search_p95_ms"],
        "guide_p95_ms": result["guide_p95_ms"] <= TARGETS["guide_p95_ms"],
        "search_vs_bare_ratio": result["search_vs_bare_ratio"] >= TARGETS["search_vs_bare_ratio"],
    }


def table(results: dict) -> str:
    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    rows = [
        "| database | items | search p50 | search p95 (≤ 30 ms) | guide p50 | guide p95 (≤ 20 ms) "
        "| search page req/s | bare view req/s | ratio (≥ 40 %) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["databases"].items():
        ok = r["meets_targets"]
        db = f"{name} {r['database'].get('version', '').split(' ')[0]}".strip()
        rows.append(
            f"| {db} | {r['items']:,} | {r['search_p50_ms']:.1f} ms | {r['search_p95_ms']:.1f} ms "
            f"{mark(ok['search_p95_ms'])} | {r['guide_p50_ms']:.1f} ms | {r['guide_p95_ms']:.1f} ms "
            f"{mark(ok['guide_p95_ms'])} | {r['search_rps']:,.0f} | {r['bare_rps']:,.0f} "
            f"| {r['search_vs_bare_ratio'] * 100:.0f} % {mark(ok['search_vs_bare_ratio'])} |"
        )
    machine = results["machine"]
    rows.append("")
    rows.append(
        f"Measured {results['date']} at commit `{machine['commit']}` on {machine['cores']} cores "
        f"({machine['cpu'] or 'unknown CPU'}), {machine['memory_gib']} GiB; Python {machine['python']}, "
        f"Django {machine['django']}, granian {machine['granian']}, SQLite {machine['sqlite']}; "
        f"load average when the measurement started: {machine.get('load_average_1m', '?')}."
    )
    return "\n".join(rows)


def update_doc(results: dict) -> None:
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--scale", default="province", help="tongban demo --scale value to load")
    parser.add_argument("--min-items", type=int, default=MIN_ITEMS, help="load when fewer items than this")
    parser.add_argument("--reuse", action="store_true", help="keep bench/var/ and reuse a loaded catalogue")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    parser.add_argument("--no-certificates", action="store_true", help="skip bench/certificates.py")
    parser.add_argument("--certificates-args", default="", help="options for bench/certificates.py")
    parser.add_argument("--no-consult", action="store_true", help="skip bench/consult.py (after PostgreSQL)")
    parser.add_argument("--no-decisions", action="store_true", help="skip bench/decisions.py")
    parser.add_argument("--no-opendata", action="store_true", help="skip bench/opendata.py (开放数据)")
    parser.add_argument("--no-supervision", action="store_true", help="skip bench/supervision.py (电子监察)")
    parser.add_argument("--no-joint", action="store_true", help="skip bench/joint.py (一件事)")
    parser.add_argument("--no-cases", action="store_true", help="skip bench/cases.py (run after PostgreSQL)")
    parser.add_argument("--no-appointments", action="store_true", help="skip bench/appointments.py")
    parser.add_argument("--no-payments", action="store_true", help="skip bench/payments.py")
    parser.add_argument("--cases-args", default="", help="options for bench/cases.py")
    parser.add_argument("--no-machines", action="store_true", help="skip bench/machines.py")
    parser.add_argument("--no-sharing", action="store_true", help="skip bench/sharing.py")
    parser.add_argument("--sharing-args", default="", help="options for bench/sharing.py")
    parser.add_argument("--machines-args", default="", help="options for bench/machines.py")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="measure nothing: write results from the last measurements kept in bench/var/<database>.json",
    )
    args, extra = parser.parse_known_args()
    args.catalog_args = extra
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tongban.settings", "PYTHONUNBUFFERED": "1"}
    base_env.pop("TONGBAN_TESTING", None)
    runners = {"sqlite": bench_sqlite, "postgresql": bench_postgresql}
    databases = {}
    for name in [n.strip() for n in args.databases.split(",") if n.strip()]:
        if name not in runners:
            raise SystemExit(f"unknown database {name!r}: choose from {', '.join(runners)}")
        if args.collect:
            kept = BENCH_VAR / f"{name}.json"
            if not kept.exists():
                log(f"{name}: no kept measurement, skipped")
                continue
            result = json.loads(kept.read_text())
        else:
            result = runners[name](args, base_env)
        result["meets_targets"] = verdict(result)
        databases[name] = result
    if not databases:
        raise SystemExit("nothing measured")
    first = next(iter(databases.values()))
    results = {
        "benchmark": "catalog",
        "date": first["date"],
        "machine": first["machine"],
        "targets": TARGETS,
        "databases": databases,
    }
    print(table(results))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        update_doc(results)
        log(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    if not args.collect and not args.no_certificates:
        run_certificates(base_env, args)
    if not args.collect and not args.no_machines:
        run_machines(base_env, args)
    if not args.collect and not args.no_sharing:
        run_sharing(base_env, args)
    missed = [f"{db}: {k}" for db, r in databases.items() for k, ok in r["meets_targets"].items() if not ok]
    if missed:
        log("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
