"""Sharing benchmark: the exchange API with its logging on, against the same read without it.

``POST /api/v1/sharing/exchange`` by a department system (a signed client assertion per request,
single use), answered with the granted fields of a person and the provider's signature. Served
as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) on PostgreSQL and measured
with ``wrk``; rounds alternate between the shipped application (every exchange leaves a
data-access log row and an audit-chain entry) and the same application with those two writes
switched off (``bench/sharing_nolog_wsgi.py``), and the bare ``/healthz`` view, in the same run.
The logging's cost is the ratio of time per request, logged / unlogged − 1, taken per round (the
two runs of a round follow each other, alternating which goes first) and the median of the
rounds reported (goal ≤ 25 %).

Starts its own PostgreSQL cluster unless ``DATABASE_URL`` names one (migrated or not):
``python bench/sharing.py [--write]``.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgcluster
from catalog import Server, database_info, free_port, machine_info
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "bench" / "var" / "sharing"
RESULTS = ROOT / "bench" / "results" / "sharing.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:sharing:start -->"
TABLE_END = "<!-- bench:sharing:end -->"
TARGETS = {"logging_cost_ratio": 0.25}
PATH = "/api/v1/sharing/exchange"

WRK_SCRIPT = r"""
local lines = {}
for line in io.lines("%(file)s") do table.insert(lines, line) end
local n = 0
request = function()
  n = n + 1
  local line = lines[n]
  local tab = string.find(line, "\t", 1, true)
  local headers = {}
  headers["Authorization"] = "Bearer " .. string.sub(line, 1, tab - 1)
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "%(path)s", headers, string.sub(line, tab + 1))
end
done = function(summary, latency, requests)
  io.write(string.format("p95_us %%d\n", latency:percentile(95.0)))
end
"""


def log(message: str) -> None:
    print(f"[sharing {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(people: int) -> dict:
    """A provider with ``people`` population records, the shipped catalogue, a consumer with a
    grant for name and address, and its system's key."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.utils import timezone
    from stdnum.cn import ric
    from stdnum.cn import uscc as stdnum_uscc

    from tongban.certificates import seals
    from tongban.departments.models import Department
    from tongban.regions.models import Region
    from tongban.registries.models import PopulationRecord
    from tongban.sharing import catalogue, signing
    from tongban.sharing.models import ConsumerSystem, DataResource, Grant

    parent = None
    for code, name, level in (("51", "四川省", 1), ("5116", "广安市", 2), ("511602", "广安区", 3)):
        parent, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "full_name": name}
        )

    def department(name: str, serial: int) -> Department:
        body = f"11511602{serial:09d}"
        return Department.objects.get_or_create(
            name=name, region=parent, defaults={"uscc": body + stdnum_uscc.calc_check_digit(body)}
        )[0]

    police, consumer = department("广安区公安分局", 1), department("广安区人力资源和社会保障局", 2)
    numbers = []
    for n in range(people):
        body = f"511602{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
        numbers.append(body + ric.calc_check_digit(body + "0"))
    numbers = sorted(set(numbers))
    existing = set(PopulationRecord.objects.values_list("id_number", flat=True))
    PopulationRecord.objects.bulk_create(
        [
            PopulationRecord(
                name=f"测试{n[-4:]}",
                id_number=n,
                birth_date=dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])),
                sex="M" if int(n[16]) % 2 else "F",
                address=f"四川省广安市广安区建设路{n[-3:]}号",
                region=parent,
            )
            for n in numbers
            if n not in existing
        ],
        batch_size=1000,
    )
    catalogue.publish_standard(population=police, enterprise=police, case_results=police)
    resource = DataResource.objects.get(kind=DataResource.Kind.POPULATION)
    Grant.objects.get_or_create(
        code="SQBENCH0001",
        defaults={
            "resource": resource,
            "consumer": consumer,
            "fields": ["name", "address"],
            "purpose": "基准测试",
            "valid_from": timezone.localdate(),
            "valid_until": timezone.localdate() + dt.timedelta(days=30),
        },
    )
    key_file = BENCH_VAR / "client.key"
    if key_file.exists():
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_file.read_text()))
    else:
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        key, _public = signing.new_client_key()
        key_file.write_text(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex())
    ConsumerSystem.objects.update_or_create(
        client_id="bench-system",
        defaults={"name": "基准测试系统", "department": consumer, "public_key": signing.public_hex(key)},
    )
    seals.active_key(police)
    connection.close()
    return {"key": key, "numbers": numbers, "resource": resource.code, "provider": police}


def requests_file(prepared: dict, count: int, path: Path) -> Path:
    """``count`` single-use signed requests, one per line: assertion TAB body."""
    from tongban.sharing import signing

    numbers = prepared["numbers"]
    with path.open("w") as out:
        for n in range(count):
            body = json.dumps(
                {
                    "resource": prepared["resource"],
                    "subject": numbers[n % len(numbers)],
                    "fields": ["name", "address"],
                    "purpose": "bench: 待遇资格复核",
                }
            )
            token = signing.make_assertion("bench-system", prepared["key"], body.encode())
            out.write(f"{token}\t{body}\n")
    return path


def wrk_exchange(port: int, prepared: dict, seconds: int, connections: int, workdir: Path) -> dict:
    lines = requests_file(prepared, seconds * 4000, workdir / f"requests-{port}.tsv")
    script = workdir / f"exchange-{port}.lua"
    script.write_text(WRK_SCRIPT % {"file": lines, "path": PATH})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx answers:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p95_ms": int(re.search(r"p95_us (\d+)", out).group(1)) / 1000,
    }


def check(port: int, prepared: dict) -> None:
    """One exchange by hand: 200, only the granted fields, the provider's signature verifies."""
    import http.client

    from tongban.certificates import seals
    from tongban.sharing import signing

    line = requests_file(prepared, 1, BENCH_VAR / "one.tsv").read_text().strip()
    token, body = line.split("\t")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", PATH, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    answer = conn.getresponse()
    content = answer.read()
    assert answer.status == 200, content
    key = seals.active_key(prepared["provider"])
    payload = signing.verify_response(content, seals.public_key_bytes(key), algorithm=key.algorithm)
    assert set(payload["records"][0]) == {"name", "address"}, payload


def measure(args: argparse.Namespace, prepared: dict) -> dict:
    from django.db import connection

    from tongban.core import audit
    from tongban.registries.models import DataAccessLog

    servers = {}
    for name, target in (
        ("logged", "tongban.wsgi:application"),
        ("unlogged", "sharing_nolog_wsgi:application"),
    ):
        servers[name] = Server(free_port(), 2, 1, BENCH_VAR / f"{name}.log", target=target)
    try:
        for server in servers.values():
            server.wait_ready("/healthz")
            check(server.port, prepared)
        logs_before = DataAccessLog.objects.count()
        rounds: dict[str, list[dict]] = {"logged": [], "unlogged": [], "bare": []}
        for n in range(args.rounds):
            order = list(servers.items())
            for name, server in order if n % 2 == 0 else reversed(order):
                rounds[name].append(
                    wrk_exchange(server.port, prepared, args.seconds, args.connections, BENCH_VAR)
                )
                log(f"round {n + 1} {name}: {rounds[name][-1]}")
            bare = wrk_get(servers["logged"].port, ["/healthz"], args.seconds, args.connections, BENCH_VAR)
            rounds["bare"].append({"rps": bare["rps"]})
        logged_rows = DataAccessLog.objects.count() - logs_before
        chain = audit.verify_chain()
        connection.close()
    finally:
        for server in servers.values():
            server.stop()
    logged = statistics.median(r["rps"] for r in rounds["logged"])
    unlogged = statistics.median(r["rps"] for r in rounds["unlogged"])
    pairs = list(zip(rounds["logged"], rounds["unlogged"], strict=True))
    return {
        "logged_rps": logged,
        "logged_p95_ms": statistics.median(r["p95_ms"] for r in rounds["logged"]),
        "unlogged_rps": unlogged,
        "unlogged_p95_ms": statistics.median(r["p95_ms"] for r in rounds["unlogged"]),
        "bare_rps": statistics.median(r["rps"] for r in rounds["bare"]),
        # Paired by round (its two runs follow each other and share the machine's load of the
        # moment): the median of the rounds' ratios.
        "logging_cost_ratio": round(statistics.median(u["rps"] / g["rps"] - 1 for g, u in pairs), 3),
        "log_rows_written": logged_rows,
        "audit_chain_ok": chain.ok,
        "audit_entries_checked": chain.checked,
        "rounds": rounds,
    }


def run(args: argparse.Namespace) -> dict:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    os.environ["TONGBAN_VAR_DIR"] = str(BENCH_VAR)
    os.environ.pop("TONGBAN_TESTING", None)
    tongban = [sys.executable, "-m", "tongban"]
    subprocess.run([*tongban, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([*tongban, "createcachetable"], check=True)
    log(f"preparing {args.people} people, the catalogue and a grant")
    prepared = prepare(args.people)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")])
    load_before = os.getloadavg()[0]
    result = measure(args, prepared)
    result["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return {
        "benchmark": "sharing",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine_info(),
        "database": database_info(),
        "targets": TARGETS,
        "settings": {"seconds": args.seconds, "connections": args.connections, "rounds": args.rounds},
        **result,
        "meets_targets": {
            "logging_cost_ratio": result["logging_cost_ratio"] <= TARGETS["logging_cost_ratio"]
        },
    }


def table(r: dict) -> str:
    return "\n".join(
        [
            f"Measured {r['date']} on {r['machine']['cores']} cores, {r['database']['vendor']} "
            f"{r['database']['version']}, granian 2 workers × 1 thread, wrk {r['settings']['connections']} "
            f"connections, {r['settings']['rounds']} rounds of {r['settings']['seconds']} s (medians); "
            f"load average {r['load_average'][0]} → {r['load_average'][1]}; paired ratios per round: "
            + ", ".join(
                f"{u['rps'] / g['rps'] - 1:+.0%}"
                for g, u in zip(r["rounds"]["logged"], r["rounds"]["unlogged"], strict=True)
            )
            + ".",
            "",
            "| | req/s | p95 ms |",
            "|---|---:|---:|",
            f"| exchange, logged (access log + audit chain) | {r['logged_rps']:,.0f} | {r['logged_p95_ms']:.1f} |",
            f"| same read, logging off | {r['unlogged_rps']:,.0f} | {r['unlogged_p95_ms']:.1f} |",
            f"| bare `/healthz` | {r['bare_rps']:,.0f} | |",
            "",
            f"Logging cost: **{r['logging_cost_ratio']:.0%}** more time per exchange (median of the rounds' paired ratios; goal ≤ "
            f"{TARGETS['logging_cost_ratio']:.0%}: {'met' if r['meets_targets']['logging_cost_ratio'] else 'NOT met'}); "
            f"{r['log_rows_written']:,} log rows written, audit chain of {r['audit_entries_checked']:,} entries "
            f"{'verifies' if r['audit_chain_ok'] else 'BROKEN'}.",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(
        DOC,
        TABLE_START,
        TABLE_END,
        table(result),
        heading="## Data sharing: the exchange API and its logging (issue 14)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--write", action="store_true", help="write bench/results/sharing.json and docs")
    parser.add_argument("--out", type=Path, help="also write the result here")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        result = run(args)
    else:
        with pgcluster.cluster(BENCH_VAR / "pgdata") as url:
            os.environ["DATABASE_URL"] = url
            result = run(args)
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if args.write:
        write(result)


if __name__ == "__main__":
    main()
