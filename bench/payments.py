"""统一支付 benchmark: provider payment callbacks processed per second, with p95.

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) against
whatever ``DATABASE_URL`` names (PostgreSQL in ``make bench``) and posts Alipay asynchronous
notifications (``POST /payments/notify/alipay/``), each signed with the sandbox provider's key
for its own order, so every request is a real first credit: the SDK's RSA2 verification, the
replay checks, the order row lock, the callback log, the case-less order credited, the audit
append. The bare ``/healthz`` view in the same run is the baseline they are compared with.

p95 comes from sequential callbacks on one keep-alive connection (wrk reports no p95); the
rate from wrk cycling through fresh callbacks (a repeat would be absorbed as a duplicate: the
run counts credits and duplicates from the database afterwards).
``python bench/payments.py --out result.json [--write]``.
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

from catalog import Server, database_info, free_port, machine_info, percentile
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "payments.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:payments:start -->"
TABLE_END = "<!-- bench:payments:end -->"
BARE = "/healthz"
NOTIFY = "/payments/notify/alipay/"

WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%(file)s") do bodies[#bodies + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/x-www-form-urlencoded"}, bodies[((n - 1) %% #bodies) + 1])
end
"""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare(count: int, sandbox_dir: Path) -> list[str]:
    """``count`` orders waiting for Alipay and one signed notification for each."""
    setup_django()
    import datetime as dt
    import secrets

    from django.db import connection
    from django.utils import timezone

    from tongban.catalog.models import ServiceItem
    from tongban.identity.models import User
    from tongban.payments import conf, sandbox
    from tongban.payments.models import PaymentOrder

    conf.ensure_sandbox_keys(sandbox_dir)
    provider = sandbox.Sandbox(sandbox_dir, deliver=False)
    item = ServiceItem.objects.published().order_by("pk").first()
    payer = User.objects.filter(kind="citizen").order_by("pk").first()
    if item is None or payer is None:
        raise SystemExit("数据库中没有事项或个人账号：先运行 tongban demo")
    now = timezone.now()
    run = secrets.token_hex(3).upper()
    orders = [
        PaymentOrder(
            number=f"JKB{run}{n:08d}",
            payment_code=f"{n:08d}{secrets.randbelow(10**12):012d}",
            item=item,
            department_id=item.department_id,
            payer=payer,
            payer_name="压测",
            subject="压测缴费",
            lines=[{"name": "工本费", "standard": "20 元", "basis": "压测", "amount": "20"}],
            amount=20,
            status=PaymentOrder.Status.PAYING,
            channel="alipay",
            expires_at=now + dt.timedelta(days=7),
        )
        for n in range(count)
    ]
    PaymentOrder.objects.bulk_create(orders, batch_size=1000)
    bodies = []
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    for order in orders:
        form = {
            "notify_time": stamp,
            "notify_type": "trade_status_sync",
            "notify_id": "bench-" + order.number,
            "app_id": provider.ids["alipay_app_id"],
            "trade_no": "2026BENCH" + order.number,
            "out_trade_no": order.number,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "20.00",
            "gmt_payment": stamp,
        }
        form["sign"] = provider.alipay._sign("&".join(f"{k}={v}" for k, v in sorted(form.items())))
        form["sign_type"] = "RSA2"
        bodies.append(urllib.parse.urlencode(form))
    connection.close()
    return bodies


def timed_posts(port: int, bodies: list[str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    times = []
    try:
        for body in bodies:
            started = time.perf_counter_ns()
            conn.request("POST", NOTIFY, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            times.append((time.perf_counter_ns() - started) / 1e6)
            if response.status != 200 or content != b"success":
                raise RuntimeError(f"callback answered {response.status}: {content[:300]!r}")
    finally:
        conn.close()
    return times


def wrk_post(port: int, bodies: list[str], seconds: int, connections: int, workdir: Path) -> dict:
    data = workdir / "callbacks.txt"
    data.write_text("\n".join(bodies) + "\n")
    script = workdir / "callbacks.lua"
    script.write_text(WRK_SCRIPT % {"file": data, "path": NOTIFY})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"wrk saw {bad.group(1)} refused callbacks")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}


def outcomes() -> dict:
    from django.db import connection
    from django.db.models import Count

    from tongban.payments.models import Callback

    counts = {
        row["outcome"]: row["n"]
        for row in Callback.objects.filter(notify_id__startswith="bench-")
        .values("outcome")
        .annotate(n=Count("id"))
    }
    connection.close()
    return counts


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-payments-") as tmp:
        workdir = Path(tmp)
        sandbox_dir = workdir / "sandbox"
        os.environ["TONGBAN_PAYMENTS_SANDBOX_DIR"] = str(sandbox_dir)  # the server reads the same keys
        latency_bodies = prepare(args.latency, sandbox_dir)
        rate_bodies = prepare(args.orders, sandbox_dir)
        database = database_info()
        port = free_port()
        server = Server(port, args.workers, args.threads, workdir / "granian.log")
        try:
            server.wait_ready(BARE)
            timed_posts(port, latency_bodies[:20])  # warm both workers
            times = timed_posts(port, latency_bodies[20:])
            bare = wrk_get(port, [BARE], args.seconds, args.connections, workdir)
            callbacks = wrk_post(port, rate_bodies, args.seconds, args.connections, workdir)
        finally:
            server.stop()
    counts = outcomes()
    return {
        "machine": machine,
        "database": database,
        "workers": args.workers,
        "threads": args.threads,
        "seconds": args.seconds,
        "connections": args.connections,
        "bare_rps": bare["rps"],
        "callbacks_rps": callbacks["rps"],
        "callbacks_vs_bare_ratio": round(callbacks["rps"] / bare["rps"], 3) if bare["rps"] else None,
        "callback_p50_ms": round(percentile(times, 50), 2),
        "callback_p95_ms": round(percentile(times, 95), 2),
        "outcomes": counts,
        "note": "rate requests beyond the prepared orders are duplicates (absorbed); see outcomes",
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            "| measure | value |",
            "|---|---|",
            f"| database | {result['database'].get('vendor', '')} |",
            f"| bare view (req/s) | {result['bare_rps']:.0f} |",
            f"| payment callbacks (req/s) | {result['callbacks_rps']:.0f} |",
            f"| callbacks / bare view | {result['callbacks_vs_bare_ratio']} |",
            f"| callback p50 / p95 (ms) | {result['callback_p50_ms']} / {result['callback_p95_ms']} |",
            f"| callback outcomes | {json.dumps(result['outcomes'], ensure_ascii=False)} |",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading="## 统一支付 (bench/payments.py)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--write", action="store_true", help="write bench/results and docs/performance.md")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--orders", type=int, default=6000)
    parser.add_argument("--latency", type=int, default=320)
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if args.write:
        write(result)


if __name__ == "__main__":
    main()
