"""Several machines: submissions per second with two web nodes behind PgBouncer against one node
direct, in the same run, and the replica's share of reads.

Builds the province deployment of the fault suite (``tests/fault/deployment.py``) on 127.0.0.1:
a PostgreSQL primary, a streaming replica (``pg_basebackup -R``), PgBouncer in transaction mode.
Then, on the same database and drafts (complete, with bearer tokens, as ``bench/cases.py``):

- **one node direct**: ``tongban serve --no-worker`` (granian, 2 workers) on the primary;
- **two nodes behind PgBouncer**: two such nodes with ``DATABASE_URL`` at PgBouncer
  (``TONGBAN_DB_TRANSACTION_POOLER=1``) and ``DATABASE_REPLICA_URL`` at the replica, each loaded
  by its own ``wrk`` at the same time (what a load balancer spreads).

Rounds alternate between the two set-ups so that the machine's noise falls on both. A last
round sends catalogue reads (guide data) and submissions to the two nodes at once and counts
the transactions each PostgreSQL server ran (``pg_stat_database``): the replica's share of
them, and of the catalogue reads alone. All processes share the same two cores, so a second
node adds no CPU: the figure says what the pooler and the replica cost or save, not how a
province scales on more machines. Run by ``bench/run.py`` (``make bench``); alone:
``python bench/machines.py [--write]``.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fault"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import Node, PgBouncer, Postgres
from suite import prepare

from cases import wrk_submit
from catalog import machine_info
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "machines.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:machines:start -->"
TABLE_END = "<!-- bench:machines:end -->"


def log(message: str) -> None:
    print(f"[machines {time.strftime('%H:%M:%S')}] {message}", flush=True)


def transactions(cluster: Postgres) -> int:
    return cluster.query(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'tongban'"
    )[0][0]


def parallel(jobs: list) -> list:
    """Run the callables at once; their results in order."""
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            results[n] = jobs[n]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def measure(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="tongban-machines-"))
    workdir.chmod(0o755)
    media = workdir / "shared-media"
    media.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGBAN_", "DATABASE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tongban.settings",
            "TONGBAN_SECRET_KEY": "machines-" + os.urandom(16).hex(),
            "TONGBAN_MEDIA_ROOT": str(media),
            "TONGBAN_OUTBOX_DIR": str(workdir / "outbox"),
            "TONGBAN_VAR_DIR": str(workdir / "prepare"),
            "TONGBAN_LOG_LEVEL": "WARNING",
        }
    )
    primary = Postgres(workdir / "primary", settings={"synchronous_commit": "off"})
    replica = bouncer = None
    nodes: list[Node] = []
    try:
        primary.init()
        per_round = args.rate * args.seconds
        drafts, items = prepare(workdir, primary, env, per_round * (3 * args.rounds + 3))
        lines = ["\t".join(d) for d in drafts]
        replica = primary.replica(workdir / "replica")
        bouncer = PgBouncer(workdir / "pgbouncer", primary, pool_size=20)
        direct = Node("direct", "web", {**env, "DATABASE_URL": primary.url}, workdir)
        pooled_env = {
            **env,
            "DATABASE_URL": bouncer.url,
            "TONGBAN_DB_TRANSACTION_POOLER": "1",
            "DATABASE_REPLICA_URL": replica.url,
        }
        pooled = [Node(f"pooled{n}", "web", pooled_env, workdir) for n in (1, 2)]
        nodes = [direct, *pooled]
        for node in nodes:
            node.start(wait=False)
        for node in nodes:
            node.wait_ready()
        log(f"one node direct on {direct.port}; two behind PgBouncer on {[n.port for n in pooled]}")
        # wrk's script and drafts per node: parallel runs must not share a file.
        for node in nodes:
            (workdir / "wrk" / node.name).mkdir(parents=True)
        cursor = 0

        def take(count: int) -> list[str]:
            nonlocal cursor
            cursor += count
            return lines[cursor - count : cursor]

        c = args.connections
        wrk_submit(direct.port, take(per_round // 4), 2, c, workdir / "wrk" / direct.name, "warm")
        parallel(
            [
                lambda n=n: wrk_submit(n.port, take(per_round // 4), 2, c, workdir / "wrk" / n.name, "warm")
                for n in pooled
            ]
        )
        one, two = [], []
        for r in range(args.rounds):
            one.append(
                wrk_submit(
                    direct.port, take(per_round), args.seconds, c, workdir / "wrk" / direct.name, f"round{r}"
                )["rps"]
            )
            pair = parallel(
                [
                    lambda n=n, r=r: wrk_submit(
                        n.port, take(per_round), args.seconds, c, workdir / "wrk" / n.name, f"round{r}"
                    )
                    for n in pooled
                ]
            )
            two.append(sum(p["rps"] for p in pair))
            log(f"round {r + 1}: one node direct {one[-1]:.0f}/s, two nodes behind PgBouncer {two[-1]:.0f}/s")
        paths = [f"/api/v1/items/{code}" for code in items]
        time.sleep(args.replica_settle)
        before = transactions(primary), transactions(replica)
        reads = parallel(
            [lambda n=n: wrk_get(n.port, paths, args.seconds, c, workdir / "wrk" / n.name) for n in pooled]
        )
        after = transactions(primary), transactions(replica)
        read_share = (after[1] - before[1]) / max(1, (after[0] - before[0]) + (after[1] - before[1]))
        time.sleep(args.replica_settle)
        before = transactions(primary), transactions(replica)
        mixed = parallel(
            [lambda n=n: wrk_get(n.port, paths, args.seconds, c, workdir / "wrk" / n.name) for n in pooled]
            + [
                lambda n=n: wrk_submit(
                    n.port, take(per_round), args.seconds, c, workdir / "wrk" / n.name, "mixed"
                )
                for n in pooled
            ]
        )
        after = transactions(primary), transactions(replica)
        mixed_share = (after[1] - before[1]) / max(1, (after[0] - before[0]) + (after[1] - before[1]))
        one_rps, two_rps = statistics.median(one), statistics.median(two)
        return {
            "benchmark": "machines",
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine_info(),
            "one_node_direct_per_s": round(one_rps, 1),
            "two_nodes_pgbouncer_per_s": round(two_rps, 1),
            "ratio": round(two_rps / one_rps, 3),
            "rounds": {"one_node_direct": one, "two_nodes_pgbouncer": two},
            "catalogue_reads_per_s": round(sum(r["rps"] for r in reads), 1),
            "replica_share_catalogue_reads": round(read_share, 4),
            "mixed_reads_per_s": round(sum(r["rps"] for r in mixed[:2]), 1),
            "mixed_submissions_per_s": round(sum(r["rps"] for r in mixed[2:]), 1),
            "replica_share_mixed": round(mixed_share, 4),
            "settings": {
                "seconds": args.seconds,
                "rounds": args.rounds,
                "connections_per_node": c,
                "web_workers_per_node": 2,
                "pgbouncer_pool_size": 20,
            },
        }
    finally:
        for node in nodes:
            node.stop()
        if bouncer:
            bouncer.stop()
        for cluster in (replica, primary):
            if cluster:
                cluster.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def table(r: dict) -> str:
    m = r["machine"]
    return "\n".join(
        [
            "| set-up | submissions/s (median of rounds) |",
            "|---|---:|",
            f"| one web node, direct to PostgreSQL | {r['one_node_direct_per_s']:,.0f} |",
            f"| two web nodes behind PgBouncer (transaction mode), replica for reads "
            f"| {r['two_nodes_pgbouncer_per_s']:,.0f} ({r['ratio'] * 100:.0f} %) |",
            "",
            f"Catalogue reads on the two nodes: {r['catalogue_reads_per_s']:,.0f} req/s, "
            f"{r['replica_share_catalogue_reads'] * 100:.0f} % of the database transactions on the replica. "
            f"Reads and submissions at once: {r['mixed_reads_per_s']:,.0f} reads/s and "
            f"{r['mixed_submissions_per_s']:,.0f} submissions/s, "
            f"{r['replica_share_mixed'] * 100:.0f} % of all database transactions on the replica. "
            f"Measured {r['date']} at commit `{m['commit']}` on {m['cores']} cores, "
            f"{r['settings']['rounds']} rounds of {r['settings']['seconds']} s, "
            f"{r['settings']['connections_per_node']} connections per node; "
            f"load average when the measurement started: {m.get('load_average_1m', '?')}.",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading="## Several machines (issue 19)")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=6, help="seconds per round")
    p.add_argument("--rounds", type=int, default=2, help="rounds per set-up")
    p.add_argument("--connections", type=int, default=4, help="wrk connections per node")
    p.add_argument(
        "--rate", type=int, default=150, help="upper bound of submissions/s per node (drafts prepared)"
    )
    p.add_argument("--replica-settle", type=float, default=3.0, help="seconds for the replica to catch up")
    p.add_argument(
        "--write", action="store_true", help="write bench/results/machines.json and docs/performance.md"
    )
    args = p.parse_args(argv)
    result = measure(args)
    print(table(result))
    if args.write:
        write(result)
        log(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    main()
