"""一件事 submissions in-process: web-process CPU time and SQL statements per joint submission
against a single-item one, with a profile of the joint ones, to find where a joint submission
spends more than its children's share.

    python bench/joint_cpu.py N [--profile 30] [--seed S]   # prints one JSON line, then the profile

Prepares N complete five-item joint drafts and N single drafts as bench/joint.py does, then
posts them alternately through Django's test client (bearer token, ``Idempotency-Key``), as
bench/submit_cpu.py does for single submissions. ``time.process_time`` counts this process's
own work, little disturbed by other load; the statements are counted with
an execute wrapper (not ``CaptureQueriesContext``, whose debug cursor renders every statement's
SQL and costs a joint submission's large inserts more than the server ever pays). Run it against a database holding a catalogue (``DATABASE_URL``).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("count", type=int)
    p.add_argument("--profile", type=int, default=0, help="print the top N functions of the profiled posts")
    p.add_argument("--seed", type=int, default=20261203)
    p.add_argument("--kind", choices=("joint", "single"), default="joint", help="which posts to profile")
    p.add_argument("--dump", type=Path, help="also write the raw profile here (pstats)")
    args = p.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    import cases_data
    from joint import prepare_joint

    warm = 3
    singles = cases_data.prepare_submissions(
        args.count + warm, citizens=50, items=20, seed=args.seed, exclude_departments=[]
    )
    tokens = {}
    from tongban.cases.models import Application

    by_draft = dict(
        Application.objects.filter(public_id__in=[s.path.split("/")[4] for s in singles]).values_list(
            "public_id", "applicant_id"
        )
    )
    for s in singles:
        tokens[by_draft[uuid.UUID(s.path.split("/")[4])]] = s.token
    from tongban.identity.models import User

    people = list(User.objects.filter(pk__in=tokens).order_by("pk"))
    joints = prepare_joint(args.count + warm, people, args.seed)
    run = random.Random().getrandbits(32)
    client = Client(HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile(time.process_time)
    out: dict[str, dict[str, list[float]]] = {
        k: {"cpu": [], "wall": [], "stmts": []} for k in ("single", "joint")
    }

    def post(kind: str, path: str, token: str, key: str, n: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        profiling = kind == args.kind and args.profile and n >= warm
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            wall, cpu = time.perf_counter(), time.process_time()
            if profiling:
                profiler.enable()
            response = client.post(path, content_type="application/json", data="{}", headers=headers)
            if profiling:
                profiler.disable()
            spent_cpu, spent_wall = time.process_time() - cpu, time.perf_counter() - wall
        if response.status_code >= 300:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.content[:300]!r}")
        if n >= warm:
            out[kind]["cpu"].append(spent_cpu * 1000)
            out[kind]["wall"].append(spent_wall * 1000)
            out[kind]["stmts"].append(statements[0])

    for n, (s, (pid, applicant)) in enumerate(zip(singles, joints, strict=True)):
        post("single", s.path, s.token, s.key, n)
        post("joint", f"/api/v1/joint-applications/{pid}/submit", tokens[applicant], f"jc-{run}-{n}", n)
    summary = {
        kind: {k: round(statistics.median(v), 2) for k, v in figures.items()} for kind, figures in out.items()
    }
    summary["cpu_ratio"] = round(summary["joint"]["cpu"] / summary["single"]["cpu"], 2)
    print(json.dumps(summary))
    if args.profile:
        if args.dump:
            profiler.dump_stats(args.dump)
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("cumulative").print_stats("tongban|ninja|tasks|signals|transaction", args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        print(stream.getvalue())


if __name__ == "__main__":
    main()
