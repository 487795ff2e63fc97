"""Demo data of cards: two cases left well past their 法定期限 (so the city supervisor has red
cards to 督办 as shipped), then the sweep ``tongban tick`` runs daily, which also raises the
yellow cards of the demo's overdue queue cases and whatever other trigger the demo shows.

The cases are applied for and handled through the cases services like every demo case and then
moved back in time as a whole (``tongban.demo.cases._backdate``). Idempotent: a scenario
already present is skipped, and the sweep never raises a card twice.
"""

from django.db import transaction

from tongban.cases import clock
from tongban.cases.models import Case
from tongban.demo.cases import (
    AGENT,
    LEGAL_REP,
    REVIEW,
    RS,
    SJ,
    Scenario,
    _backdate,
    _dates,
    _drive,
    _staff,
    _submit,
)
from tongban.demo.configure import item
from tongban.identity.models import User

from . import rules, services

SCENARIOS = [
    Scenario("demo:cards01", AGENT, RS, "就业技能培训补贴申请", REVIEW),
    Scenario("demo:cards02", LEGAL_REP, SJ, "食品小作坊备案发放", REVIEW, for_enterprise=True),
]


def _days_past_red(case: Case) -> int:
    """How far back to move the case so that its supervision deadline passed two days ago."""
    today = clock.today()
    for days in range(1, 400):
        red = rules.red_deadline(_dates(case, days))
        if red is not None and today > red:
            return days + 2
    return 400


def load(out=None, **_: object) -> str:
    present = set(
        Case.objects.filter(idempotency_key__in=[s.key for s in SCENARIOS]).values_list(
            "idempotency_key", flat=True
        )
    )
    made = 0
    for scenario in SCENARIOS:
        if scenario.key in present:
            continue
        with transaction.atomic():
            user = User.objects.get(username=scenario.applicant)
            case = _submit(scenario, item(scenario.department, scenario.item), user)
            case = _drive(case, scenario.target, _staff(scenario.department))
            _backdate(case, _days_past_red(case))
        made += 1
    raised = services.sweep()
    return f"{made} 件超过法定期限的办件；亮牌 {raised} 张"
