"""A province deployment on one machine, every "machine" a process group on 127.0.0.1.

- ``Postgres``: a primary cluster and a streaming replica made from it with ``pg_basebackup -R``;
- ``PgBouncer``: Debian's pgbouncer in transaction mode in front of the primary;
- ``Node``: ``tongban serve`` as a web node (``--no-worker``) or a worker node (``--no-web``),
  each with its own ``TONGBAN_VAR_DIR`` (machine-local) and the shared upload directory;
- ``Balancer``: a small round-robin HTTP proxy, as a load balancer in front of the web nodes
  (it retries another node only when a node refuses the connection, as haproxy does).

Used by the fault suite (``tests/fault/suite.py``) and the several-machines benchmark
(``bench/machines.py``).
"""

import http.client
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from pgcluster import find_pgbin, free_port  # noqa: E402

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}


def runas() -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root: run them as ``postgres`` then."""
    if os.geteuid() != 0:
        return []
    subprocess.run(["id", "postgres"], check=True, capture_output=True)
    return ["runuser", "-u", "postgres", "--"]


def give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres")
        for parent in path.parents:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o001)


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Postgres:
    """One cluster; ``replica_of`` makes it a streaming replica of another with pg_basebackup."""

    def __init__(self, datadir: Path, *, settings: dict[str, str] | None = None) -> None:
        self.pgbin = find_pgbin()
        self.datadir = datadir
        self.port = free_port()
        self.runas = runas()
        self.settings = {"fsync": "off", "max_connections": "200", "timezone": "UTC", **(settings or {})}

    @property
    def url(self) -> str:
        return f"postgres://tongban@127.0.0.1:{self.port}/tongban"

    def _ctl(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [
            *self.runas,
            str(self.pgbin / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "log"),
        ]
        return subprocess.run([*cmd, *args], check=True, stdout=subprocess.DEVNULL)

    def _options(self) -> str:
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.datadir} "
        return opts + " ".join(f"-c {k}={v}" for k, v in self.settings.items())

    def init(self) -> None:
        self.datadir.mkdir(parents=True)
        give_to_postgres(self.datadir)
        self.datadir.chmod(0o700)
        subprocess.run(
            [
                *self.runas,
                str(self.pgbin / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "tongban",
                "--auth=trust",
            ]
            + ["-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()
        subprocess.run(
            [
                str(self.pgbin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "tongban",
                "tongban",
            ],
            check=True,
        )

    def replica(self, datadir: Path) -> "Postgres":
        """A hot standby streaming from this cluster, started."""
        standby = Postgres(datadir, settings=self.settings)
        datadir.mkdir(parents=True)
        give_to_postgres(datadir)
        datadir.chmod(0o700)
        subprocess.run(
            [*self.runas, str(self.pgbin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "tongban", "-D", str(datadir), "-R", "-X", "stream", "-c", "fast"],
            check=True,
        )
        standby.start()
        return standby

    def start(self) -> None:
        self._ctl("-w", "-t", "60", "-o", self._options(), "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-m", mode, "stop")

    def restart(self, mode: str) -> None:
        self._ctl("-w", "-t", "60", "-m", mode, "-o", self._options(), "restart")

    def cleanup(self) -> None:
        subprocess.run(
            [*self.runas, str(self.pgbin / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()


class PgBouncer:
    """Debian's pgbouncer in transaction mode, trusting loopback like the test clusters."""

    def __init__(self, workdir: Path, primary: Postgres, *, pool_size: int = 20) -> None:
        self.workdir, self.port = workdir, free_port()
        workdir.mkdir(parents=True)
        (workdir / "userlist.txt").write_text('"tongban" ""\n')
        user = "user = postgres\n" if os.geteuid() == 0 else ""
        (workdir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"tongban = host=127.0.0.1 port={primary.port} dbname=tongban\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {workdir / 'userlist.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 1000\n"
            "server_reset_query =\nserver_login_retry = 1\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {workdir / 'pgbouncer.log'}\npidfile = {workdir / 'pgbouncer.pid'}\n{user}"
        )
        give_to_postgres(workdir)
        self.proc = subprocess.Popen(
            [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(workdir / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        wait_port(self.port)

    @property
    def url(self) -> str:
        return f"postgres://tongban@127.0.0.1:{self.port}/tongban"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Node:
    """``tongban serve`` as one machine: a web node or a worker node."""

    def __init__(
        self, name: str, role: str, env: dict[str, str], workdir: Path, *, web_workers: int = 2
    ) -> None:
        self.name, self.role = name, role
        self.port = free_port() if role == "web" else None
        self.var = workdir / name
        self.var.mkdir(parents=True, exist_ok=True)
        self.env = {**env, "TONGBAN_VAR_DIR": str(self.var)}
        self.web_workers = web_workers
        self.log = (self.var / "serve.log").open("ab")
        self.proc: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> None:
        cmd = [sys.executable, "-m", "tongban", "serve"]
        if self.role == "web":
            cmd += [
                "--no-worker",
                "--no-static",
                "--port",
                str(self.port),
                "--workers",
                str(self.web_workers),
            ]
        else:
            cmd += ["--no-web", "--tick", "5"]
        self.proc = subprocess.Popen(
            cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, process_group=0, cwd=self.var
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 300.0) -> None:
        """A web node answers /healthz; a worker node runs its task worker."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.var / 'serve.log'}"
                )
            if self.port is None and self.processes("db_worker"):
                return
            if self.port is not None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return
                except OSError:
                    pass
                finally:
                    conn.close()
            time.sleep(0.3)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def processes(self, needle: str) -> list[int]:
        """Descendants of this node whose command line contains ``needle``."""
        if not self.alive():
            return []
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            for child in children(pid):
                todo.append(child)
                if needle in cmdline(child):
                    found.append(child)
        return found

    def web_worker_pids(self) -> list[int]:
        """granian's worker processes (children of the granian main process)."""
        if not self.alive():
            return []
        mains = [c for c in children(self.proc.pid) if "granian" in cmdline(c)]
        return [w for m in mains for w in children(m)]

    def descendants(self) -> list[int]:
        found, todo = [], [self.proc.pid] if self.alive() else []
        while todo:
            kids = children(todo.pop())
            found += kids
            todo += kids
        return found

    def kill(self) -> None:
        """The whole machine gone at once: kill -9 of every process it runs (each child of
        ``tongban serve`` has a process group of its own)."""
        if self.alive():
            for pid in [self.proc.pid, *self.descendants()]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait()

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Balancer:
    """Round-robin HTTP proxy on 127.0.0.1: skips a node that refuses connections for 2 s."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.down_until = dict.fromkeys(backends, 0.0)
        self.answered = dict.fromkeys(backends, 0)
        self._next = itertools.cycle(range(len(backends)))
        self._lock = threading.Lock()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _proxy(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                answer = balancer.forward(self.command, self.path, headers, body)
                if answer is None:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, reply_headers, data = answer
                self.send_response(status)
                for key, value in reply_headers:
                    if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = _proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that gave up before the answer came is not the balancer's error.
        self.server.handle_error = lambda request, address: None
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def pick(self) -> list[int]:
        with self._lock:
            start = next(self._next)
        order = self.backends[start:] + self.backends[:start]
        now = time.monotonic()
        return [p for p in order if self.down_until[p] <= now] or order

    def forward(self, method: str, path: str, headers: dict, body: bytes | None) -> tuple | None:
        for port in self.pick():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.connect()
            except OSError:
                self.down_until[port] = time.monotonic() + 2
                conn.close()
                continue
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.answered[port] += 1
                return response.status, response.getheaders(), data
            except (OSError, http.client.HTTPException):
                # Sent, and the node died before answering: the client decides whether to retry.
                return None
            finally:
                conn.close()
        return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
