"""一件事 benchmark: a joint submission of a five-item bundle under load, against a single-item
submission measured in the same run (PostgreSQL, granian WSGI with 2 workers).

Serves the app as ``tongban serve`` does and measures from a separate client (``wrk``):

- single: ``POST /api/v1/applications/{id}/submit`` (bench/cases.py's load, drafts from
  bench/cases_data.py) — one case;
- joint: ``POST /api/v1/joint-applications/{id}/submit`` — one joint case (联办件) and five
  child cases in five departments, in one transaction;

each request a different complete draft with an OIDC bearer token and an ``Idempotency-Key``.
Rounds alternate single and joint so the machine's noise shows in both. The CPU of the web
workers and of PostgreSQL per submission (``/proc``, bench/cases.py's ``CpuMeter``) is the
figure that matters on a shared machine: the goal is a joint submission at most 3× a single
one, and a joint p95 of at most 150 ms.

The two kinds run at different loads, both stated in the result (``connections``) and the
docs: the single round with ``--connections`` (8), the joint round with ``--joint-connections``
(default 2 × workers). A joint submission takes about five single ones' time, so at 8
connections its round queues about four requests behind each of the two workers and its p95
measures the queue (≈ connections / throughput), not the submission; with two connections per
worker each worker is always busy and the p95 is the submission's under load. The CPU per
submission does not depend on the queue, and the single figure it is compared with is measured
in the same run.

The bundle is made here from five published person items of five departments of one county
(a bundle ``bench-joint-five``, every entry essential, no order constraints, so all five
children start at once); the joint drafts are started the real way
(``start_joint_application``: one child draft per item, prefilled) and completed in bulk (the
children's answers and one shared stored file per required material, as the joint upload
stores it).

Run by ``bench/run.py`` on its throwaway PostgreSQL after the cases benchmark; alone against
a database holding a catalogue: ``DATABASE_URL=postgres://… python bench/joint.py --out r.json``.
A smoke run: ``--seconds 3 --rounds 1 --connections 2``.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import CpuMeter, cpu_ms, postmaster_pid, wrk_submit
from catalog import Server, database_info, free_port, machine_info
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "joint.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:joint:start -->"
TABLE_END = "<!-- bench:joint:end -->"
HEADING = "## 一件事: joint submission of a five-item bundle (issue 13)"
TARGETS = {"cpu_ratio": 3.0, "joint_p95_ms": 150.0}
BUNDLE_SLUG = "bench-joint-five"
ITEMS = 5
BARE = "/healthz"
# Generous upper bounds of submissions per second, to prepare enough drafts for every round.
MAX_SINGLE_RATE = 400
MAX_JOINT_RATE = 60


def log(message: str) -> None:
    print(f"[joint {time.strftime('%H:%M:%S')}] {message}", flush=True)


def bundle_items(seed: int) -> list:
    """Five published person items of five departments of one county, with the default form
    and process (as bench/cases_data.py chooses its items)."""
    import cases_data
    from tongban.catalog.models import ServiceItem
    from tongban.forms.models import FormDefinition

    with_forms = set(FormDefinition.objects.values_list("item_id", flat=True))
    rows = list(
        ServiceItem.objects.published()
        .filter(for_person=True, for_enterprise=False, case_kind="2", promised_limit__gt=0)
        .exclude(pk__in=with_forms)
        .exclude(pk__in=cases_data._custom_process_items())
        .order_by("id")
        .values_list("id", "department_id", "region_code")
    )
    by_region: dict[str, dict[int, int]] = {}
    for pk, department, region in rows:
        by_region.setdefault(region, {}).setdefault(department, pk)
    regions = sorted(r for r, departments in by_region.items() if len(departments) >= ITEMS)
    if not regions:
        raise SystemExit(f"no county has {ITEMS} departments with a plain person item")
    region = random.Random(seed).choice(regions)
    chosen = sorted(by_region[region].values())[:ITEMS]
    return list(ServiceItem.objects.filter(pk__in=chosen).select_related("department").order_by("id"))


def ensure_bundle(seed: int):
    """The benchmark's published bundle of five essential items (made once, kept)."""
    from django.utils import timezone

    from tongban.catalog.models import LifeEvent, LifeEventItem

    bundle = LifeEvent.objects.filter(slug=BUNDLE_SLUG).first()
    if bundle is not None:
        return bundle
    items = bundle_items(seed)
    bundle = LifeEvent.objects.create(
        name="压测一件事（五个事项）",
        slug=BUNDLE_SLUG,
        lead_department=items[0].department,
        joint_limit_days=15,
        status=LifeEvent.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    LifeEventItem.objects.bulk_create(
        [LifeEventItem(bundle=bundle, item=item, essential=True, order=n) for n, item in enumerate(items)]
    )
    return bundle


def prepare_joint(count: int, people: list, seed: int) -> list[tuple[str, int]]:
    """``count`` complete joint drafts over ``people``: (public id, applicant id) each."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    import cases_data
    from tongban.cases.models import Application, Attachment
    from tongban.cases.services.joint_applying import start_joint_application
    from tongban.catalog.bundles import bundle_queryset
    from tongban.catalog.models import MaterialRequirement

    bundle = bundle_queryset().get(pk=ensure_bundle(seed).pk)
    joints = [start_joint_application(user=people[n % len(people)], bundle=bundle) for n in range(count)]
    children = list(Application.objects.filter(joint__in=joints).select_related("item", "applicant"))
    for child in children:
        person = child.applicant
        child.data = {
            "applicant_name": person.real_name,
            "applicant_id_number": person.id_number,
            "mobile": person.mobile,
            "address": {"region": child.item.region_code, "detail": "建设路 1 号"},
            "request": "申请办理",
        }
    Application.objects.bulk_update(children, ["data"], batch_size=2000)
    stored = default_storage.save("private/attachments/bench/joint.pdf", ContentFile(cases_data.PDF))
    sha = hashlib.sha256(cases_data.PDF).hexdigest()
    required: dict[int, list] = {}
    for m in MaterialRequirement.objects.filter(
        item_id__in={c.item_id for c in children}, necessity=MaterialRequirement.Necessity.REQUIRED
    ):
        required.setdefault(m.item_id, []).append(m)
    Attachment.objects.bulk_create(
        [
            Attachment(
                application=child,
                requirement=m,
                file=stored,  # one stored file for every child, as the joint upload stores it
                display_name="材料.pdf",
                content_type="application/pdf",
                size=len(cases_data.PDF),
                sha256=sha,
                uploaded_by=child.applicant,
            )
            for child in children
            for m in required.get(child.item_id, [])
        ],
        batch_size=5000,
    )
    return [(str(j.public_id), j.applicant_id) for j in joints]


def prepare(args: argparse.Namespace) -> dict:
    """Drafts of both kinds with tokens, made in this process before the server starts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import secrets

    from django.core.management import call_command
    from django.db import connection

    import cases_data
    from tongban.cases.models import Application

    call_command("migrate", interactive=False, verbosity=0)
    db = database_info()
    # The accounts bench/cases_data.py makes by name, so prepare_submissions below issues
    # their tokens too.
    people = cases_data._bulk_users(
        f"{cases_data.BENCH_PREFIX}citizen-", args.citizens, "citizen", random.Random(args.seed), 10_000
    )
    joint_count = MAX_JOINT_RATE * args.seconds * (args.rounds + 1)
    log(f"preparing {joint_count:,} joint drafts of {ITEMS} items")
    started = time.monotonic()
    joints = prepare_joint(joint_count, people, args.seed)
    log(f"joint drafts ready in {time.monotonic() - started:.0f} s")
    single_count = MAX_SINGLE_RATE * args.seconds * (args.rounds + 1)
    log(f"preparing {single_count:,} single drafts")
    singles = cases_data.prepare_submissions(
        single_count, citizens=args.citizens, items=args.items, seed=args.seed, exclude_departments=[]
    )
    drafts = {
        str(pid): applicant
        for pid, applicant in Application.objects.filter(
            public_id__in=[s.path.split("/")[4] for s in singles]
        ).values_list("public_id", "applicant_id")
    }
    tokens = {drafts[s.path.split("/")[4]]: s.token for s in singles}
    run = secrets.token_hex(4)
    joint_lines = [
        f"/api/v1/joint-applications/{pid}/submit\t{tokens[applicant]}\tbench-joint-{run}-{n}"
        for n, (pid, applicant) in enumerate(joints)
    ]
    postmaster = postmaster_pid()
    connection.close()
    return {
        "database": db,
        "single": [f"{s.path}\t{s.token}\t{s.key}" for s in singles],
        "joint": joint_lines,
        "run": run,
        "postmaster": postmaster,
    }


def counts(run: str) -> dict:
    from django.db import connection

    from tongban.cases.models import Case, JointCase

    joints = JointCase.objects.filter(idempotency_key__startswith=f"bench-joint-{run}-")
    result = {
        "joint_cases_in_run": joints.count(),
        "children_in_run": Case.objects.filter(joint__in=joints).count(),
        "children_departments": Case.objects.filter(joint__in=joints)
        .values("department_id")
        .distinct()
        .count(),
    }
    connection.close()
    return result


def run(args: argparse.Namespace) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("需要 wrk（apt-get install wrk，make bench 会自动安装）")
    load_average = os.getloadavg()[0]
    prep = prepare(args)
    single_slices = _slices(prep["single"], MAX_SINGLE_RATE * args.seconds, args.rounds + 1)
    joint_slices = _slices(prep["joint"], MAX_JOINT_RATE * args.seconds, args.rounds + 1)
    port = free_port()
    joint_connections = args.joint_connections or 2 * args.workers
    rounds: dict[str, list[dict]] = {"single": [], "joint": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="tongban-bench-joint-") as tmp:
        workdir = Path(tmp)
        server = Server(port, args.workers, args.threads, workdir / "granian.log")
        try:
            server.wait_ready(BARE)
            log("warming up")
            wrk_get(port, [BARE], 2, 4, workdir)
            wrk_submit(port, single_slices[0], 2, args.connections, workdir, "warm-single")
            wrk_submit(port, joint_slices[0], 2, joint_connections, workdir, "warm-joint")
            meter = CpuMeter(server.proc.pid, prep["postmaster"])
            for n in range(args.rounds):
                meter.start()
                bare = wrk_get(port, [BARE], args.seconds, args.connections, workdir)
                bare["cpu_ms"] = cpu_ms(meter.stop(), max(1, round(bare["rps"] * args.seconds)))
                rounds["bare"].append(bare)
                for kind, slices, connections in (
                    ("single", single_slices, args.connections),
                    ("joint", joint_slices, joint_connections),
                ):
                    meter.start()
                    result = wrk_submit(port, slices[n + 1], args.seconds, connections, workdir, f"{kind}{n}")
                    result["cpu_ms"] = cpu_ms(meter.stop(), max(1, result["created"]))
                    rounds[kind].append(result)
                log(
                    f"round {n + 1}: single {rounds['single'][-1]['rps']:,.0f}/s "
                    f"({rounds['single'][-1]['cpu_ms']['total']:.1f} ms CPU), joint "
                    f"{rounds['joint'][-1]['rps']:,.0f}/s ({rounds['joint'][-1]['cpu_ms']['total']:.1f} ms CPU)"
                )
        except Exception:
            server.stop()
            print((workdir / "granian.log").read_text()[-6000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    totals = counts(prep["run"])
    created = sum(r["created"] for r in rounds["joint"])
    if totals["joint_cases_in_run"] < created:
        raise RuntimeError(
            f"wrk saw {created} joint answers 201 but {totals['joint_cases_in_run']} joint cases exist"
        )
    if totals["children_in_run"] != ITEMS * totals["joint_cases_in_run"]:
        raise RuntimeError(
            f"{totals['children_in_run']} children for {totals['joint_cases_in_run']} joint cases"
        )
    single_cpu = _median_cpu([r["cpu_ms"] for r in rounds["single"]])
    joint_cpu = _median_cpu([r["cpu_ms"] for r in rounds["joint"]])
    return {
        "database": prep["database"],
        "load_average": round(load_average, 2),
        "items_per_bundle": ITEMS,
        "single": _summary(rounds["single"]) | {"cpu_ms": single_cpu},
        "joint": _summary(rounds["joint"]) | {"cpu_ms": joint_cpu},
        "bare_rps": round(statistics.median(r["rps"] for r in rounds["bare"]), 1),
        "bare_cpu_ms": _median_cpu([r["cpu_ms"] for r in rounds["bare"]]),
        "cpu_ratio": round(joint_cpu["total"] / single_cpu["total"], 2) if single_cpu["total"] else None,
        "cpu_ratio_per_case": round(joint_cpu["total"] / (ITEMS * single_cpu["total"]), 2)
        if single_cpu["total"]
        else None,
        "counts": totals,
        "rounds": rounds,
        "method": {
            "server": f"granian WSGI, {args.workers} workers, --blocking-threads {args.threads}",
            "client": (
                f"wrk -t1, {args.rounds}×{args.seconds} s per kind, alternating {BARE} and single "
                f"(-c{args.connections}) and joint (-c{joint_connections}); bearer tokens, one draft "
                "per request, Idempotency-Key"
            ),
        },
        "connections": {"bare": args.connections, "single": args.connections, "joint": joint_connections},
        "machine": machine_info(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _slices(lines: list[str], per_round: int, count: int) -> list[list[str]]:
    return [lines[i * per_round : (i + 1) * per_round] for i in range(count)]


def _summary(rounds: list[dict]) -> dict:
    return {
        "rps": round(statistics.median(r["rps"] for r in rounds), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 2),
        "p95_ms": round(statistics.median(r["p95_ms"] for r in rounds), 2),
        "created": sum(r["created"] for r in rounds),
    }


def _median_cpu(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(x[k] for x in samples), 2) for k in ("web", "db", "total")}


def verdict(result: dict) -> dict[str, bool]:
    return {
        "cpu_ratio": result["cpu_ratio"] is not None and result["cpu_ratio"] <= TARGETS["cpu_ratio"],
        "joint_p95_ms": result["joint"]["p95_ms"] <= TARGETS["joint_p95_ms"],
    }


def table(result: dict) -> str:
    r, ok = result, result["meets_targets"]

    def mark(key: str) -> str:
        return "✓" if ok[key] else "✗"

    def cost(c: dict) -> str:
        return f"{c['total']:.1f} ms ({c['web']:.1f} web + {c['db']:.1f} db)"

    s, j = r["single"], r["joint"]
    machine = r["machine"]
    return "\n".join(
        [
            "| submission | p50 | p95 | throughput | CPU per submission | relative CPU |",
            "|---|---:|---:|---:|---:|---:|",
            f"| single item (`POST /api/v1/applications/{{id}}/submit`, {s['created']:,}) | {s['p50_ms']:.1f} ms "
            f"| {s['p95_ms']:.1f} ms | {s['rps']:,.0f}/s | {cost(s['cpu_ms'])} | 1× |",
            f"| 一件事 of {r['items_per_bundle']} items (`POST /api/v1/joint-applications/{{id}}/submit`, "
            f"{j['created']:,}) | {j['p50_ms']:.1f} ms | {j['p95_ms']:.1f} ms {mark('joint_p95_ms')} (≤ 150) "
            f"| {j['rps']:,.0f}/s | {cost(j['cpu_ms'])} | {r['cpu_ratio']}× {mark('cpu_ratio')} (≤ 3) |",
            f"| bare `/healthz`, same server and run | | | {r['bare_rps']:,.0f} req/s | {cost(r['bare_cpu_ms'])} | |",
            "",
            f"A joint submission makes one 联办件 and {r['items_per_bundle']} child cases in "
            f"{r['counts']['children_departments']} departments in one transaction; per child case it costs "
            f"{r['cpu_ratio_per_case']}× a single submission. {r['method']['client']}. "
            f"PostgreSQL {r['database'].get('version', '').split(' ')[0]}, {r['method']['server']}. "
            f"Measured {r['date']} at commit `{machine['commit']}` on {machine['cores']} cores "
            f"({machine['cpu'] or 'unknown CPU'}); load average at the start {r['load_average']:.1f}.",
        ]
    )


def write(result: dict) -> None:
    """``bench/results/joint.json`` and the table in ``docs/performance.md``."""
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result), heading=HEADING)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="write the result as JSON here (default: stdout)")
    p.add_argument("--write", action="store_true", help="also write the result file and the docs table")
    p.add_argument("--seconds", type=int, default=10, help="duration of one wrk round")
    p.add_argument("--rounds", type=int, default=3, help="alternating bare/single/joint rounds")
    p.add_argument("--connections", type=int, default=8, help="wrk connections of the bare and single rounds")
    p.add_argument(
        "--joint-connections",
        type=int,
        default=0,
        help="wrk connections of the joint round (default 2 × workers: the workers kept busy without a queue)",
    )
    p.add_argument("--citizens", type=int, default=300, help="applicants with tokens")
    p.add_argument("--items", type=int, default=40, help="items of the single-item submissions")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=20261203)
    return p


def main(argv: list[str] | None = None) -> dict:
    args = parser().parse_args(argv)
    result = run(args)
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
