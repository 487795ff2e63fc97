"""``tongban serve``: the web server (granian WSGI) and the background worker on one machine.

Web processes use WSGI with a small fixed thread count: measured on these machines this is
several times faster than ASGI or many blocking threads (DESIGN §8). Static files are collected
into ``STATIC_ROOT`` and served by granian itself, so no Python code runs for them.

The children run in their own process group: a Ctrl+C in the terminal reaches only this
command, which then asks each child exactly once to stop. (The task worker treats a second
interrupt as "abort the running task", which a shared process group would cause.)
"""

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT_SECONDS = 20


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

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["no_web"] and opts["no_worker"]:
            raise CommandError("--no-web 与 --no-worker 不能同时使用。")
        if not opts["no_web"]:
            problem = port_problem(opts["host"], opts["port"])
            if problem:
                raise CommandError(problem)
        commands = []
        if not opts["no_web"]:
            if not opts["no_static"]:
                call_command("collectstatic", interactive=False, verbosity=0)
            commands.append(("web", self.web_command(opts)))
        if not opts["no_worker"]:
            commands.append(("worker", [sys.executable, "-m", "tongban", "db_worker"]))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tongban.settings"),
        }
        procs = {name: subprocess.Popen(cmd, env=env, process_group=0) for name, cmd in commands}
        if not opts["no_web"]:
            self.stdout.write(f"通办已启动：http://{opts['host']}:{opts['port']}/  （按 Ctrl+C 退出）")
        failed = self.supervise(procs)
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
        if not opts["no_static"]:
            cmd += ["--static-path-route", settings.STATIC_URL.rstrip("/")]
            cmd += ["--static-path-mount", str(settings.STATIC_ROOT)]
        return [*cmd, "tongban.wsgi:application"]

    def supervise(self, procs: dict[str, subprocess.Popen]) -> str | None:
        """Wait until asked to stop or until a child dies; stop all; return the dead child's name."""
        stopping = False

        def ask_to_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {
            sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        failed = None
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        failed = name
                        stopping = True
                        break
                else:
                    time.sleep(0.2)
        finally:
            self.stop_all(procs)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return failed

    def stop_all(self, procs: dict[str, subprocess.Popen]) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, proc in procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"进程 {name} 未能在 {STOP_TIMEOUT_SECONDS} 秒内退出，强制结束。")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.stdout.write("通办已停止。")
