"""SMS rate limits hold across web processes: two real servers share one database.

Each server is a separate ``tongban runserver --noreload`` process on its own free port,
against a fresh file SQLite database (or, when DATABASE_URL names PostgreSQL, a fresh
PostgreSQL database). Requests alternate and run concurrently between the two; the limits
must count every request whichever process served it.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
PER_IP_LIMIT = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        name = f"tb_mp_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        yield base.rsplit("/", 1)[0] + "/" + name
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('mp') / 'shared.sqlite3'}"


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TONGBAN_VAR_DIR": str(var_dir),
        "TONGBAN_TESTING": "1",
        "TONGBAN_SMS_BACKEND": "outbox",
        "TONGBAN_SMS_LIMIT_PER_IP_HOUR": str(PER_IP_LIMIT),
        "TONGBAN_CONN_MAX_AGE": "0",
        "DJANGO_SETTINGS_MODULE": "tongban.settings",
    }
    tongban = [sys.executable, "-m", "tongban"]
    subprocess.run([*tongban, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=600)
    subprocess.run([*tongban, "createcachetable"], env=env, check=True, timeout=120)
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [*tongban, "runserver", "--noreload", f"127.0.0.1:{port}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/account/register/", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"server {url} did not start"
                time.sleep(0.5)
        yield urls, Path(var_dir) / "outbox" / "sms.jsonl"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def send_code(base_url: str, mobile: str) -> str:
    """One browser-like visit: fetch the form (CSRF cookie), then press 获取验证码."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/account/register/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/account/register/",
            data={"csrfmiddlewaretoken": token, "mobile": mobile, "action": "send_code"},
            headers={"Referer": f"{base_url}/account/register/"},
        )
        assert response.status_code in (200, 400)
        return response.text


def sent_to(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [json.loads(line)["mobile"] for line in outbox.read_text(encoding="utf-8").splitlines()]


def test_limits_hold_across_two_server_processes(servers):
    (first, second), outbox = servers
    assert first != second

    # Per number: one code a minute, even when the second request goes to the other process.
    assert "验证码已发送" in send_code(first, "13700000001")
    assert "1 分钟后再试" in send_code(second, "13700000001")
    assert sent_to(outbox).count("13700000001") == 1

    # Per IP: PER_IP_LIMIT codes an hour in all. Concurrent requests for different numbers,
    # spread over both processes, may not get more than the limit between them.
    mobiles = [f"137000001{n:02d}" for n in range(10)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(pool.map(lambda i: send_code((first, second)[i % 2], mobiles[i]), range(len(mobiles))))
    accepted = [p for p in pages if "验证码已发送" in p]
    refused = [p for p in pages if "该网络获取验证码过于频繁" in p]
    # The first number above already used one of this IP's codes.
    assert len(accepted) == PER_IP_LIMIT - 1
    assert len(refused) == len(mobiles) - len(accepted)
    assert len(sent_to(outbox)) == PER_IP_LIMIT
