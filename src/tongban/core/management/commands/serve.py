"""``tongban serve``: the web server (granian WSGI) and the background worker on one machine.

Web processes use WSGI with a small fixed thread count: measured on these machines this is
several times faster than ASGI or many blocking threads (DESIGN §8). Static files are collected
into ``STATIC_ROOT`` and served by WhiteNoise inside the application, with the pages' security
headers (granian's own file serving cannot add them).

With the worker comes the periodic ``tongban tick --loop`` (when that command exists). A worker
or tick process that dies is restarted, after 0.5 s doubling with each death in a row up to a
minute, for as long as it takes: the web server never stops because of them (a worker killed
four times once took the site down). A death in a row is one before the child was ready (the
worker touched its ready file, or the child ran a minute). Only without a web server
(``--no-web``) does a worker that never gets ready, three restarts in a row, end ``serve`` with
a non-zero exit, for the machine's own supervisor to see. The web server dying stops everything.

The children run in their own process group: a Ctrl+C in the terminal reaches only this
command, which then asks each child exactly once to stop. (The task worker treats a second
interrupt as "abort the running task", which a shared process group would cause.)
"""

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT_SECONDS = 20
RESTARTS_ALLOWED = 3  # in a row, before ready, and only when there is no web server to keep
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 60.0
READY_AFTER_SECONDS = 60.0


class Child:
    """One supervised process: how to start it, how to ask it to stop, whether to restart it,
    and when it is due to be started again."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        env: dict[str, str],
        *,
        stop_signal: int,
        restart: bool,
        ready_file: Path | None = None,
    ):
        self.name, self.cmd, self.stop_signal, self.restart = name, cmd, stop_signal, restart
        self.ready_file = ready_file
        self.env = {**env, "TONGBAN_WORKER_READY_FILE": str(ready_file)} if ready_file else env
        self.failures = 0
        self.restart_at: float | None = None
        self.proc = self.start()

    def start(self) -> subprocess.Popen:
        if self.ready_file is not None:
            self.ready_file.unlink(missing_ok=True)
        self.started, self.restart_at = time.monotonic(), None
        return subprocess.Popen(self.cmd, env=self.env, process_group=0)

    def was_ready(self) -> bool:
        if self.ready_file is not None and self.ready_file.exists():
            return True
        return time.monotonic() - self.started >= READY_AFTER_SECONDS

    def backoff(self, *, may_give_up: bool) -> float | None:
        """Seconds to wait before the next start after a death, or None to give up."""
        self.failures = 1 if self.was_ready() else self.failures + 1
        if may_give_up and self.failures > RESTARTS_ALLOWED:
            return None
        return min(FIRST_BACKOFF_SECONDS * 2 ** (self.failures - 1), MAX_BACKOFF_SECONDS)


def port_problem(host: str, port: int) -> str | None:
    """Say why ``host:port`` cannot be listened on, or None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"端口 {port} 已被其他程序占用。请先停止它，或换一个端口，例如：make run PORT={port + 1}"
                )
            return f"无法监听 {host}:{port}：{exc.strerror}"
    return None


def public_url_for(host: str, port: int) -> str:
    """The public address links and QR codes use: ``TONGBAN_PUBLIC_URL`` when it was set,
    otherwise this server's own address (a wildcard host is reached as 127.0.0.1)."""
    configured = os.environ.get("TONGBAN_PUBLIC_URL", "").strip()
    if configured:
        return configured
    if host in {"0.0.0.0", "::", "[::]", ""}:  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "启动通办：网页服务（granian WSGI）与后台任务处理进程。"
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        env = os.environ.get
        parser.add_argument("--host", default=env("TONGBAN_HOST", "127.0.0.1"), help="监听地址")
        parser.add_argument("--port", type=int, default=int(env("TONGBAN_PORT", "8000")), help="监听端口")
        parser.add_argument(
            "--workers", type=int, default=int(env("TONGBAN_WEB_WORKERS", "2")), help="网页服务进程数"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(env("TONGBAN_WEB_THREADS", "1")),
            help="每个网页服务进程的线程数（granian --blocking-threads）",
        )
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务处理进程")
        parser.add_argument("--no-web", action="store_true", help="只启动后台任务处理进程")
        parser.add_argument(
            "--no-static", action="store_true", help="不收集、不提供静态文件（由前端服务器提供时）"
        )
        parser.add_argument("--access-log", action="store_true", help="输出访问日志")
        parser.add_argument(
            "--tick",
            type=int,
            default=int(env("TONGBAN_TICK_SECONDS", "60")),
            help="周期任务（tongban tick）的间隔秒数，0 表示不运行；随后台任务进程一起启动",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["no_web"] and opts["no_worker"]:
            raise CommandError("--no-web 与 --no-worker 不能同时使用。")
        if not opts["no_web"]:
            problem = port_problem(opts["host"], opts["port"])
            if problem:
                raise CommandError(problem)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tongban.settings"),
            "TONGBAN_PUBLIC_URL": public_url_for(opts["host"], opts["port"]),
        }
        tongban = [sys.executable, "-m", "tongban"]
        children = []
        run_dir = Path(tempfile.mkdtemp(prefix="tongban-serve-"))
        if not opts["no_web"]:
            if not opts["no_static"]:
                call_command("collectstatic", interactive=False, verbosity=0)
            children.append(
                Child("web", self.web_command(opts), env, stop_signal=signal.SIGINT, restart=False)
            )
        if not opts["no_worker"]:
            # SIGINT lets the task worker finish the task it is running.
            children.append(
                Child(
                    "worker",
                    [*tongban, "db_worker"],
                    env,
                    stop_signal=signal.SIGINT,
                    restart=True,
                    ready_file=run_dir / "worker.ready",
                )
            )
            if opts["tick"] > 0 and "tick" in get_commands():
                # The tick only sleeps between short transactions: SIGTERM ends it without a traceback.
                tick = [*tongban, "tick", "--loop", str(opts["tick"])]
                children.append(Child("tick", tick, env, stop_signal=signal.SIGTERM, restart=True))
        if not opts["no_web"]:
            self.stdout.write(f"通办已启动：http://{opts['host']}:{opts['port']}/  （按 Ctrl+C 退出）")
            self.stdout.write(f"链接与二维码使用的公开地址：{env['TONGBAN_PUBLIC_URL']}")
        try:
            failed = self.supervise(children)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        if failed:
            raise CommandError(f"进程 {failed} 意外退出，已停止全部进程。")

    @staticmethod
    def web_command(opts: dict[str, Any]) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            opts["host"],
            "--port",
            str(opts["port"]),
            "--workers",
            str(opts["workers"]),
            "--blocking-threads",
            str(opts["threads"]),
            "--no-ws",
            "--respawn-failed-workers",
        ]
        if opts["access_log"]:
            cmd.append("--access-log")
        # Static files are served inside the application (tongban.core.staticfiles), not by
        # granian's file serving, which cannot add the security headers.
        return [*cmd, "tongban.wsgi:application"]

    def supervise(self, children: list[Child]) -> str | None:
        """Run until asked to stop or until a child dies for good; stop all; return its name."""
        stopping = False

        def ask_to_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {
            sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        failed = None
        may_give_up = not any(child.name == "web" for child in children)
        try:
            while not stopping:
                for child in children:
                    if stopping:
                        break
                    if child.restart_at is not None:
                        if time.monotonic() >= child.restart_at:
                            child.proc = child.start()
                        continue
                    code = child.proc.poll()
                    if code is None:
                        continue
                    wait = child.backoff(may_give_up=may_give_up) if child.restart else None
                    if wait is None:
                        failed, stopping = child.name, True
                        continue
                    self.stderr.write(
                        f"进程 {child.name} 退出（状态 {code}），正在重新启动（{wait:g} 秒后）。"
                    )
                    child.restart_at = time.monotonic() + wait
                time.sleep(0.2)
        finally:
            self.stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return failed

    def stop_all(self, children: list[Child]) -> None:
        for child in children:
            if child.proc.poll() is None:
                child.proc.send_signal(child.stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"进程 {child.name} 未能在 {STOP_TIMEOUT_SECONDS} 秒内退出，强制结束。")
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait()
        self.stdout.write("通办已停止。")
