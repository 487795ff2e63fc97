from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "tongban.decisions"
    verbose_name = "秒批与免申即享"

    def ready(self) -> None:
        from tongban.cases import panels, steps
        from tongban.core import periodic

        from . import instant, offers, pages

        steps.submission_steps.register(
            steps.SubmissionStep("decisions.instant", instant.on_submit, instant.on_submit_many)
        )
        steps.material_providers.register(
            steps.MaterialProvider(
                "decisions.offer", offers.held_for_offer, lambda _a, _u: [], lambda _a: None
            )
        )
        panels.register(panels.CasePanel("decisions.automatic", pages.case_panel))
        periodic.register("decisions.finish_pending", instant.finish_pending)
        periodic.register("decisions.offer_sweep", offers.sweep_all)
