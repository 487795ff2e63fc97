"""Submissions in-process: web-process CPU time and SQL statements per submission, and the
staff queue page, for comparing two versions of the code on a busy machine.

    python bench/submit_cpu.py SEED N   # prints one JSON line

Prepares N complete drafts with bench/cases_data.py (as bench/cases.py does), then posts each
to ``/api/v1/applications/{id}/submit`` with its bearer token and an ``Idempotency-Key`` through
Django's test client, and opens the staff queue page N times as a staff member with every
processing role in the busiest departments. CPU time (``time.process_time``) counts this
process's own work and is much less disturbed by other load than wall time; run blocks of this
script alternately per code version (PYTHONPATH at each version's ``src``) against databases
loaded alike, as ``bench/results/issue11-cases-cpu.json`` was measured.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import cases_data

    seed, count = int(sys.argv[1]), int(sys.argv[2])
    generation = cases_data.ensure_cases(0, seed=seed, queue_share=0.5, open_share=0.05)
    departments = generation["queue_departments"]
    submissions = cases_data.prepare_submissions(
        count + 3, citizens=50, items=20, seed=seed, exclude_departments=departments
    )
    client = Client(HTTP_HOST="127.0.0.1")
    submit = {"cpu": [], "wall": [], "stmts": []}
    for n, s in enumerate(submissions):
        headers = {"Authorization": f"Bearer {s.token}", "Idempotency-Key": s.key}
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.post(s.path, content_type="application/json", data="{}", headers=headers)
            spent_cpu, spent_wall = time.process_time() - cpu, time.perf_counter() - wall
        if response.status_code >= 300:
            raise SystemExit(f"{s.path}: HTTP {response.status_code} {response.content[:300]!r}")
        if n >= 3:  # the first ones warm the process up
            submit["cpu"].append(spent_cpu * 1000)
            submit["wall"].append(spent_wall * 1000)
            submit["stmts"].append(len(queries))
    user, _session = cases_data.queue_user(departments)
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(user)
    session = staff.session
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user).first().persistent_id
    session.save()
    queue = {"cpu": [], "wall": [], "stmts": []}
    for n in range(count + 3):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = staff.get("/staff/queue/")
            spent_cpu, spent_wall = time.process_time() - cpu, time.perf_counter() - wall
        if response.status_code != 200:
            raise SystemExit(f"/staff/queue/: HTTP {response.status_code}")
        if n >= 3:
            queue["cpu"].append(spent_cpu * 1000)
            queue["wall"].append(spent_wall * 1000)
            queue["stmts"].append(len(queries))
    print(json.dumps({"submit": submit, "queue": queue}))


if __name__ == "__main__":
    main()
