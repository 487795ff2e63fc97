"""A throwaway PostgreSQL cluster on 127.0.0.1 at a free port, for benchmarks.

Like ``.ci/run``: the newest ``/usr/lib/postgresql/*/bin`` (installed with apt when missing),
``initdb`` as the ``postgres`` user when we are root (initdb refuses root), trust
authentication on loopback only, removed on exit unless kept for ``--reuse``.
"""

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pgbin() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name.split(".")[0])
    )
    if not candidates or not (candidates[-1] / "initdb").exists():
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "postgresql"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return find_pgbin()
    return candidates[-1]


@contextmanager
def cluster(datadir: Path, *, keep: bool = False, settings: dict[str, str] | None = None):
    """Start (initialising if needed) a cluster in ``datadir``; yield its DATABASE_URL."""
    pgbin = find_pgbin()
    runas = []
    if os.geteuid() == 0:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
        runas = ["runuser", "-u", "postgres", "--"]
    fresh = not (datadir / "PG_VERSION").exists()
    if fresh:
        datadir.mkdir(parents=True, exist_ok=True)
        if runas:
            for parent in [datadir, *datadir.parents]:
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o001)
            shutil.chown(datadir, "postgres")
            datadir.chmod(0o700)
        subprocess.run(
            [*runas, str(pgbin / "initdb"), "-D", str(datadir), "-U", "tongban", "--auth=trust"]
            + ["-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    options = {"shared_buffers": "512MB", "max_connections": "100", **(settings or {})}
    opts = f"-h 127.0.0.1 -p {port} -k {datadir} " + " ".join(f"-c {k}={v}" for k, v in options.items())
    ctl = [*runas, str(pgbin / "pg_ctl"), "-D", str(datadir), "-l", str(datadir / "server.log")]
    subprocess.run([*ctl, "-w", "-t", "60", "-o", opts, "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        if fresh:
            subprocess.run(
                [str(pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "tongban", "tongban"],
                check=True,
            )
        yield f"postgres://tongban@127.0.0.1:{port}/tongban"
    finally:
        subprocess.run([*ctl, "-m", "fast", "stop"], check=False, stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        if not keep:
            shutil.rmtree(datadir, ignore_errors=True)


def server_version(pgbin: Path | None = None) -> str:
    pgbin = pgbin or find_pgbin()
    out = subprocess.run([str(pgbin / "postgres"), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip().rsplit(" ", 1)[-1]
