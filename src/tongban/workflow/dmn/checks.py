"""The checks a table passes before it may decide anything, each problem in Chinese: inputs the
platform does not know, rules that overlap where the hit policy forbids it (UNIQUE; ANY with
different outputs) and rules that can never fire (an entry no value satisfies, or under FIRST a
rule every case of which an earlier rule already takes).

Each input entry is turned into the set of values it accepts, a union of intervals over the
column's ordered values (numbers, strings, dates, booleans alike: ``"High"`` is the interval
``["High".."High"]``, ``not("High")`` its complement); entries that name other inputs are
left out of the analysis (they can only be judged case by case), so a reported problem is
certain.
"""

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import feel
from .model import Definitions, Rule, Table

Known = set[str] | frozenset[str] | Mapping[str, "set[str] | frozenset[str] | None"]
Interval = tuple[Any, bool, Any, bool]  # low (None: unbounded), low closed, high, high closed
EVERYTHING: list[Interval] = [(None, False, None, False)]


@dataclass(frozen=True)
class Problem:
    decision: str
    message: str

    def __str__(self) -> str:
        return f"决策“{self.decision}”：{self.message}"


def _lower_key(interval: Interval) -> tuple:
    low, closed = interval[0], interval[1]
    return (0,) if low is None else (1, low, 0 if closed else 1)


def _empty(interval: Interval) -> bool:
    low, low_closed, high, high_closed = interval
    if low is None or high is None:
        return False
    try:
        return low > high or (low == high and not (low_closed and high_closed))
    except TypeError:
        return True


def _intersection(a: Interval, b: Interval) -> Interval | None:
    try:
        if a[0] is None or (b[0] is not None and (b[0] > a[0] or (b[0] == a[0] and not b[1]))):
            low = (b[0], b[1])
        else:
            low = (a[0], a[1])
        if a[2] is None or (b[2] is not None and (b[2] < a[2] or (b[2] == a[2] and not b[3]))):
            high = (b[2], b[3])
        else:
            high = (a[2], a[3])
    except TypeError:
        return None  # values of different kinds: no value satisfies both
    result = (low[0], low[1], high[0], high[1])
    return None if _empty(result) else result


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Disjoint, sorted, touching intervals joined."""
    try:
        ordered = sorted((i for i in intervals if not _empty(i)), key=_lower_key)
    except TypeError:
        return intervals
    merged: list[Interval] = []
    for current in ordered:
        if merged:
            last = merged[-1]
            touches = last[2] is None or (
                current[0] is not None
                and (current[0] < last[2] or (current[0] == last[2] and (last[3] or current[1])))
            )
            if touches:
                if last[2] is None or current[2] is None:
                    high = (None, False)
                elif current[2] > last[2] or (current[2] == last[2] and current[3]):
                    high = (current[2], current[3])
                else:
                    high = (last[2], last[3])
                merged[-1] = (last[0], last[1], high[0], high[1])
                continue
        merged.append(current)
    return merged


def _complement(intervals: list[Interval]) -> list[Interval]:
    result, low = [], (None, False)
    for interval in _merge(intervals):
        if interval[0] is not None:
            result.append((low[0], low[1], interval[0], not interval[1]))
        if interval[2] is None:
            return [i for i in result if not _empty(i)]
        low = (interval[2], not interval[3])
    result.append((low[0], low[1], None, False))
    return [i for i in result if not _empty(i)]


def _literal(text: str) -> tuple[bool, Any]:
    """(True, value) when ``text`` is a constant (no names but true/false/null)."""
    try:
        tree = feel._parse(text, ())
    except feel.FeelError:
        return False, None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in (
            "true",
            "false",
            "null",
            "date",
            "time",
            "duration",
        ):
            if not node.id.startswith("_feel_date"):
                return False, None
    return True, feel.evaluate(text, {})


def accepted(tests: feel.UnaryTests) -> list[Interval] | None:
    """The values an entry accepts, or None when it depends on other inputs."""
    if tests.any:
        return list(EVERYTHING)
    pieces: list[Interval] = []
    for test in tests.tests:
        if test.kind == "null":
            continue  # null is outside every interval; the analysis is about values
        if test.kind == "interval":
            (ok_low, low), (ok_high, high) = _literal(test.low), _literal(test.high)
            if not (ok_low and ok_high) or low is None or high is None:
                return None
            pieces.append((low, test.low_closed, high, test.high_closed))
            continue
        ok, value = _literal(test.expr)
        if not ok:
            return None
        values = value if isinstance(value, list) else [value]
        for value in values:
            if value is None:
                continue
            op = test.op if test.kind == "cmp" else "="
            pieces += {
                "=": [(value, True, value, True)],
                "!=": [(None, False, value, False), (value, False, None, False)],
                "<": [(None, False, value, False)],
                "<=": [(None, False, value, True)],
                ">": [(value, False, None, False)],
                ">=": [(value, True, None, False)],
            }[op]
    merged = _merge(pieces)
    return _complement(merged) if tests.negated else merged


def _meet(a: list[Interval], b: list[Interval]) -> bool:
    return any(_intersection(x, y) is not None for x in a for y in b)


def _within(inner: list[Interval], outer: list[Interval]) -> bool:
    """Every value ``inner`` accepts, ``outer`` accepts too."""
    merged = _merge(outer)
    for piece in inner:
        if not any(_intersection(piece, o) == piece for o in merged):
            return False
    return True


def _columns(rule: Rule) -> list[list[Interval] | None]:
    return [accepted(t) for t in rule.tests]


def _overlap(a: list, b: list) -> bool:
    return all(x is not None and y is not None and _meet(x, y) for x, y in zip(a, b, strict=True))


def _covers(earlier: list, later: list) -> bool:
    return all(x is not None and y is not None and _within(y, x) for x, y in zip(earlier, later, strict=True))


def _paths(text: str) -> set[tuple[str, str]]:
    """The inputs an expression reads: (name, field) for ``name.field``, (name, "") for a name."""
    try:
        tree = feel._parse(text, ())
    except feel.FeelError:
        return set()
    found, inside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found.add((node.value.id, node.attr))
            inside.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in inside:
            found.add((node.id, ""))
    return {
        (name, field)
        for name, field in found
        if not name.startswith("_feel_")
        and name not in ("true", "false", "null")
        and name not in feel._FUNCTIONS
    }


def _unknown(text: str, known: Known, decisions: set[str]) -> list[str]:
    """The names (or ``name.field``) in ``text`` that are neither known inputs nor decisions."""
    problems = []
    for name, field in sorted(_paths(text)):
        if name in decisions:
            continue
        if name not in known:
            problems.append(name)
        elif field and isinstance(known, Mapping) and known[name] is not None and field not in known[name]:
            problems.append(f"{name}.{field}")
    return problems


def table_problems(table: Table, known: Known | None, decisions: set[str] = frozenset()) -> list[Problem]:
    problems: list[Problem] = []

    def say(message: str) -> None:
        problems.append(Problem(table.name, message))

    if known is not None:
        for column in table.inputs:
            for name in _unknown(column.expression, known, decisions):
                say(f"输入列“{column.label}”用到了未知的输入“{name}”。")
        for rule in table.rules:
            for tests in rule.tests:
                for test in tests.tests:
                    for text in (test.expr, test.low, test.high):
                        for name in _unknown(text, known, decisions) if text else ():
                            say(f"第 {rule.row} 条规则用到了未知的输入“{name}”。")
    analysed = [_columns(rule) for rule in table.rules]
    for rule, columns in zip(table.rules, analysed, strict=True):
        for column, values in zip(table.inputs, columns, strict=True):
            if values is not None and not values:
                say(f"第 {rule.row} 条规则不可能命中：“{column.label}”一列的条件没有任何值能满足。")
    for j, later in enumerate(table.rules):
        for i in range(j):
            earlier = table.rules[i]
            if not _overlap(analysed[i], analysed[j]):
                continue
            if table.hit_policy == "UNIQUE":
                say(
                    f"第 {earlier.row} 条与第 {later.row} 条规则重叠：UNIQUE 策略要求任何情况至多命中一条规则。"
                )
            elif table.hit_policy == "ANY" and earlier.outputs != later.outputs:
                say(
                    f"第 {earlier.row} 条与第 {later.row} 条规则重叠而输出不同：ANY 策略要求重叠的规则输出相同。"
                )
            elif table.hit_policy == "FIRST" and _covers(analysed[i], analysed[j]):
                say(f"第 {later.row} 条规则永远不会命中：满足它的情况都先命中了第 {earlier.row} 条规则。")
                break
    return problems


def problems(definitions: Definitions, known: Known | None = None) -> list[Problem]:
    """Every problem of every table; ``known``: the input names a table may use (None: any),
    or a mapping of each name to the fields it has (None: any field)."""
    found: list[Problem] = []
    decisions = set(definitions.tables) | set(definitions.other_decisions)
    for table in definitions.tables.values():
        found += table_problems(table, known, decisions)
    return found
