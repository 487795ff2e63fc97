"""``tongban tick``: run the periodic duties every app registered (``tongban.core.periodic``):
retrying due message and webhook deliveries, the 7-day default rating, …

Run once (cron) or with ``--loop SECONDS`` (``tongban serve`` does this). Safe to run on
several machines at once: each duty locks or de-duplicates what it touches. A lost database
only fails the duties of one round: connections it broke are closed before the next.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from tongban.core import periodic


class Command(BaseCommand):
    help = "周期任务：重试到期投递、到期默认好评等。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="每隔多少秒执行一次（0 表示只执行一次）")

    def handle(self, *args, **options) -> None:
        while True:
            close_old_connections()
            results = periodic.run_all()
            if options["verbosity"] > 1 or not options["loop"]:
                self.stdout.write("；".join(f"{name}: {count}" for name, count in results.items()))
            if not options["loop"]:
                return
            time.sleep(options["loop"])
