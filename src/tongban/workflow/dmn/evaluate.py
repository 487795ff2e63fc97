"""Evaluating decision tables under the seven hit policies of DMN 1.3 (§8.2.11).

SpiffWorkflow's own ``DMNEngine`` knows only UNIQUE (taking the first hit, so a violation goes
unnoticed) and COLLECT; here every policy is applied as the standard defines it, with
UNIQUE's and ANY's violations reported instead of hidden.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import feel
from .model import Column, Definitions, Rule, Table


@dataclass(frozen=True)
class Outcome:
    """What one decision gave: its ``value`` (a value, a context of several outputs, a list for
    the multiple-hit policies, an aggregate) or ``error``; the rows that fired, and the inputs."""

    decision: str
    hit_policy: str
    value: Any
    rows: tuple[int, ...] = ()
    rule_ids: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def matched(self) -> bool:
        return bool(self.rows) and not self.error


class EvaluationError(ValueError):
    pass


def _rule_output(table: Table, rule: Rule, context: dict) -> Any:
    values = []
    for column, text in zip(table.outputs, rule.outputs, strict=True):
        value = feel.evaluate(text, context) if text else None
        values.append(feel.coerce(value, column.type_ref))
    if len(table.outputs) == 1:
        return values[0]
    return {column.label: value for column, value in zip(table.outputs, values, strict=True)}


def _priority(table: Table, rule: Rule, context: dict) -> tuple[int, ...]:
    """Lower is more important: each output's position in its ``outputValues`` list."""
    key = []
    for column, text in zip(table.outputs, rule.outputs, strict=True):
        value = feel.evaluate(text, context) if text else None
        ranked = [feel.evaluate(v, context) for v in column.values]
        position = next((i for i, v in enumerate(ranked) if feel.equal(v, value) is True), len(ranked))
        key.append(position)
    return tuple(key)


def input_values(table: Table, context: dict) -> dict[str, Any]:
    """Each input column's value, by its label."""
    return {column.label: _input(column, context) for column in table.inputs}


def _input(column: Column, context: dict) -> Any:
    return feel.coerce(feel.evaluate(column.expression, context), column.type_ref)


def evaluate_table(table: Table, context: dict) -> Outcome:
    scope = {k: feel.coerce(v, None) for k, v in context.items()}
    values = [_input(column, scope) for column in table.inputs]
    inputs = {column.label: value for column, value in zip(table.inputs, values, strict=True)}
    hits = [
        rule
        for rule in table.rules
        if all(feel.matches(tests, value, scope) for tests, value in zip(rule.tests, values, strict=True))
    ]
    policy = table.hit_policy

    def outcome(value: Any, fired: list[Rule], error: str = "") -> Outcome:
        return Outcome(
            decision=table.name,
            hit_policy=policy + (f" {table.aggregation}" if table.aggregation else ""),
            value=value,
            rows=tuple(r.row for r in fired),
            rule_ids=tuple(r.id for r in fired),
            inputs=inputs,
            error=error,
        )

    if policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST"):
        if not hits:
            return outcome(None, [])
        if policy == "FIRST":
            return outcome(_rule_output(table, hits[0], scope), hits[:1])
        if policy == "UNIQUE":
            if len(hits) > 1:
                rows = "、".join(str(r.row) for r in hits)
                return outcome(None, hits, f"UNIQUE 策略下同时命中了第 {rows} 条规则。")
            return outcome(_rule_output(table, hits[0], scope), hits)
        if policy == "ANY":
            outputs = [_rule_output(table, r, scope) for r in hits]
            if any(feel.equal(outputs[0], other) is not True for other in outputs[1:]):
                rows = "、".join(str(r.row) for r in hits)
                return outcome(None, hits, f"ANY 策略下命中的第 {rows} 条规则输出不一致。")
            return outcome(outputs[0], hits)
        best = min(hits, key=lambda r: _priority(table, r, scope))  # min is stable: first wins ties
        return outcome(_rule_output(table, best, scope), [best])

    if policy == "OUTPUT ORDER":
        hits = sorted(hits, key=lambda r: _priority(table, r, scope))
    outputs = [_rule_output(table, r, scope) for r in hits]
    if policy != "COLLECT" or not table.aggregation:
        return outcome(outputs, hits)
    return _aggregate(table.aggregation, outputs, outcome, hits)


def _aggregate(aggregation: str, outputs: list, outcome: Any, hits: list[Rule]) -> Outcome:
    if aggregation == "COUNT":
        distinct: list = []
        for value in outputs:
            if not any(feel.equal(value, seen) is True for seen in distinct):
                distinct.append(value)
        return outcome(Decimal(len(distinct)), hits)
    if not outputs:
        return outcome(None, hits)
    if aggregation == "SUM":
        if not all(isinstance(v, Decimal) for v in outputs):
            return outcome(None, hits, "SUM 汇总的输出必须都是数字。")
        return outcome(sum(outputs, Decimal(0)), hits)
    if any(feel.compare("<", outputs[0], v) is None and not feel.equal(outputs[0], v) for v in outputs[1:]):
        return outcome(None, hits, f"{aggregation} 汇总的输出无法相互比较。")
    if any(v is None for v in outputs):
        return outcome(None, hits, f"{aggregation} 汇总的输出中有空值。")
    return outcome(min(outputs) if aggregation == "MIN" else max(outputs), hits)


def evaluate(definitions: Definitions, decision: str, context: dict, _seen: tuple[str, ...] = ()) -> Outcome:
    """The decision ``decision`` over ``context`` (input data by name); a decision it requires
    is evaluated first and its value joins the context under its name."""
    table = definitions.tables.get(decision)
    if table is None:
        raise EvaluationError(f"没有名为“{decision}”的决策表。")
    if decision in _seen:
        raise EvaluationError(f"决策“{decision}”循环依赖自身。")
    scope = dict(context)
    for required in table.required_decisions:
        if required not in scope:
            scope[required] = evaluate(definitions, required, scope, (*_seen, decision)).value
    return evaluate_table(table, scope)
