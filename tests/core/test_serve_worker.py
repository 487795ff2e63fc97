"""Real processes (issue 19, findings 1 and 2): ``tongban serve`` keeps the web up however often
its worker dies, and a task whose worker was killed with ``kill -9`` in the middle is run again
by the next worker once the lease has expired."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.core.test_serve import children_of, free_port, get, wait_for

pytestmark = pytest.mark.slow
TONGBAN = [sys.executable, "-m", "tongban"]


def args_of(pid: int) -> str:
    return subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True).stdout


def worker_of(serve: subprocess.Popen, other_than: int | None = None, timeout: float = 180) -> int:
    """The pid of serve's task worker (a new one when ``other_than`` names the last)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert serve.poll() is None, "serve stopped"
        workers = [pid for pid in children_of(serve.pid) if "db_worker" in args_of(pid)]
        if workers and workers[0] != other_than:
            return workers[0]
        time.sleep(0.1)
    pytest.fail("serve did not start a new worker")


def wait_until(predicate, timeout: float = 180, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_the_web_outlives_a_worker_killed_four_times(external_db, tmp_path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [*TONGBAN, "serve", "--port", str(port), "--workers", "1", "--tick", "0", "--no-static"],
        env=external_db,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(port, "/healthz", serve) == 200
        pid = None
        for _ in range(4):
            pid = worker_of(serve, other_than=pid)
            os.kill(pid, signal.SIGKILL)
            assert get(port, "/healthz")[0] == 200
        worker_of(serve, other_than=pid)
        assert serve.poll() is None
        assert get(port, "/healthz")[0] == 200
        status, body = get(port, "/readyz")
        assert status == 200 and b'"database": {"ok": true}' in body
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert output.count("进程 worker 退出（状态 -9），正在重新启动") == 4, output
    assert serve.returncode == 0, output


def shell(env: dict, code: str) -> str:
    done = subprocess.run(
        [*TONGBAN, "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_worker(env: dict, out) -> subprocess.Popen:
    return subprocess.Popen(
        [*TONGBAN, "db_worker", "--interval", "0.1", "--no-startup-delay"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def test_a_task_killed_mid_run_is_run_again_by_the_next_worker(external_db, tmp_path):
    env = {**external_db, "TONGBAN_TASK_LEASE_SECONDS": "1"}
    log = tmp_path / "log"
    out = (tmp_path / "workers.log").open("w")
    shell(env, f"from tests.core.tasks_for_tests import slow_append; slow_append.enqueue({str(tmp_path)!r})")
    first = start_worker(env, out)
    second = None
    try:
        wait_until(lambda: log.exists() and "started" in log.read_text(), what="the task to start")
        first.kill()
        first.wait()
        (tmp_path / "release").touch()
        second = start_worker(env, out)
        wait_until(lambda: "done" in log.read_text(), what="the task to run again")
        lines = log.read_text().splitlines()
        assert [line.split()[0] for line in lines] == ["started", "started", "done"]
        assert lines[0] == f"started {first.pid}" and lines[1] == f"started {second.pid}"
        if env["DATABASE_URL"].startswith("postgres"):
            # PostgreSQL drops the worker's connections (as in a restart): it reconnects.
            (tmp_path / "log").unlink()
            shell(
                env,
                "from django.db import connection; cursor = connection.cursor(); cursor.execute("
                "'SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()'); "
                "from tests.core.tasks_for_tests import slow_append; "
                f"slow_append.enqueue({str(tmp_path)!r})",
            )
            wait_until(
                lambda: log.exists() and "done" in log.read_text(), what="a task after the lost connection"
            )
            assert log.read_text().splitlines() == [f"started {second.pid}", "done"]
        assert second.poll() is None
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=60) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
        out.close()
