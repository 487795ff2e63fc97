"""``tongban serve``: web (granian WSGI) + background worker on one machine.

Web processes use WSGI with a small fixed thread count: measured on these machines this is
several times faster than ASGI or many blocking threads (DESIGN §8).
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动通办：网页服务（granian WSGI）与后台任务处理进程。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--host", default=os.environ.get("TONGBAN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TONGBAN_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("TONGBAN_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("TONGBAN_WEB_THREADS", "1")))
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, **opts) -> None:  # noqa: ANN002, ANN003
        call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tongban.settings"}
        web = [
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
            "--static-path-route",
            "/static",
            "--static-path-mount",
            str(self._static_root()),
            "tongban.wsgi:application",
        ]
        procs = [subprocess.Popen(web, env=env)]
        if not opts["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "tongban", "db_worker"], env=env))
        self.stdout.write(f"通办已启动：http://{opts['host']}:{opts['port']}/  （Ctrl+C 退出）")

        def stop(*_: object) -> None:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for proc in procs:
                proc.wait(timeout=15)

    @staticmethod
    def _static_root() -> str:
        from django.conf import settings

        return str(settings.STATIC_ROOT)
