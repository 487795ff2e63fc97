"""Issuing from two OS processes at once against one database (SQLite file or PostgreSQL)."""

import json
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def _argv(command, args):
    return [sys.executable, "-m", "tests.certificates.scripts", command, *[json.dumps(a) for a in args]]


def test_serials_and_the_first_seal_key_come_from_the_database_across_processes(external_db):
    out = subprocess.run(_argv("prepare", []), env=external_db, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    type_pk = json.loads(out.stdout.strip().splitlines()[-1])["type"]
    start_at = time.time() + 4  # both interpreters are up and waiting before this instant
    procs = [
        subprocess.Popen(
            _argv("issue", [type_pk, 15, start_at]),
            env=external_db,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    made = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr[-3000:]
        made += json.loads(stdout.strip().splitlines()[-1])["made"]
    serials = sorted(serial for serial, _, _ in made)
    assert serials == list(range(1, 31))
    assert len({identifier for _, identifier, _ in made}) == 30
    assert len({kid for _, _, kid in made}) == 1  # one key per department, even when both made it first
