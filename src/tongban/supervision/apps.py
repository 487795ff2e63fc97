from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "tongban.supervision"
    label = "supervision"
    verbose_name = "电子监察"

    def ready(self) -> None:
        from tongban.cases import steps
        from tongban.core import periodic

        from . import rollups, tasks

        if "supervision.rollups" not in steps.event_observers:
            steps.event_observers.register(
                steps.EventObserver("supervision.rollups", tasks.on_case_event, tasks.on_case_events)
            )
        # The safety net: the chain since the cursor (a lost enqueue), and the cases that fell
        # overdue overnight, which no event announces.
        periodic.register("supervision.rollups", rollups.catch_up)
