"""Catalogue benchmark against the database that the environment names.

Serves the app exactly as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread)
on a free port and measures it from separate client processes:

- latency: a Python client on one persistent connection, one request at a time, so that the
  figures are the server's own time per request (search API over everyday queries, guide pages
  of random published items);
- throughput: ``wrk`` cycling through the search page for those queries, then a bare Django
  view (``/healthz``) served the same way, alternating rounds in the same run.

Run by ``bench/run.py`` (which prepares SQLite and a throwaway PostgreSQL); also usable alone:
``DATABASE_URL=... python bench/catalog.py --out result.json``.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent

# What people type: service names, colloquial phrasings, pinyin, a typo, short and long.
QUERIES = [
    "开饭店要办什么证",
    "身份证丢了",
    "shenfenzheng",
    "身分证补办",
    "营业执照",
    "yingyezhizhao",
    "社保卡补办",
    "结婚登记",
    "离婚",
    "出生医学证明",
    "新生儿落户",
    "户口迁移",
    "护照",
    "港澳通行证",
    "驾驶证到期换证",
    "机动车检验",
    "公积金提取",
    "公积金贷款",
    "养老保险",
    "领失业金",
    "医保报销",
    "生育津贴",
    "退休",
    "居住证",
    "无犯罪记录证明",
    "不动产登记",
    "房产证",
    "施工许可",
    "食品经营许可",
    "药店",
    "卫生许可证",
    "道路运输",
    "发票",
    "个体户注册",
    "公司注销",
    "教师资格",
    "残疾证",
    "低保",
    "生孩子",
    "死亡证明",
    "烟草专卖零售许可",
    "消防验收",
    "排污许可",
    "占道挖掘",
    "户外广告",
    "律师执业",
    "公证",
    "人才引进",
    "就业登记",
    "捕捞许可",
    "取水许可",
    "林木采伐",
]

SEARCH_API = "/api/v1/search?q={q}"
SEARCH_PAGE = "/search/?q={q}"
GUIDE_PAGE = "/items/{code}/"
BARE = "/healthz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``pct`` % of values at or below."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def sample_items(count: int, seed: int) -> tuple[int, int, list[str]]:
    """(all items, published items, ``count`` random published codes) from the database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection

    from tongban.catalog.models import ServiceItem
    from tongban.web import pagecache

    total = ServiceItem.objects.count()
    codes = list(ServiceItem.objects.published().order_by("pk").values_list("code", flat=True))
    # Rendered pages kept by an earlier run on the same database (--reuse) would make the guide
    # pages look warm: every run starts with an empty shared cache and page cache.
    caches["default"].clear()
    pagecache.clear()
    connection.close()
    chosen = random.Random(seed).sample(codes, min(count, len(codes)))
    return total, len(codes), chosen


class Server:
    """granian serving tongban.wsgi the way ``tongban serve`` does, in its own process group."""

    def __init__(
        self, port: int, workers: int, threads: int, log: Path, target: str = "tongban.wsgi:application"
    ):
        self.port = port
        self.log = log
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tongban.settings", "TONGBAN_LOG_LEVEL": "WARNING"}
        env.pop("TONGBAN_DEBUG", None)
        cmd = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--no-ws",
            target,
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, process_group=0
        )

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"granian exited: {self.log.read_text()[-2000:]}")
            try:
                status, _ = fetch(self.port, path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready after {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def timed_requests(port: int, paths: list[str]) -> tuple[list[float], list[tuple[str, int, bytes]]]:
    """Request ``paths`` one after another on one keep-alive connection; times in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, answers = [], []
    try:
        for path in paths:
            started = time.perf_counter_ns()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            answers.append((path, response.status, body))
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    finally:
        conn.close()
    return times, answers


def latency_client(port: int, paths: list[str], out: Path) -> None:
    """Entry point of the separate client process: writes times and statuses to ``out``."""
    times, answers = timed_requests(port, paths)
    summary = []
    for path, status, body in answers:
        total = None
        if status == 200 and path.startswith("/api/"):
            total = json.loads(body).get("total")
        summary.append({"path": path, "status": status, "total": total})
    out.write_text(json.dumps({"times_ms": times, "answers": summary}))


def measure_latency(port: int, paths: list[str], workdir: Path, name: str) -> dict:
    out, path_file = workdir / f"{name}.json", workdir / f"{name}.paths"
    path_file.write_text("\n".join(paths))
    client = [sys.executable, __file__, "--client", str(port), "--paths", str(path_file), "--out", str(out)]
    subprocess.run(client, check=True)
    data = json.loads(out.read_text())
    bad = [a for a in data["answers"] if a["status"] != 200]
    if bad:
        raise RuntimeError(f"{name}: {len(bad)} responses were not 200, e.g. {bad[:3]}")
    return data


WRK_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def wrk(port: int, paths: list[str], seconds: int, connections: int, workdir: Path) -> dict:
    """Requests per second from wrk cycling through ``paths``; refuses non-2xx answers."""
    script = workdir / f"wrk-{abs(hash(tuple(paths)))}.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad and int(bad.group(1)):
        status, body = fetch(port, paths[0])
        raise RuntimeError(
            f"wrk saw {bad.group(1)} non-2xx answers; {paths[0]} answers {status}: {body[:300]!r}"
        )
    return {"rps": rps, "socket_errors": errors.group(1) if errors else None}


def machine_info() -> dict:
    import platform
    import sqlite3

    import django
    import granian

    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.*)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else ""
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "granian": granian.__version__,
        "sqlite": sqlite3.sqlite_version,
        "commit": commit.stdout.strip(),
        # Other work on the machine skews every figure: recorded so that a reader can tell.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def database_info() -> dict:
    from django.db import connection

    info = {"vendor": connection.vendor}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["version"] = cursor.fetchone()[0]
    else:
        import sqlite3

        info["version"] = sqlite3.sqlite_version
    connection.close()
    return info


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    machine = machine_info()
    items, published, codes = sample_items(args.guides, args.seed)
    if not codes:
        raise SystemExit("数据库中没有已发布的事项：先运行 tongban demo --scale province")
    db = database_info()
    rng = random.Random(args.seed)
    search_paths = []
    for _ in range(args.search_rounds):
        round_queries = QUERIES[:]
        rng.shuffle(round_queries)
        search_paths += [args.search_api.format(q=quote(q)) for q in round_queries]
    guide_paths = [args.guide_page.format(code=quote(code)) for code in codes]
    page_paths = [args.search_page.format(q=quote(q)) for q in QUERIES]

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        workdir = Path(tmp)
        server = Server(port, args.workers, args.threads, workdir / "granian.log")
        try:
            server.wait_ready(args.bare)
            # Warm every worker: imports, jieba's dictionary, templates, connections.
            for path in [args.bare, *page_paths[:5], search_paths[0], guide_paths[0]]:
                wrk(port, [path], 2, 4, workdir)
            search = measure_latency(port, search_paths, workdir, "search")
            guide = measure_latency(port, guide_paths, workdir, "guide")
            search_rps, bare_rps = [], []
            for _ in range(args.rounds):
                bare_rps.append(wrk(port, [args.bare], args.seconds, args.connections, workdir)["rps"])
                search_rps.append(wrk(port, page_paths, args.seconds, args.connections, workdir)["rps"])
        finally:
            server.stop()

    totals = [a["total"] for a in search["answers"][: len(QUERIES)]]
    s_times, g_times = search["times_ms"], guide["times_ms"]
    result = {
        "database": db,
        "items": items,
        "published_items": published,
        "search_p50_ms": round(percentile(s_times, 50), 2),
        "search_p95_ms": round(percentile(s_times, 95), 2),
        "search_max_ms": round(max(s_times), 2),
        "search_requests": len(s_times),
        "search_queries": len(QUERIES),
        "search_queries_without_results": sum(1 for t in totals if not t),
        "guide_p50_ms": round(percentile(g_times, 50), 2),
        "guide_p95_ms": round(percentile(g_times, 95), 2),
        "guide_max_ms": round(max(g_times), 2),
        "guide_requests": len(g_times),
        "search_rps": round(statistics.median(search_rps), 1),
        "bare_rps": round(statistics.median(bare_rps), 1),
        "search_vs_bare_ratio": round(statistics.median(search_rps) / statistics.median(bare_rps), 3),
        "rounds": {"search_rps": search_rps, "bare_rps": bare_rps},
        "method": {
            "server": f"granian WSGI, {args.workers} workers, --blocking-threads {args.threads}",
            "latency_client": "one persistent connection, sequential requests (separate process)",
            "throughput_client": f"wrk -t1 -c{args.connections}, {args.rounds}×{args.seconds} s alternating",
        },
        "machine": machine,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the result as JSON here (default: stdout)")
    parser.add_argument("--guides", type=int, default=500, help="random published items to open")
    parser.add_argument("--search-rounds", type=int, default=10, help="passes over the query list")
    parser.add_argument("--seconds", type=int, default=10, help="duration of one wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating wrk rounds per URL set")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--search-api", default=SEARCH_API, help="URL template of the search API")
    parser.add_argument("--search-page", default=SEARCH_PAGE, help="URL template of the search page")
    parser.add_argument("--guide-page", default=GUIDE_PAGE, help="URL template of the guide page")
    parser.add_argument("--bare", default=BARE, help="URL of the bare view")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--paths", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        latency_client(args.client, args.paths.read_text().splitlines(), args.out)
        return
    result = run(args)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
