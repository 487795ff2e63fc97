"""A small runner for the DMN TCK: reads each model (``*.dmn``) and its ``*-test-01.xml`` as
the TCK ships them and checks every result node whose decision is a decision table.

The TCK's test-case format: ``testCase`` elements with ``inputNode`` values (typed by
``xsi:type``, structures as ``component``, collections as ``list``/``item``, ``xsi:nil`` for
null) and ``resultNode`` elements with the ``expected`` value of one decision.
"""

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from tongban.workflow.dmn import evaluate, feel, parse

ROOT = Path(__file__).resolve().parents[2]
TCK = Path(os.environ.get("TONGBAN_DMN_TCK", ROOT.parent / "shared" / "data" / "dmn-tck")) / "TestCases"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class Case:
    folder: str
    id: str
    inputs: dict
    results: tuple[tuple[str, Any], ...]  # (decision name, expected value)

    @property
    def name(self) -> str:
        return f"{self.folder}#{self.id}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _value(element: etree._Element) -> Any:
    """A TCK value element's content as the evaluator represents it."""
    children = [c for c in element if _local(c)]
    if element.get(f"{{{XSI}}}nil") == "true":
        return None
    components = [c for c in children if _local(c) == "component"]
    if components:
        return {c.get("name"): _value(c) for c in components}
    lists = [c for c in children if _local(c) == "list"]
    if lists:
        return [_value(item) for item in lists[0] if _local(item) == "item"]
    values = [c for c in children if _local(c) == "value"]
    if values:
        return _value(values[0])
    if _local(element) != "value":
        return None
    text = element.text or ""
    kind = (element.get(f"{{{XSI}}}type") or "").split(":")[-1]
    if kind in ("decimal", "double", "int", "integer", "long", "float"):
        return Decimal(text)
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return dt.date.fromisoformat(text.strip())
    if kind == "dateTime":
        return dt.datetime.fromisoformat(text.strip())
    return text


def folders() -> list[Path]:
    return sorted(p for p in TCK.glob("compliance-level-*/*") if p.is_dir())


def load(folder: Path) -> tuple[Any, list[Case]]:
    model = parse(next(folder.glob("*.dmn")).read_bytes())
    tests = etree.parse(str(next(folder.glob("*-test-01.xml")))).getroot()
    cases = []
    for test in (t for t in tests if _local(t) == "testCase"):
        inputs = {n.get("name"): _value(n) for n in test if _local(n) == "inputNode"}
        results = tuple(
            (n.get("name"), _value(next(e for e in n if _local(e) == "expected")))
            for n in test
            if _local(n) == "resultNode"
        )
        cases.append(Case(folder.name, test.get("id"), inputs, results))
    return model, cases


def all_cases() -> tuple[list[tuple[Any, Case]], list[tuple[Case, str]]]:
    """(model, case) for every case whose decisions are all decision tables, and (case, reason)
    for the others."""
    table_cases, left_out = [], []
    for folder in folders():
        model, cases = load(folder)
        for case in cases:
            other = [name for name, _ in case.results if name not in model.tables]
            if other:
                kinds = sorted({model.other_decisions.get(name, "missing") for name in other})
                left_out.append((case, "、".join(kinds)))
            else:
                table_cases.append((model, case))
    return table_cases, left_out


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(actual[k], expected[k]) for k in expected)
        )
    return feel.equal(actual, expected) is True


def run(model: Any, case: Case) -> list[str]:
    """The differences between what the decisions gave and what the TCK expects (empty: passed)."""
    problems = []
    for name, expected in case.results:
        outcome = evaluate(model, name, case.inputs)
        if not same(outcome.value, expected):
            problems.append(f"{name}: expected {expected!r}, got {outcome.value!r} {outcome.error}")
    return problems
