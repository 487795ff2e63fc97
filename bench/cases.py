"""Cases benchmark: submissions under load and the staff queue with a million cases (PostgreSQL).

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) and
measures it from separate client processes:

- submissions: ``wrk`` posts ``/api/v1/applications/{id}/submit`` with an ``Idempotency-Key``
  and an OIDC bearer token, each request a different complete draft prepared beforehand;
  rounds alternate with the bare ``/healthz`` view so the machine's noise shows in both;
- the staff queue page ``/staff/queue/`` (and ``GET /api/v1/staff/queue``) as a staff user with
  a verified second factor, over its filters, with the case table topped up to 1,000,000;
- the CPU of the background tasks the submissions queued (the notification fan-out and the
  SMS deliveries it makes), run afterwards by ``tongban db_worker`` as ``tongban serve``'s
  worker does — the server measured above runs no worker, so this cost is reported beside it.

Run by ``bench/run.py`` on its throwaway PostgreSQL (after the catalogue benchmark, which
loads the province-scale catalogue); also usable alone against a database holding a
catalogue: ``DATABASE_URL=postgres://… python bench/cases.py --out result.json``.
"""

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import Server, database_info, free_port, machine_info, percentile
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result, wrk_post

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "cases.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:cases:start -->"
TABLE_END = "<!-- bench:cases:end -->"
TARGETS = {"submissions_per_s": 150.0, "submit_p95_ms": 150.0, "queue_p95_ms": 100.0}
BARE = "/healthz"
# A generous upper bound of submissions per second, to prepare enough drafts for every round.
MAX_RATE = 700

SUBMIT_INIT = r"""
function init(args)
  for line in io.lines(args[1]) do
    local path, token, key = line:match("^(%S+)\t(%S+)\t(%S+)$")
    reqs[#reqs + 1] = wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = key,
      ["Content-Length"] = "0",
    })
  end
end
"""

QUEUE_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["Cookie"] = %s})
end
"""


def log(message: str) -> None:
    print(f"[cases {time.strftime('%H:%M:%S')}] {message}", flush=True)


def wrk_submit(port: int, lines: list[str], seconds: int, connections: int, workdir: Path, name: str) -> dict:
    """One closed-loop round of submissions; every request is a different draft."""
    result = wrk_post(port, SUBMIT_INIT, lines, seconds, connections, workdir, name)
    if result["other"]:
        raise RuntimeError(f"{result['other']} submissions were not 201, e.g. {result['errors']}")
    if result["exhausted"]:
        raise RuntimeError(f"ran out of drafts ({len(lines)}); raise MAX_RATE in bench/cases.py")
    return {k: result[k] for k in ("rps", "created", "p50_ms", "p95_ms", "p99_ms", "max_ms")}


def wrk_queue(
    port: int, paths: list[str], cookie: str, seconds: int, connections: int, workdir: Path
) -> float:
    script = workdir / "queue.lua"
    script.write_text(QUEUE_SCRIPT % (", ".join(json.dumps(p) for p in paths), json.dumps(cookie)))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx answers on the queue")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


class CpuMeter:
    """CPU time of the web server's processes and of the PostgreSQL cluster, from ``/proc``.

    On a shared machine wall-clock rates depend on everyone else's load; the CPU each request
    costs (web workers plus database) does much less, and ``cores / cost`` is what an otherwise
    idle machine could serve at most.
    """

    def __init__(self, server_pgid: int, postmaster: int | None):
        self.server_pgid, self.postmaster = server_pgid, postmaster
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _sample(self) -> dict[str, dict[int, int]]:
        web, db = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ppid, pgid, cpu = int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12])
            pid = int(entry.name)
            if pgid == self.server_pgid:
                web[pid] = cpu
            elif self.postmaster and (pid == self.postmaster or ppid == self.postmaster):
                db[pid] = cpu
        return {"web": web, "db": db}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        """CPU seconds used since ``start`` by the web processes and by the database."""
        after = self._sample()
        used = {}
        for part in ("web", "db"):
            ticks = sum(cpu - self.before[part].get(pid, 0) for pid, cpu in after[part].items())
            used[part] = ticks / self.ticks
        return used


def postmaster_pid() -> int | None:
    """The cluster's postmaster when it runs on this machine and its data directory is readable."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            datadir = Path(cursor.fetchone()[0])
        return int((datadir / "postmaster.pid").read_text().split()[0])
    except Exception:
        return None


def cpu_ms(used: dict[str, float], requests: int) -> dict[str, float]:
    web, db = used["web"] * 1000 / requests, used["db"] * 1000 / requests
    return {"web": round(web, 2), "db": round(db, 2), "total": round(web + db, 2)}


def worker_cost(tasks: int) -> dict[str, float]:
    """CPU per background task of the notification fan-out the submissions queued (the worker of
    ``tongban serve``: ``db_worker``), from two batch runs whose difference is ``tasks`` tasks, so
    the interpreter's start-up does not count. The worker process only: its PostgreSQL backend
    ends with it, before ``/proc`` could be read."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tongban.settings", "TONGBAN_LOG_LEVEL": "WARNING"}
    used = []
    for count in (1, tasks + 1):
        cmd = [sys.executable, "-m", "tongban", "db_worker", "--batch", "--no-startup-delay"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [*cmd, "--interval", "0", "--max-tasks", str(count)], env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"db_worker failed: {done.stderr[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"worker": round((used[1] - used[0]) * 1000 / tasks, 2)}


def latency_client(spec_file: Path, out: Path) -> None:
    """Entry point of the separate client process: one keep-alive connection, one request at a time."""
    spec = json.loads(spec_file.read_text())
    headers = spec["headers"]
    conn = http.client.HTTPConnection("127.0.0.1", spec["port"], timeout=30)
    times, answers = [], []
    try:
        for path in spec["paths"]:
            started = time.perf_counter_ns()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            total = (
                json.loads(body).get("total") if path.startswith("/api/") and response.status == 200 else None
            )
            answers.append({"path": path, "status": response.status, "total": total, "bytes": len(body)})
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", spec["port"], timeout=30)
    finally:
        conn.close()
    out.write_text(json.dumps({"times_ms": times, "answers": answers}))


def measure_latency(port: int, paths: list[str], headers: dict, workdir: Path, name: str) -> dict:
    spec, out = workdir / f"{name}.spec.json", workdir / f"{name}.json"
    spec.write_text(json.dumps({"port": port, "paths": paths, "headers": headers}))
    subprocess.run([sys.executable, __file__, "--client", str(spec), "--out", str(out)], check=True)
    data = json.loads(out.read_text())
    bad = [a for a in data["answers"] if a["status"] != 200]
    if bad:
        raise RuntimeError(f"{name}: {len(bad)} answers were not 200, e.g. {bad[:3]}")
    return data


def prepare(args: argparse.Namespace) -> dict:
    """Everything the measurements need, made in this process before the server starts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    import cases_data

    call_command("migrate", interactive=False, verbosity=0)
    db = database_info()
    generation = cases_data.ensure_cases(
        args.cases, seed=args.seed, queue_share=args.queue_share, open_share=args.open_share
    )
    departments = generation["queue_departments"]
    drafts = MAX_RATE * args.seconds * (args.rounds + 1)
    log(f"preparing {drafts:,} drafts with materials for {args.citizens} citizens")
    started = time.monotonic()
    submissions = cases_data.prepare_submissions(
        drafts, citizens=args.citizens, items=args.items, seed=args.seed, exclude_departments=departments
    )
    log(f"drafts ready in {time.monotonic() - started:.0f} s")
    user, session_key = cases_data.queue_user(departments)
    paths = cases_data.queue_paths(departments, args.seed)
    postmaster = postmaster_pid()
    connection.close()
    return {
        "database": db,
        "generation": generation,
        "submissions": [f"{s.path}\t{s.token}\t{s.key}" for s in submissions],
        "run_key": submissions[0].key.rsplit("-", 1)[0],
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
        "queue_paths": [quote_path(p) for p in paths],
        "queue_user": user.pk,
        "postmaster": postmaster,
    }


def quote_path(path: str) -> str:
    parts = urlsplit(path)
    return urlunsplit(("", "", parts.path, quote(parts.query, safe="=&"), ""))


def counts(run_key: str, departments: list[int]) -> dict:
    from django.db import connection

    from tongban.cases.models import Case

    result = {
        "cases_in_db": Case.objects.count(),
        "open_cases_in_db": Case.objects.filter(status__in=Case.OPEN_STATUSES).count(),
        "cases_in_queue_departments": Case.objects.filter(department_id__in=departments).count(),
        "submitted_in_run": Case.objects.filter(idempotency_key__startswith=run_key + "-").count(),
        "departments_with_cases": Case.objects.values("department_id").distinct().count(),
    }
    connection.close()
    return result


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    load_average = os.getloadavg()[0]
    prep = prepare(args)
    departments = prep["generation"]["queue_departments"]
    per_round = MAX_RATE * args.seconds
    slices = [prep["submissions"][i * per_round : (i + 1) * per_round] for i in range(args.rounds + 1)]
    queue_paths = prep["queue_paths"]
    rng = random.Random(args.seed)
    page_paths, api_paths = [], []
    for _ in range(args.queue_passes):
        shuffled = queue_paths[:]
        rng.shuffle(shuffled)
        page_paths += shuffled
        api_paths += [p.replace("/staff/queue/", "/api/v1/staff/queue", 1) for p in shuffled]
    headers = {"Cookie": prep["cookie"]}
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tongban-bench-cases-") as tmp:
        workdir = Path(tmp)
        server = Server(port, args.workers, args.threads, workdir / "granian.log")
        try:
            server.wait_ready(BARE)
            log("warming up")
            wrk_get(port, [BARE], 2, 4, workdir)
            wrk_queue(port, queue_paths, prep["cookie"], 2, 2, workdir)
            wrk_submit(port, slices[0], 2, args.connections, workdir, "warm")
            meter = CpuMeter(server.proc.pid, prep["postmaster"])
            bare_rps, bare_cpu, submit_rounds = [], [], []
            for n in range(args.rounds):
                meter.start()
                bare = wrk_get(port, [BARE], args.seconds, args.connections, workdir)
                bare["cpu_ms"] = cpu_ms(meter.stop(), max(1, round(bare["rps"] * args.seconds)))
                bare_rps.append(bare["rps"])
                bare_cpu.append(bare["cpu_ms"])
                meter.start()
                submit = wrk_submit(port, slices[n + 1], args.seconds, args.connections, workdir, f"round{n}")
                submit["cpu_ms"] = cpu_ms(meter.stop(), max(1, submit["created"]))
                submit_rounds.append(submit)
                log(
                    f"round {n + 1}: bare {bare_rps[-1]:,.0f} req/s, submit {submit_rounds[-1]['rps']:,.0f}/s"
                )
            log("queue latency")
            queue = measure_latency(port, page_paths, headers, workdir, "queue")
            queue_api = measure_latency(port, api_paths, headers, workdir, "queue-api")
            meter.start()
            queue_rps = wrk_queue(port, queue_paths, prep["cookie"], args.seconds, args.connections, workdir)
            queue_cpu = cpu_ms(meter.stop(), max(1, round(queue_rps * args.seconds)))
            log("background tasks the submissions queued")
            task_cpu = worker_cost(args.worker_tasks)
        except Exception:
            server.stop()
            print((workdir / "granian.log").read_text()[-6000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    totals = counts(prep["run_key"], departments)
    created = sum(r["created"] for r in submit_rounds)
    if totals["submitted_in_run"] < created:
        raise RuntimeError(f"wrk saw {created} answers 201 but only {totals['submitted_in_run']} cases exist")
    first_api = next(a for a in queue_api["answers"] if a["path"] == "/api/v1/staff/queue")
    median_round = sorted(submit_rounds, key=lambda r: r["rps"])[len(submit_rounds) // 2]
    bare = statistics.median(bare_rps)
    q_times, api_times = queue["times_ms"], queue_api["times_ms"]
    return {
        "database": prep["database"],
        "load_average": round(load_average, 2),
        "cases_in_db": totals["cases_in_db"],
        "open_cases_in_db": totals["open_cases_in_db"],
        "departments_with_cases": totals["departments_with_cases"],
        "queue_departments": departments,
        "cases_in_queue_departments": totals["cases_in_queue_departments"],
        "queue_tasks": first_api["total"],
        "submissions_per_s": round(statistics.median(r["rps"] for r in submit_rounds), 1),
        "submit_p50_ms": round(statistics.median(r["p50_ms"] for r in submit_rounds), 2),
        "submit_p95_ms": round(statistics.median(r["p95_ms"] for r in submit_rounds), 2),
        "submit_p99_ms": round(median_round["p99_ms"], 2),
        "submissions_measured": created,
        "bare_rps": round(bare, 1),
        "submit_vs_bare_ratio": round(statistics.median(r["rps"] for r in submit_rounds) / bare, 4),
        "queue_p50_ms": round(percentile(q_times, 50), 2),
        "queue_p95_ms": round(percentile(q_times, 95), 2),
        "queue_max_ms": round(max(q_times), 2),
        "queue_requests": len(q_times),
        "queue_api_p50_ms": round(percentile(api_times, 50), 2),
        "queue_api_p95_ms": round(percentile(api_times, 95), 2),
        "queue_rps": round(queue_rps, 1),
        "queue_vs_bare_ratio": round(queue_rps / bare, 4),
        "cpu_ms_per_request": {
            "submit": _median_cpu([r["cpu_ms"] for r in submit_rounds]),
            "bare": _median_cpu(bare_cpu),
            "queue_page": queue_cpu,
        },
        "cpu_ms_per_background_task": task_cpu,
        "queue_paths": queue_paths,
        "rounds": {"bare_rps": bare_rps, "submit": submit_rounds},
        "generation": prep["generation"],
        "method": {
            "server": f"granian WSGI, {args.workers} workers, --blocking-threads {args.threads}",
            "submit_client": (
                f"wrk -t1 -c{args.connections}, {args.rounds}×{args.seconds} s alternating with {BARE}; "
                "bearer tokens, one draft per request, Idempotency-Key"
            ),
            "queue_client": "one persistent connection, sequential requests (separate process), verified staff session",
        },
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _median_cpu(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(x[k] for x in samples), 2) for k in ("web", "db", "total")}


def idle_estimate(result: dict) -> dict[str, float]:
    """Requests per second the machine's cores could serve at most if nothing else ran."""
    cores = result["machine"]["cores"] or 1
    cpu = result["cpu_ms_per_request"]
    return {k: round(cores * 1000 / v["total"], 1) for k, v in cpu.items() if v["total"] > 0}


def verdict(result: dict) -> dict[str, bool]:
    return {
        "submissions_per_s": result["submissions_per_s"] >= TARGETS["submissions_per_s"],
        "submit_p95_ms": result["submit_p95_ms"] <= TARGETS["submit_p95_ms"],
        "queue_p95_ms": result["queue_p95_ms"] <= TARGETS["queue_p95_ms"],
    }


def table(result: dict) -> str:
    ok = result["meets_targets"]

    def mark(key: str) -> str:
        return "✓" if ok[key] else "✗"

    r = result
    cpu, idle = r["cpu_ms_per_request"], r["idle_estimate_rps"]

    def cost(key: str) -> str:
        c = cpu[key]
        return f"{c['total']:.1f} ms ({c['web']:.1f} web + {c['db']:.1f} db) | {idle.get(key, 0):,.0f}/s"

    rows = [
        "| what | p50 | p95 | throughput | relative to bare | CPU per request | cores ÷ CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| submit (`POST …/submit`, {r['submissions_measured']:,} cases) | {r['submit_p50_ms']:.1f} ms "
        f"| {r['submit_p95_ms']:.1f} ms {mark('submit_p95_ms')} (≤ 150) "
        f"| {r['submissions_per_s']:,.0f}/s {mark('submissions_per_s')} (≥ 150) "
        f"| {r['submit_vs_bare_ratio'] * 100:.2f} % | {cost('submit')} |",
        f"| queue page (`/staff/queue/`, {r['queue_tasks']:,} tasks) | {r['queue_p50_ms']:.1f} ms "
        f"| {r['queue_p95_ms']:.1f} ms {mark('queue_p95_ms')} (≤ 100) | {r['queue_rps']:,.0f} req/s "
        f"| {r['queue_vs_bare_ratio'] * 100:.2f} % | {cost('queue_page')} |",
        f"| queue API (`/api/v1/staff/queue`) | {r['queue_api_p50_ms']:.1f} ms | {r['queue_api_p95_ms']:.1f} ms "
        "| | | | |",
        f"| bare `/healthz`, same server and run | | | {r['bare_rps']:,.0f} req/s | 100 % | {cost('bare')} |",
    ]
    task = r.get("cpu_ms_per_background_task")
    if task:
        rows.append(
            "| background task of the fan-out (`db_worker`, per task) | | | | "
            f"| {task['worker']:.1f} ms (worker; its database part not measured) | |"
        )
    machine = r["machine"]
    load = (
        f"; load average at the start: {r['load_average']:.1f}" if r.get("load_average") is not None else ""
    )
    rows.append("")
    rows.append(
        f"{r['cases_in_db']:,} cases in the database ({r['open_cases_in_db']:,} open, "
        f"{r['departments_with_cases']:,} departments); the queue user's two departments hold "
        f"{r['cases_in_queue_departments']:,}. PostgreSQL {r['database'].get('version', '').split(' ')[0]}. "
        f"Measured {r['date']} at commit `{machine['commit']}` on {machine['cores']} cores "
        f"({machine['cpu'] or 'unknown CPU'}), {machine['memory_gib']} GiB; Python {machine['python']}, "
        f"Django {machine['django']}, granian {machine['granian']}{load}. “cores ÷ CPU” is the most an "
        "otherwise idle machine could serve: cores divided by the CPU time (web workers plus "
        "PostgreSQL) each request cost in this run."
    )
    return "\n".join(rows)


def write(result: dict) -> None:
    """``bench/results/cases.json`` and the table in ``docs/performance.md``."""
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="write the result as JSON here (default: stdout)")
    p.add_argument(
        "--write", action="store_true", help="also write bench/results/cases.json and the docs table"
    )
    p.add_argument("--cases", type=int, default=1_000_000, help="top the case table up to this many")
    p.add_argument("--open-share", type=float, default=0.05, help="share of generated cases still open")
    p.add_argument(
        "--queue-share", type=float, default=0.02, help="share going to the queue user's departments"
    )
    p.add_argument("--seconds", type=int, default=10, help="duration of one wrk round")
    p.add_argument("--rounds", type=int, default=3, help="alternating submit/bare rounds")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--citizens", type=int, default=300, help="applicants with tokens for the submit load")
    p.add_argument("--items", type=int, default=40, help="items (each of another department) to apply for")
    p.add_argument("--queue-passes", type=int, default=15, help="passes over the queue URLs")
    p.add_argument("--worker-tasks", type=int, default=300, help="background tasks run to measure their CPU")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> dict | None:
    args = parser().parse_args(argv)
    if args.client:
        latency_client(args.client, args.out)
        return None
    result = run(args)
    result["idle_estimate_rps"] = idle_estimate(result)
    result["targets"] = TARGETS
    result["meets_targets"] = verdict(result)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    print(table(result))
    if args.write:
        write(result)
    missed = [k for k, ok in result["meets_targets"].items() if not ok]
    if missed:
        log("targets missed: " + ", ".join(missed))
    return result


if __name__ == "__main__":
    main()
