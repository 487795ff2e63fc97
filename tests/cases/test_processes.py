"""Behaviour across real OS processes sharing one database (SQLite file or PostgreSQL)."""

import json
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def _argv(command, args):
    return [sys.executable, "-m", "tests.cases.scripts", command, *[json.dumps(a) for a in args]]


def run(env, command, *args):
    out = subprocess.run(_argv(command, args), env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def spawn(env, command, *args):
    return subprocess.Popen(
        _argv(command, args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_concurrent_claim_from_two_processes_has_exactly_one_winner(external_db):
    world = run(external_db, "prepare")
    start_at = time.time() + 4  # both interpreters are up and waiting before this instant
    procs = [
        spawn(external_db, "claim", world["roles"]["intake"], world["case"], start_at),
        spawn(external_db, "claim", world["second_intake"], world["case"], start_at),
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["won"] for r in results) == [False, True]
    loser = next(r for r in results if not r["won"])
    assert loser["code"] == "claimed_by_other" and "已由" in loser["message"]


def test_case_continues_after_a_restart_mid_process(external_db):
    world = run(external_db, "prepare")
    roles, number = world["roles"], world["case"]
    # Each step runs in a new interpreter: nothing survives in memory between them.
    assert run(external_db, "act", roles["intake"], number, "accept")["status"] == "in_review"
    assert run(external_db, "act", roles["review"], number, "review")["status"] == "pending_decision"
    after_restart = run(external_db, "act", roles["decide"], number, "decide")
    assert after_restart == {"status": "pending_issue", "step": "issue", "version": after_restart["version"]}
    assert run(external_db, "act", roles["issue"], number, "conclude")["status"] == "concluded"
