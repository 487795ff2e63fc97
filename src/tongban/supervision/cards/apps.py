from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "tongban.supervision.cards"
    label = "supervision_cards"
    verbose_name = "黄牌红牌与督办"

    def ready(self) -> None:
        from tongban.cases.signals import case_event
        from tongban.core import periodic

        from . import services

        periodic.register("supervision_cards.sweep", services.sweep)
        case_event.connect(services.on_case_event, dispatch_uid="supervision_cards.case_event")
