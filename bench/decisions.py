"""秒批 benchmark: submissions per second and submission-to-wallet time, against a plain
submission of the same kind of item in the same run.

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) and loads
it with ``wrk`` from a separate process, posting ``/api/v1/applications/{id}/submit`` with a
bearer token, each request a different complete draft (the submit script of ``bench/cases.py``).
Rounds alternate between two otherwise identical items of one department:

- *plain*: the submission makes a case for the department's queue;
- *秒批*: the item's published decision table decides at submission (the applicant's age and
  real-name level from the account, the registry record through the department's sharing
  grant, logged); the grant is carried out before the answer is sent (受理, 审查, 准予, 办结 by
  the system, then the licence issued into the wallet), so a 秒批 request's latency is the time
  from submission to licence in the wallet. After the rounds every 秒批 case is checked to be
  concluded with its certificate, and the server-side time from ``submitted_at`` to the
  certificate's ``issued_at`` is reported too.

No worker runs during the rounds (the notification tasks both kinds queue wait), as in
``bench/cases.py``. PostgreSQL: a throwaway cluster (``bench/pgcluster.py``) unless
``DATABASE_URL`` names one; ``--sqlite`` for a throwaway SQLite file instead.

    .venv/bin/python bench/decisions.py [--write] [--seconds 10] [--rounds 3]
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import replace_doc_block, save_result  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "decisions.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:decisions:start -->"
TABLE_END = "<!-- bench:decisions:end -->"
BENCH_VAR = ROOT / "bench" / "var"
MAX_RATE = 400  # drafts prepared per second of load, per kind


def log(message: str) -> None:
    print(f"[decisions {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(args: argparse.Namespace) -> dict:
    """Two items, citizens with tokens and registry records, drafts for both items."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from tests.factories import DepartmentFactory, PublishedItemFactory, region_chain
    from tests.workflow.dmn_world import ADULT_TABLE, grant_population

    import cases_data
    from tongban.cases import services
    from tongban.cases.models import Application
    from tongban.certificates.models import CertificateType
    from tongban.decisions.inputs import KNOWN
    from tongban.decisions.models import InstantApproval
    from tongban.registries.models import PopulationRecord
    from tongban.workflow.dmn import services as dmn

    call_command("migrate", interactive=False, verbosity=0)
    run = dt.datetime.now().strftime("%H%M%S")
    department = DepartmentFactory(name=f"压测审批局{run}")
    items = {
        kind: PublishedItemFactory(
            name=f"压测许可（{kind}）{run}", department=department, legal_limit=20, promised_limit=10
        )
        for kind in ("plain", "instant")
    }
    grant_population(department)
    table = dmn.upload_table(
        actor=None,
        key=f"bench:{run}",
        name="压测秒批",
        dmn=ADULT_TABLE,
        department=department,
        known=KNOWN,
    )
    dmn.publish_table(actor=None, table=table)
    InstantApproval.objects.create(item=items["instant"], table_key=f"bench:{run}")
    ctype = CertificateType.objects.create(
        name="压测许可证",
        code=f"BENCH{run}",
        department=department,
        field_schema={
            "type": "object",
            "properties": {"holder": {"title": "持证人", "x-source": "holder.name"}},
        },
        validity=CertificateType.Validity.NONE,
    )
    ctype.issued_by_items.add(items["instant"])
    drafts_each = MAX_RATE * args.seconds * args.rounds
    people = cases_data._bulk_users(f"bench-dmn{run}-", args.citizens, "citizen", random.Random(7), 90_000)
    region = region_chain("511602")
    PopulationRecord.objects.bulk_create(
        [
            PopulationRecord(
                name=p.real_name or "压测",
                id_number=p.id_number,
                birth_date=dt.date(1990, 1, 1),
                sex="M",
                region=region,
            )
            for p in people
        ],
        ignore_conflicts=True,
    )
    submissions = {}
    for kind, item in items.items():
        first = services.start_application(user=people[0], item=item)
        drafts = [first] + [
            Application(
                item=item,
                form=first.form,
                applicant=people[n % len(people)],
                created_by=people[n % len(people)],
                channel="2",
                data={},
                expires_at=first.expires_at,
            )
            for n in range(1, drafts_each)
        ]
        for draft in drafts:
            person = draft.applicant
            draft.data = {
                "applicant_name": person.real_name,
                "applicant_id_number": person.id_number,
                "mobile": person.mobile,
                "address": {"region": item.region_code, "detail": "建设路 1 号"},
                "request": "申请办理",
            }
        first.save(update_fields=["data"])
        Application.objects.bulk_create(drafts[1:], batch_size=2000)
        submissions[kind] = drafts
    tokens = cases_data.bearer_tokens(people)
    lines = {
        kind: [
            f"/api/v1/applications/{d.public_id}/submit\t{tokens[d.applicant_id]}\tdmn-{run}-{kind}-{n}"
            for n, d in enumerate(drafts)
        ]
        for kind, drafts in submissions.items()
    }
    db = connection.vendor
    connection.close()
    return {"lines": lines, "items": {k: v.pk for k, v in items.items()}, "database": db, "run": run}


def wallet_times(item_id: int) -> dict:
    """Server-side submission-to-licence times of the 秒批 cases, and whether every one has it."""
    from tongban.cases.models import Case
    from tongban.certificates.models import Certificate

    cases = dict(Case.objects.filter(item_id=item_id).values_list("pk", "submitted_at"))
    issued = dict(Certificate.objects.filter(case_id__in=cases).values_list("case_id", "issued_at"))
    times = sorted((issued[pk] - cases[pk]).total_seconds() * 1000 for pk in issued)
    concluded = Case.objects.filter(item_id=item_id, status=Case.Status.CONCLUDED).count()
    return {
        "cases": len(cases),
        "concluded": concluded,
        "with_licence": len(issued),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1) if times else None,
    }


def measure(args: argparse.Namespace) -> dict:
    from cases import wrk_submit
    from catalog import Server, free_port

    data = prepare(args)
    workdir = Path(tempfile.mkdtemp(prefix="bench-dmn-"))
    port = free_port()
    server = Server(port, 2, 1, workdir / "granian.log")
    rounds: dict[str, list[dict]] = {"plain": [], "instant": []}
    used = {"plain": 0, "instant": 0}
    try:
        server.wait_ready("/healthz")
        for kind in ("plain", "instant"):  # warm-up: parse the process and the table
            wrk_submit(port, data["lines"][kind][:200], 2, 2, workdir, f"warm-{kind}")
            used[kind] = 200
        for n in range(args.rounds):
            for kind in ("plain", "instant"):
                lines = data["lines"][kind][used[kind] :]
                result = wrk_submit(port, lines, args.seconds, args.connections, workdir, f"{kind}-{n}")
                used[kind] += result["created"]
                rounds[kind].append(result)
                log(
                    f"round {n + 1} {kind}: {result['rps']:.0f}/s p50 {result['p50_ms']} ms p95 {result['p95_ms']} ms"
                )
    finally:
        server.stop()
    summary = {kind: summarise(results) for kind, results in rounds.items()}
    wallet = wallet_times(data["items"]["instant"])
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": data["database"],
        "server": "granian WSGI, 2 workers, 1 blocking thread; no worker during the rounds",
        "load": f"wrk, {args.connections} connections, {args.rounds} rounds of {args.seconds} s per kind, alternating",
        "plain": summary["plain"],
        "instant": summary["instant"],
        "instant_vs_plain": round(summary["instant"]["submissions_per_s"] / plain, 2)
        if (plain := summary["plain"]["submissions_per_s"])
        else None,
        "wallet": wallet,
    }


def summarise(results: list[dict]) -> dict:
    """Medians over the rounds; a round in which no answer was timed (none completed, or none
    within wrk's timeout: percentiles of 0) counts for the rate but has no latency."""
    timed = [r for r in results if r["created"] and r["p95_ms"] > 0] or results
    return {
        "submissions_per_s": round(statistics.median(r["rps"] for r in results), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in timed), 1),
        "p95_ms": round(statistics.median(r["p95_ms"] for r in timed), 1),
        "rounds": results,
    }


def table(result: dict) -> str:
    p, i, w = result["plain"], result["instant"], result["wallet"]
    return "\n".join(
        [
            f"Measured {result['measured_at']} on {result['database']} ({result['server']}; {result['load']}).",
            "",
            "| submission | per second | p50 | p95 |",
            "|---|---|---|---|",
            f"| plain (to the department's queue) | {p['submissions_per_s']} | {p['p50_ms']} ms | {p['p95_ms']} ms |",
            f"| 秒批 (decided, concluded, licence in the wallet before the answer) | {i['submissions_per_s']} | {i['p50_ms']} ms | {i['p95_ms']} ms |",
            "",
            f"秒批 runs at {result['instant_vs_plain'] or 0:.0%} of the plain submission's rate. Submission to licence in the "
            f"wallet, measured in the database (certificate issued_at − case submitted_at) over {w['with_licence']} "
            f"秒批 cases ({w['concluded']} of {w['cases']} concluded): p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms.",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading="## 秒批 (issue 15)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--write", action="store_true", help="write bench/results/decisions.json and docs/performance.md"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TONGBAN_VAR_DIR", str(BENCH_VAR / "decisions"))
    if args.sqlite:
        path = BENCH_VAR / "decisions.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        result = measure(args)
    elif os.environ.get("DATABASE_URL"):
        result = measure(args)
    else:
        import pgcluster

        with pgcluster.cluster(BENCH_VAR / "pgdata-decisions") as url:
            os.environ["DATABASE_URL"] = url
            result = measure(args)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        write(result)
    return result


if __name__ == "__main__":
    main()
