"""Simulation before publishing: a draft version run against what the version in force
decided (past automatic decisions of an item; the registry for a policy), counting the
decisions that would change, with examples."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from tongban.core.masking import mask_id_number
from tongban.core.types import User
from tongban.workflow.dmn import services as dmn
from tongban.workflow.models import DecisionTable

from . import inputs, instant, offers
from .models import AutomaticDecision, Policy

EXAMPLES = 5


@dataclass
class Simulation:
    total: int = 0
    changed: int = 0
    became: dict[str, int] = field(default_factory=dict)  # "grant→deny": count
    examples: list[dict] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.total - self.changed

    def count(self, before: str, after: str, example: dict) -> None:
        self.total += 1
        if before == after:
            return
        self.changed += 1
        key = f"{before}→{after}"
        self.became[key] = self.became.get(key, 0) + 1
        if len(self.examples) < EXAMPLES:
            self.examples.append({"before": before, "after": after, **example})


def simulate_cases(draft: DecisionTable, limit: int = 5000) -> Simulation:
    """Past automatic decisions under the draft's key, decided again by the draft with the
    inputs they were decided on."""
    result = Simulation()
    records = (
        AutomaticDecision.objects.filter(table__key=draft.key, offer__isnull=True)
        .select_related("case")
        .order_by("-pk")[:limit]
    )
    for record in records:
        outcome, error = instant.decide(draft, instant.restore(record.context, record.case.data))
        after, _reason, outputs = instant.interpret(outcome, error)
        result.count(
            record.outcome,
            after,
            {"case": record.case.number, "inputs": record.inputs, "outputs": inputs.plain(outputs)},
        )
    return result


def simulate_policy(
    draft: DecisionTable,
    policy: Policy,
    *,
    actor: User | None = None,
    today: dt.date | None = None,
    people=None,
) -> Simulation:
    """Everyone in the registry (or ``people``): does the draft qualify the same people as the
    version in force? The records are read under the policy department's grant, logged with
    ``actor`` (or the platform's sweep) and the simulation as purpose."""
    today = today or timezone.localdate()
    current = dmn.published(policy.table_key)
    result = Simulation()
    purpose = f"免申即享：{policy.name}（决策表模拟）"
    for record in inputs.registry_people(policy.item.department, purpose, accessor=actor, people=people):
        before = (
            offers.evaluate_person(current, record, today)[0]
            if current
            else AutomaticDecision.Outcome.UNDECIDED
        )
        after, _reason, used, _outputs, _rows = offers.evaluate_person(draft, record, today)
        result.count(
            before,
            after,
            {"person": f"{record.name[:1]}**（{mask_id_number(record.id_number)}）", "inputs": used},
        )
    return result
