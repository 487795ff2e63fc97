from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongban.core"
    verbose_name = "通办核心"

    def ready(self) -> None:
        from . import anchors, periodic, tasks_queue

        # Also in tick: a stale task is taken up even while every worker runs a long one.
        periodic.register("tasks.reclaim_stale", tasks_queue.reclaim_stale)
        # 留痕: once a day the chain's head is signed and published (/opendata/audit-anchors/).
        periodic.register("audit.anchor_daily", anchors.anchor_daily)
