"""``tongban db_worker``: django-tasks-db's command, with Tongban's worker
(``tongban.core.tasks_worker``: heartbeat, leases, retries, dead letters, reconnects).

It takes the name of django-tasks-db's own command (``tongban.core`` comes before
``django_tasks_db`` in ``INSTALLED_APPS``), so no worker without leases can be started by
mistake: its tasks would be taken from it as soon as their lease expired.
``TONGBAN_WORKER_READY_FILE`` (set by ``tongban serve``) names a file touched once the worker
has reached the database and is taking tasks.
"""

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from tongban.core.tasks_worker import Worker


class Command(db_worker.Command):
    help = "后台任务处理进程：租约与心跳、失败重试、死信、数据库断开后自动重连。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
            ready_file=os.environ.get("TONGBAN_WORKER_READY_FILE", ""),
        )
        if options["reload"] and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
            return
        worker.configure_signals()
        worker.run()
