"""Slot quotas hold under concurrency: 100 people in 4 OS processes (25 threads, each with its
own database connection) book the last 10 places of one slot at the same instant; exactly 10
bookings exist afterwards. On PostgreSQL the bookers really run in parallel; on SQLite the
database lets one writer in at a time, and the same code must still count right."""

import json
import subprocess
import sys
import time
from collections import Counter

import pytest

pytestmark = pytest.mark.slow

PROCESSES = 4


def _argv(command, args):
    return [sys.executable, "-m", "tests.appointments.scripts", command, *[json.dumps(a) for a in args]]


def run(env, command, *args):
    out = subprocess.run(_argv(command, args), env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_100_bookers_from_several_processes_get_exactly_the_last_10_places(external_db):
    world = run(external_db, "prepare", 30, 20, 100)
    users = world["users"]
    start_at = time.time() + 6  # every interpreter is up and waiting before this instant
    procs = [
        subprocess.Popen(
            _argv("book_many", [users[n::PROCESSES], world["slot"], world["item"], start_at]),
            env=external_db,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    outcomes = Counter()
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outcomes.update(json.loads(out.strip().splitlines()[-1])["results"])
    assert outcomes == {"booked": 10, "slot_full": 90}
    assert run(external_db, "count", world["slot"]) == {"booked": 30, "bookings": 10}
