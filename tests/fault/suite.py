"""The fault suite: a province deployment on 127.0.0.1 under a stream of submissions, and faults.

Run by ``.ci/run`` after the PostgreSQL tests (``python tests/fault/suite.py``); about three
minutes. It builds (``tests/fault/deployment.py``): a PostgreSQL primary, a streaming replica
(``pg_basebackup -R``), PgBouncer in transaction mode, two web nodes and two worker nodes
(``tongban serve --no-worker`` / ``--no-web``, each its own var directory, uploads in one shared
directory) and a round-robin load balancer. It makes six published items (the test factories)
and prepares complete drafts with
bearer tokens, and while clients submit them through the balancer (each with an
``Idempotency-Key``, retried with the same key until acknowledged, as a careful client does) and
a reader browses the public catalogue, it:

1. kills a web worker process with ``kill -9`` (granian respawns it);
2. kills a task worker with ``kill -9`` (``tongban serve`` restarts it);
3. restarts PostgreSQL four times: fast, immediate, fast, immediate;
4. kills one web node of two (its whole process group) behind the balancer;
5. stops the replica: catalogue reads fail over to the primary.

Then it waits for the task queue to drain and counts: submissions acknowledged = cases stored,
no duplicates; every notification of every case (the inbox message and an SMS for the
``submitted`` event) made once and sent once; the seconds until the site answered again after
each fault (a catalogue read and an acknowledged submission, through the balancer). Exits
non-zero when a count is wrong or a recovery took more than 10 s. ``--write`` puts the figures
into ``docs/reliability.md`` and ``bench/results/faults.json``.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import ROOT, Balancer, Node, PgBouncer, Postgres

DOC = ROOT / "docs" / "reliability.md"
RESULTS = ROOT / "bench" / "results" / "faults.json"
START, END = "<!-- faults:start -->", "<!-- faults:end -->"
RECOVERY_LIMIT_S = 10.0
SMS_BODY = "【通办】您申请的“{{ item }}”已提交，办件编号 {{ number }}。"

PREPARE = r"""
import sys
import django
django.setup()
sys.path[:0] = [sys.argv[3], sys.argv[5]]
import cases_data
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, region_chain
from tongban.catalog.models import MaterialRequirement
from tongban.notifications.models import MessageTemplate
MessageTemplate.objects.update_or_create(
    event="submitted", channel="sms", defaults={"subject": "", "body": sys.argv[4], "is_active": True}
)
# Six counties: case numbers are counted per region and day, so submissions do not all queue
# for one counter row.
for code in ("511602", "511603", "511621", "511622", "511623", "511681"):
    department = DepartmentFactory(region=region_chain(code))
    item = PublishedItemFactory(
        department=department, case_kind="2", promised_limit=20, for_person=True, for_enterprise=False
    )
    MaterialRequirementFactory(item=item, necessity=MaterialRequirement.Necessity.REQUIRED)
subs = cases_data.prepare_submissions(int(sys.argv[1]), citizens=60, items=6, seed=7, exclude_departments=[])
with open(sys.argv[2], "w") as fh:
    for s in subs:
        fh.write(f"{s.path}\t{s.token}\t{s.key}\n")
"""


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Load:
    """Clients submitting through the balancer, a catalogue reader and a prober, all threads."""

    def __init__(
        self, port: int, drafts: list[tuple[str, str, str]], clients: int, items: list[str], pause: float
    ) -> None:
        self.port, self.items = port, items
        self.todo = list(drafts)
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[str, float]] = {}  # key -> (case number, time)
        self.tried: dict[str, tuple[str, str, str]] = {}  # key -> draft, once sent
        self.attempts = 0
        self.errors: dict[str, int] = {}
        self.probes: list[tuple[float, float, bool]] = []  # (sent, answered, ok)
        self.reads = {"ok": 0, "failed": 0}
        self.stop = threading.Event()
        self.pause = pause
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(clients)]
        self.threads.append(threading.Thread(target=self.prober, daemon=True))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def request(self, method: str, path: str, headers: dict, timeout: float = 15.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            return 0, type(exc).__name__.encode()
        finally:
            conn.close()

    def submit(self, draft: tuple[str, str, str]) -> bool:
        path, token, key = draft
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Length": "0"}
        with self.lock:
            self.tried[key] = draft
        status, body = self.request("POST", path, headers)
        with self.lock:
            self.attempts += 1
            if status == 201:
                self.acked[key] = (json.loads(body)["number"], time.monotonic())
                return True
            label = str(status) if status else body.decode()
            self.errors[label] = self.errors.get(label, 0) + 1
        return False

    def next_draft(self) -> tuple[str, str, str] | None:
        with self.lock:
            return self.todo.pop(0) if self.todo else None

    def client(self) -> None:
        while not self.stop.is_set():
            draft = self.next_draft()
            if draft is None:
                return
            if not self.submit(draft):
                with self.lock:
                    self.todo.append(draft)  # retried later with the same key
                time.sleep(0.2)
            # A stream, not a flood: queues of waiting requests would be measured as outages.
            time.sleep(self.pause)

    def prober(self) -> None:
        rng = random.Random(3)
        while not self.stop.is_set():
            code = rng.choice(self.items)
            sent = time.monotonic()
            status, _ = self.request("GET", f"/api/v1/items/{code}", {}, timeout=10)
            ok = status == 200
            self.probes.append((sent, time.monotonic(), ok))
            self.reads["ok" if ok else "failed"] += 1
            time.sleep(0.1)

    def finish(self, deadline_s: float) -> None:
        """Stop the stream, then retry what is not yet acknowledged until it is (or time is up)."""
        self.stop.set()
        for thread in self.threads:
            thread.join(20)
        deadline = time.monotonic() + deadline_s
        pending = [d for key, d in self.tried.items() if key not in self.acked]
        self.unsent = 0
        while pending and time.monotonic() < deadline:
            pending = [d for d in pending if not self.submit(d)]
        self.unsent = len(pending)

    def recovery(self, started: float, ended: float, *, needs_write: bool = True) -> float | None:
        """Seconds from the fault until a read answered and a submission was acknowledged after it."""
        read = next((answered for sent, answered, ok in self.probes if ok and sent >= ended), None)
        if read is None:
            return None
        if not needs_write:
            return read - started
        with self.lock:
            writes = [at for _, at in self.acked.values() if at >= ended]
        return (max(read, min(writes)) - started) if writes else None

    def first_read_sent(self, started: float, ended: float) -> float | None:
        """Seconds from the fault until the sending of the first read after it that succeeded:
        with the answer time above, tells an outage from slow answers on a busy machine."""
        sent = next((sent for sent, _, ok in self.probes if ok and sent >= ended), None)
        return None if sent is None else round(sent - started, 2)


def wait_for(predicate, timeout: float, step: float = 0.1) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(step)
    return None


def prepare(workdir: Path, primary: Postgres, env: dict[str, str], drafts: int) -> tuple[list, list[str]]:
    direct = {**env, "DATABASE_URL": primary.url}
    tongban = [sys.executable, "-m", "tongban"]
    started = time.monotonic()
    subprocess.run([*tongban, "migrate", "--noinput", "-v0"], env=direct, check=True, cwd=workdir)
    subprocess.run([*tongban, "createcachetable"], env=direct, check=True, cwd=workdir)
    out = workdir / "drafts.tsv"
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(drafts), str(out), str(ROOT / "bench"), SMS_BODY, str(ROOT)],
        env=direct,
        check=True,
        cwd=workdir,
    )
    log(f"migrated, {drafts} drafts prepared in {time.monotonic() - started:.0f} s")
    lines = [tuple(line.split("\t")) for line in out.read_text().splitlines()]
    items = [
        r[0]
        for r in primary.query("SELECT code FROM catalog_serviceitem WHERE status = 'published' LIMIT 50")
    ]
    return lines, items


def replica_reads(replica: Postgres) -> int:
    return replica.query(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'tongban'"
    )[0][0]


def drain(primary: Postgres, timeout: float) -> float | None:
    def empty() -> bool:
        try:
            waiting = primary.query(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
            )[0][0]
            pending = primary.query("SELECT count(*) FROM notifications_delivery WHERE status = 'pending'")[
                0
            ][0]
        except Exception:  # the database may be restarting: ask again
            return False
        return waiting == 0 and pending == 0

    return wait_for(empty, timeout, step=1.0)


def count(primary: Postgres, load: Load, run: str, outbox: Path) -> dict:
    rows = primary.query(
        "SELECT idempotency_key, number, application_id FROM cases_case WHERE idempotency_key LIKE %s",
        (f"{run}-%",),
    )
    stored = {key: number for key, number, _ in rows}
    by_application = len({app for _, _, app in rows})
    acked = {key: number for key, (number, _) in load.acked.items()}
    numbers = list(stored.values())
    inbox = dict(
        primary.query(
            "SELECT case_number, count(*) FROM notifications_notification "
            "WHERE event = 'submitted' AND case_number = ANY(%s) GROUP BY case_number",
            (numbers,),
        )
    )
    sms_rows = primary.query(
        "SELECT body, status FROM notifications_delivery WHERE event = 'submitted' AND channel = 'sms'"
    )
    number_re = re.compile(r"办件编号 (\S+?)。")
    sms_made: dict[str, int] = {}
    sms_sent: dict[str, int] = {}
    for body, status in sms_rows:
        match = number_re.search(body)
        if match:
            sms_made[match[1]] = sms_made.get(match[1], 0) + 1
            if status == "sent":
                sms_sent[match[1]] = sms_sent.get(match[1], 0) + 1
    sent_out: dict[str, int] = {}
    if (outbox / "sms.jsonl").exists():
        for line in (outbox / "sms.jsonl").read_text().splitlines():
            match = number_re.search(json.loads(line)["content"])
            if match:
                sent_out[match[1]] = sent_out.get(match[1], 0) + 1
    tasks = dict(
        primary.query("SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status")
    )
    return {
        "acknowledged": len(acked),
        "stored": len(stored),
        "acknowledged_not_stored": len(set(acked) - set(stored)),
        "acknowledged_number_mismatch": sum(1 for k, n in acked.items() if stored.get(k) not in (None, n)),
        "stored_not_acknowledged": len(set(stored) - set(acked)),
        "duplicated": len(rows) - len(stored) + (len(rows) - by_application),
        "never_acknowledged": load.unsent,
        "submit_attempts": load.attempts,
        "submit_errors": load.errors,
        "inbox_exactly_once": sum(1 for n in numbers if inbox.get(n) == 1),
        "inbox_missing": sum(1 for n in numbers if n not in inbox),
        "inbox_duplicated": sum(1 for n in numbers if inbox.get(n, 0) > 1),
        "sms_exactly_once": sum(1 for n in numbers if sms_made.get(n) == 1 and sms_sent.get(n) == 1),
        "sms_missing": sum(1 for n in numbers if not sms_sent.get(n)),
        "sms_duplicated": sum(1 for n in numbers if sms_made.get(n, 0) > 1),
        "sms_sent_to_gateway_twice": sum(1 for n in numbers if sent_out.get(n, 0) > 1),
        "tasks": tasks,
        "catalogue_reads": load.reads,
    }


def database_waits(primary: Postgres) -> dict:
    """A second after a fault: sessions waiting for a lock and the oldest open transaction, to
    tell queueing on a busy machine from a lock held by a killed process."""
    try:
        waiting, oldest = primary.query(
            "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
            "COALESCE(EXTRACT(EPOCH FROM max(now() - xact_start)), 0) "
            "FROM pg_stat_activity WHERE datname = 'tongban' AND pid <> pg_backend_pid()"
        )[0]
    except Exception:  # the database may be restarting
        return {}
    return {"lock_waits_at_1s": waiting, "oldest_transaction_s": round(float(oldest), 1)}


def inject_faults(
    load: Load, primary: Postgres, replica: Postgres, webs: list[Node], workers: list[Node], gap: float
):
    faults = []

    def record(
        name: str, started: float, ended: float, *, needs_write: bool = True, extra: dict | None = None
    ):
        time.sleep(1)
        extra = {**(extra or {}), **database_waits(primary)}
        wait_for(
            lambda: load.recovery(started, ended, needs_write=needs_write) is not None, 2 * RECOVERY_LIMIT_S
        )
        seconds = load.recovery(started, ended, needs_write=needs_write)
        faults.append(
            {
                "fault": name,
                "recovery_s": None if seconds is None else round(seconds, 2),
                "read_sent_s": load.first_read_sent(started, ended),
                **(extra or {}),
            }
        )
        log(
            f"{name}: answered again after {faults[-1]['recovery_s']} s {extra or ''}; {len(load.acked)} acknowledged"
        )
        time.sleep(gap)

    victim = webs[0].web_worker_pids()[0]
    started = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    record("kill -9 web worker", started, time.monotonic())

    old = workers[0].processes("db_worker")
    if not old:
        raise RuntimeError("worker1 runs no task worker")
    started = time.monotonic()
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    back = wait_for(lambda: bool(set(workers[0].processes("db_worker")) - set(old)), 15)
    record(
        "kill -9 task worker",
        started,
        time.monotonic(),
        extra={"worker_back_s": None if back is None else round(back, 2)},
    )

    for mode in ("fast", "immediate", "fast", "immediate"):
        started = time.monotonic()
        primary.restart(mode)
        record(f"PostgreSQL restart -m {mode}", started, time.monotonic())

    before = replica_reads(replica)
    started = time.monotonic()
    webs[1].kill()
    record("kill -9 web node 2 of 2", started, time.monotonic())
    used = replica_reads(replica) - before

    started = time.monotonic()
    replica.stop("immediate")
    record(
        "replica stopped",
        started,
        time.monotonic(),
        needs_write=False,
        extra={"replica_transactions_before": used},
    )
    return faults


def verdict(counts: dict, faults: list[dict], workers_alive: list[bool]) -> list[str]:
    problems = []
    if counts["acknowledged"] != counts["stored"] or counts["acknowledged_not_stored"]:
        problems.append("acknowledged submissions missing from the database")
    if counts["acknowledged_number_mismatch"]:
        problems.append("an acknowledged case number differs from the stored one")
    if counts["duplicated"]:
        problems.append("duplicated cases")
    if counts["never_acknowledged"]:
        problems.append("submissions never acknowledged")
    for kind in ("inbox", "sms"):
        if counts[f"{kind}_exactly_once"] != counts["stored"]:
            problems.append(f"{kind} notifications not exactly once for every case")
    for fault in faults:
        if fault["recovery_s"] is None or fault["recovery_s"] > RECOVERY_LIMIT_S:
            problems.append(f"{fault['fault']}: no answer within {RECOVERY_LIMIT_S:.0f} s")
        if "worker_back_s" in fault and fault["worker_back_s"] is None:
            problems.append("the killed task worker was not restarted")
        if fault.get("replica_transactions_before") == 0:
            problems.append("no read went to the replica before it stopped")
    if not all(workers_alive):
        problems.append("a worker node stopped")
    return problems


def table(result: dict) -> str:
    c = result["counts"]
    lines = [
        f"Run of {result['date']} ({result['seconds']:.0f} s, commit `{result['commit']}`, "
        f"load average {result.get('load_average_1m', '?')} at the end): "
        f"{c['acknowledged']:,} submissions acknowledged, {c['stored']:,} cases stored, "
        f"{c['duplicated']} duplicated, {c['never_acknowledged']} never acknowledged "
        f"({c['submit_attempts']:,} attempts; failed answers {c['submit_errors'] or 'none'}). "
        f"Notifications exactly once: inbox {c['inbox_exactly_once']:,} of {c['stored']:,}, "
        f"SMS {c['sms_exactly_once']:,} of {c['stored']:,} "
        f"(SMS handed to the gateway twice: {c['sms_sent_to_gateway_twice']}). "
        f"Catalogue reads: {c['catalogue_reads']['ok']:,} answered, {c['catalogue_reads']['failed']} failed. "
        f"Queue drained {result['drain_s']} s after the stream ended.",
        "",
        "| fault | site answered again after (≤ 10 s) | first successful read sent after | notes |",
        "|---|---:|---:|---|",
    ]
    for f in result["faults"]:
        notes = ", ".join(f"{k} {v}" for k, v in f.items() if k not in {"fault", "recovery_s", "read_sent_s"})
        lines.append(f"| {f['fault']} | {f['recovery_s']} s | {f.get('read_sent_s')} s | {notes} |")
    lines += [
        "",
        "Verdict: " + ("all promises held." if not result["problems"] else "; ".join(result["problems"])),
    ]
    return "\n".join(lines)


def write(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    text = DOC.read_text()
    block = f"{START}\n{table(result)}\n{END}"
    DOC.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=2500, help="drafts prepared for the stream")
    parser.add_argument("--clients", type=int, default=3, help="submitting client threads")
    parser.add_argument(
        "--pause", type=float, default=0.1, help="seconds each client waits between submissions"
    )
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--drain", type=float, default=90.0, help="seconds allowed for the queue to drain")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--write", action="store_true", help="write docs/reliability.md and bench/results")
    args = parser.parse_args()
    begun = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tongban-faults-"))
    workdir.chmod(0o755)
    shared_media, outbox = workdir / "shared-media", workdir / "shared-outbox"
    shared_media.mkdir()
    outbox.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TONGBAN_", "DATABASE_")) and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tongban.settings",
            "TONGBAN_SECRET_KEY": "fault-suite-" + os.urandom(16).hex(),
            "TONGBAN_MEDIA_ROOT": str(shared_media),
            "TONGBAN_OUTBOX_DIR": str(outbox),
            "TONGBAN_VAR_DIR": str(workdir / "prepare"),
            "TONGBAN_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    primary = Postgres(workdir / "primary")
    replica = bouncer = None
    nodes: list[Node] = []
    balancer = None
    try:
        primary.init()
        log(f"primary on {primary.port}")
        drafts, items = prepare(workdir, primary, env, args.drafts)
        run = drafts[0][2].rsplit("-", 1)[0]
        replica = primary.replica(workdir / "replica")
        bouncer = PgBouncer(workdir / "pgbouncer", primary)
        log(f"replica on {replica.port}, PgBouncer on {bouncer.port}")
        node_env = {
            **env,
            "DATABASE_URL": bouncer.url,
            "TONGBAN_DB_TRANSACTION_POOLER": "1",
            "DATABASE_REPLICA_URL": replica.url,
        }
        webs = [Node(f"web{n}", "web", node_env, workdir) for n in (1, 2)]
        workers = [Node(f"worker{n}", "worker", node_env, workdir) for n in (1, 2)]
        nodes = webs + workers
        for node in nodes:
            node.start(wait=False)
        for node in nodes:
            node.wait_ready()
        balancer = Balancer([w.port for w in webs])
        log(f"web nodes on {[w.port for w in webs]} behind the balancer on {balancer.port}; 2 worker nodes")
        load = Load(balancer.port, drafts, args.clients, items, args.pause)
        load.start()
        time.sleep(args.gap)
        faults = inject_faults(load, primary, replica, webs, workers, args.gap)
        load.finish(60)
        log(f"stream ended: {len(load.acked)} acknowledged; waiting for the queue to drain")
        drained = drain(primary, args.drain)
        counts = count(primary, load, run, outbox)
        workers_alive = [w.alive() for w in workers]
        result = {
            "benchmark": "faults",
            "date": time.strftime("%Y-%m-%d"),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
            "seconds": round(time.monotonic() - begun, 1),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "drain_s": None if drained is None else round(drained, 1),
            "counts": counts,
            "faults": faults,
            "workers_alive": workers_alive,
        }
        result["problems"] = verdict(counts, faults, workers_alive)
        print(json.dumps(result, ensure_ascii=False, indent=2))
        print(table(result))
        if args.write:
            write(result)
        return 1 if result["problems"] else 0
    finally:
        if balancer:
            balancer.stop()
        for node in nodes:
            node.stop()
        if bouncer:
            bouncer.stop()
        for cluster in (replica, primary):
            if cluster:
                cluster.cleanup()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
