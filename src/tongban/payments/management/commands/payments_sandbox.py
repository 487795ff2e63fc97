"""``tongban payments_sandbox``: run the sandbox payment provider (``tongban serve`` starts it)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from tongban.payments import conf, sandbox


class Command(BaseCommand):
    help = "运行沙箱支付渠道（支付宝、微信支付接口形态，测试密钥，不发生真实扣款）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="端口，0 表示自动选择")

    def handle(self, *args: Any, **opts: Any) -> None:
        folder = conf.ensure_sandbox_keys()
        server, app = sandbox.serve(folder, opts["host"], opts["port"])
        self.stdout.write(f"沙箱支付渠道：{app.base}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
