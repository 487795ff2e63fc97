"""Audit log figures: ``verify_chain`` over a large log and append throughput.

    DATABASE_URL=... .venv/bin/python bench/audit.py --rows 1000000

Without DATABASE_URL a throwaway SQLite file under ``bench/var/`` is used. The database is
migrated, filled with ``--rows`` chained entries (written in bulk with the same hash function
``append`` uses), then ``verify_chain`` is timed, then ``--appends`` single appends, each in its
own transaction. Prints one JSON object. The database must be a throwaway one.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "bench" / "var" / "audit.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-m", "tongban", "migrate", "-v0"], check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from tongban.core import audit
    from tongban.core.models import GENESIS, AuditHead, entry_hash

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = GENESIS
    batch = []
    fill_started = time.perf_counter()
    insert = (
        "INSERT INTO core_auditentry (seq, at, actor_id, actor_label, on_behalf_of, action, object_type, "
        "object_id, summary, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for seq in range(1, args.rows + 1):
            at = start + dt.timedelta(seconds=seq)
            summary = {"number": f"510100-20260101-{seq:06d}", "from": "in_review", "to": "pending_decision"}
            fields = ("42", "审查员", "", "cases.review", "cases.case", str(seq))
            digest = entry_hash(
                seq=seq,
                at=at,
                actor_id=fields[0],
                actor_label=fields[1],
                on_behalf_of=fields[2],
                action=fields[3],
                object_type=fields[4],
                object_id=fields[5],
                summary=summary,
                prev_hash=prev,
            )
            at_value = connection.ops.adapt_datetimefield_value(at)
            batch.append((seq, at_value, *fields, json.dumps(summary, ensure_ascii=False), prev, digest))
            prev = digest
            if len(batch) == 5000:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)
        AuditHead.objects.update_or_create(pk=1, defaults={"seq": args.rows, "hash": prev})
    fill_seconds = time.perf_counter() - fill_started

    verify_started = time.perf_counter()
    report = audit.verify_chain()
    verify_seconds = time.perf_counter() - verify_started
    assert report.ok and report.checked == args.rows, report

    append_started = time.perf_counter()
    for i in range(args.appends):
        with transaction.atomic():
            audit.append("bench.append", summary={"i": i}, object_type="bench.thing", object_id=str(i))
    append_seconds = time.perf_counter() - append_started
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "rows": args.rows,
                "fill_s": round(fill_seconds, 1),
                "verify_s": round(verify_seconds, 1),
                "verify_rows_per_s": round(args.rows / verify_seconds),
                "appends": args.appends,
                "append_per_s": round(args.appends / append_seconds),
            }
        )
    )


if __name__ == "__main__":
    main()
