"""咨询投诉 benchmark: request intake and the assistant's answers, per second and p95.

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) against
whatever ``DATABASE_URL`` names (``bench/run.py`` runs it on its PostgreSQL after the catalogue
benchmark, on the province-scale demo) and measures with ``wrk`` from a separate process:

- intake: ``POST /open311/v2/requests.json`` with a client's API key — the checks, a number
  from the database counter, the request row, its first timeline event and the audit append;
  every request a new 诉求;
- the assistant: ``GET /api/v1/consult/ask`` cycling over the held-out question set (region
  511602) — the catalogue search, the guide read, the section choice and the question log;
- the bare ``/healthz`` view in the same run, the baseline the two are compared with.

p95 comes from sequential requests on one keep-alive connection (wrk reports no p95).
``python bench/consult.py --out result.json [--write]``.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import Server, database_info, free_port, machine_info, percentile, timed_requests
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "consult.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:consult:start -->"
TABLE_END = "<!-- bench:consult:end -->"
BARE = "/healthz"
INTAKE = "/open311/v2/requests.json"
REGION = "511602"

POST_SCRIPT = r"""
wrk.method = "POST"
wrk.body = "%(body)s"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare() -> tuple[str, list[str]]:
    """An Open311 key (created for the run) and the assistant's question paths."""
    setup_django()
    from django.db import connection

    from tongban.consult.evaluation import DEFAULT_SET, read_questions
    from tongban.consult.models import ApiClient, Centre
    from tongban.departments.models import Department
    from tongban.regions.models import Region

    if not Centre.objects.exists():
        region = Region.objects.filter(code=REGION[:4]).first() or Region.objects.order_by("code").first()
        department = Department.objects.filter(region=region).first() or Department.objects.first()
        if region is None or department is None:
            raise SystemExit("数据库中没有区划和部门：先运行 tongban demo")
        Centre.objects.create(department=department, region=region)
    key = ApiClient.new_key()
    ApiClient.objects.create(name="bench", key_prefix=key[:6], key_digest=ApiClient.digest(key))
    questions = read_questions(DEFAULT_SET)
    paths = [
        "/api/v1/consult/ask?" + urllib.parse.urlencode({"q": q.text, "region": REGION}) for q in questions
    ]
    connection.close()
    return key, paths


def intake_body(key: str) -> str:
    return urllib.parse.urlencode(
        {
            "api_key": key,
            "service_code": "environment",
            "address_string": "广安区建设路12号",
            "description": "小区门口垃圾三天没人清运，气味很大，请尽快处理。",
            "phone": "13800000000",
        }
    )


def timed_posts(port: int, body: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter_ns()
            conn.request("POST", INTAKE, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            if response.status != 201:
                raise RuntimeError(f"intake answered {response.status}: {content[:300]!r}")
    finally:
        conn.close()
    return times


def wrk_post(port: int, body: str, seconds: int, connections: int, workdir: Path) -> dict:
    script = workdir / "intake.lua"
    script.write_text(POST_SCRIPT % {"body": body})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}{INTAKE}"], capture_output=True, text=True, check=True
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"wrk saw {bad.group(1)} failed intakes")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    machine = machine_info()
    key, ask_paths = prepare()
    body = intake_body(key)
    database = database_info()
    with tempfile.TemporaryDirectory(prefix="bench-consult-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        server = Server(port, args.workers, args.threads, workdir / "granian.log")
        try:
            server.wait_ready(BARE)
            for path in ask_paths[:20]:  # warm: jieba and the dictionaries in each worker
                timed_requests(port, [path])
            ask_times, answers = timed_requests(port, ask_paths[: args.samples])
            failed = [(p, s) for p, s, _b in answers if s != 200]
            if failed:
                raise RuntimeError(f"assistant answered {failed[0]}")
            intake_times = timed_posts(port, body, args.samples)
            rounds = []
            for _ in range(args.rounds):
                bare = wrk_get(port, [BARE], args.seconds, args.connections, workdir)
                ask = wrk_get(port, ask_paths, args.seconds, args.connections, workdir)
                intake = wrk_post(port, body, args.seconds, args.connections, workdir)
                rounds.append({"bare_rps": bare["rps"], "ask_rps": ask["rps"], "intake_rps": intake["rps"]})
        finally:
            server.stop()
    best = {k: max(r[k] for r in rounds) for k in rounds[0]}
    return {
        "benchmark": "consult",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine,
        "database": database,
        "workers": args.workers,
        "threads": args.threads,
        "rounds": rounds,
        "bare_rps": best["bare_rps"],
        "ask_rps": best["ask_rps"],
        "intake_rps": best["intake_rps"],
        "ask_p50_ms": percentile(ask_times, 50),
        "ask_p95_ms": percentile(ask_times, 95),
        "intake_p50_ms": percentile(intake_times, 50),
        "intake_p95_ms": percentile(intake_times, 95),
        "ask_vs_bare_ratio": best["ask_rps"] / best["bare_rps"],
        "intake_vs_bare_ratio": best["intake_rps"] / best["bare_rps"],
    }


def table(r: dict) -> str:
    db = f"{r['database']['vendor']} {r['database'].get('version', '').split(' ')[0]}".strip()
    rows = [
        "| what | req/s | p50 | p95 | against the bare view |",
        "|---|---:|---:|---:|---:|",
        f"| request intake (Open311 POST) | {r['intake_rps']:,.0f} | {r['intake_p50_ms']:.1f} ms "
        f"| {r['intake_p95_ms']:.1f} ms | {r['intake_vs_bare_ratio'] * 100:.0f} % |",
        f"| assistant answer (API) | {r['ask_rps']:,.0f} | {r['ask_p50_ms']:.1f} ms "
        f"| {r['ask_p95_ms']:.1f} ms | {r['ask_vs_bare_ratio'] * 100:.0f} % |",
        f"| bare view `/healthz` | {r['bare_rps']:,.0f} | | | 100 % |",
        "",
        f"Measured {r['date']} on {db} with {r['workers']} granian WSGI workers × {r['threads']} thread at "
        f"commit `{r['machine']['commit']}`, {r['machine']['cores']} cores; best of {len(r['rounds'])} rounds; "
        f"load average when the measurement started: {r['machine'].get('load_average_1m', '?')}.",
    ]
    return "\n".join(rows)


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading="## 咨询投诉 (bench/consult.py)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=150, help="sequential requests for p50/p95")
    parser.add_argument("--out", help="write the result as JSON here")
    parser.add_argument("--write", action="store_true", help="update bench/results and docs/performance.md")
    args = parser.parse_args()
    result = run(args)
    print(table(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if args.write:
        write(result)


if __name__ == "__main__":
    main()
