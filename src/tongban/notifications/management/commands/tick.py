"""``tongban tick``: periodic duties — retry due message and webhook deliveries.

Run once (cron) or with ``--loop SECONDS`` (``tongban serve`` does this). Safe to run on
several machines at once: each delivery is locked while it is attempted.
"""

import time

from django.core.management.base import BaseCommand

from tongban.notifications.services import retry_due


class Command(BaseCommand):
    help = "周期任务：重试到期的短信、邮件与 Webhook 投递。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--loop", type=int, default=0, help="每隔多少秒执行一次（0 表示只执行一次）")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        while True:
            count = retry_due()
            if options["verbosity"] > 1 or not options["loop"]:
                self.stdout.write(f"已重新排队 {count} 项投递")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
