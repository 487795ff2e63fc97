"""``tongban serve``: refuses a taken port, serves pages and static files, stops both processes."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from tongban.core.management.commands.serve import port_problem


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for(port: int, path: str, proc: subprocess.Popen, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early: {proc.stdout.read()}")
        try:
            return get(port, path)[0]
        except OSError:
            time.sleep(0.2)
    pytest.fail("server did not answer")


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(status.stdout.strip()) and not status.stdout.strip().startswith("Z")


def test_port_problem_is_none_for_a_free_port():
    assert port_problem("127.0.0.1", free_port()) is None


def test_port_problem_names_the_taken_port_and_a_way_out(taken_port):
    message = port_problem("127.0.0.1", taken_port)
    assert f"端口 {taken_port} 已被其他程序占用" in message
    assert f"PORT={taken_port + 1}" in message


def test_serve_refuses_a_taken_port(taken_port):
    with pytest.raises(CommandError, match="已被其他程序占用"):
        call_command("serve", "--port", str(taken_port))


def test_serve_refuses_to_start_nothing():
    with pytest.raises(CommandError, match="不能同时使用"):
        call_command("serve", "--no-web", "--no-worker")


def test_serve_runs_web_worker_and_tick_serves_static_files_and_stops_all_on_ctrl_c(external_db, tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tongban", "serve", "--port", str(port)],
        env={**external_db, "TONGBAN_VAR_DIR": str(tmp_path / "var")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(port, "/healthz", proc) == 200
        status, body = get(port, "/static/web/site.css")
        assert status == 200
        assert body == (tmp_path / "var" / "static" / "web" / "site.css").read_bytes()
        children = children_of(proc.pid)
        commands = [
            subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True).stdout
            for pid in children
        ]
        assert len(children) == 3
        assert any("granian" in c for c in commands)
        assert any("db_worker" in c for c in commands)
        assert any("tick --loop 60" in c for c in commands)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "通办已停止" in output
    assert not [pid for pid in children if alive(pid)]
    with pytest.raises(OSError):
        get(port, "/healthz")


def test_serve_restarts_a_dying_worker_then_stops_everything_and_fails(tmp_path):
    """The task worker cannot run on a database without tables: restarted, then serve gives up."""
    env = {**os.environ, "TONGBAN_VAR_DIR": str(tmp_path / "var")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    proc = subprocess.run(
        [sys.executable, "-m", "tongban", "serve", "--no-web", "--tick", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("进程 worker 退出（状态 1），正在重新启动") == 3
    assert "进程 worker 意外退出" in proc.stderr
