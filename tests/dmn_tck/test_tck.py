"""The DMN TCK's own test cases (compliance level 2 and the level-3 table tests, in the shared
data folder) through ``runner``: every test case whose decisions are decision tables passes; the
others need literal expressions (full FEEL), which decision tables do not use, and are counted
so that a change in the data or the runner shows. docs/decisions.md lists them."""

import os

import pytest

from . import runner

if not runner.TCK.is_dir():  # pragma: no cover - CI always has the shared data
    if os.environ.get("CI"):
        raise RuntimeError(f"DMN TCK not found at {runner.TCK}")
    pytest.skip(f"DMN TCK not found at {runner.TCK}", allow_module_level=True)

TABLE_CASES, LEFT_OUT = runner.all_cases()


@pytest.mark.parametrize(("model", "case"), TABLE_CASES, ids=[c.name for _, c in TABLE_CASES])
def test_tck_decision_table_case(model, case):
    assert runner.run(model, case) == []


def test_every_table_case_is_run_and_the_rest_are_literal_expressions():
    """55 of the 120 test cases (130 result nodes) are decided by tables; the 65 left out ask
    for literal expressions (FEEL arithmetic, constants, ternary logic, invocation)."""
    assert len(TABLE_CASES) == 55
    assert len(LEFT_OUT) == 65
    assert {reason for _, reason in LEFT_OUT} == {"literalExpression"}
    folders = sorted({case.folder for case, _ in LEFT_OUT})
    assert folders == [
        "0001-input-data-string",
        "0002-input-data-number",
        "0003-input-data-string-allowed-values",
        "0008-LX-arithmetic",
        "0009-invocation-arithmetic",
        "0100-feel-constants",
        "0101-feel-constants",
        "0102-feel-constants",
        "0105-feel-math",
        "0106-feel-ternary-logic",
        "0107-feel-ternary-logic-not",
    ]


def test_the_runner_can_fail():
    """A wrong expectation is reported, so a passing case means the value matched."""
    model, case = TABLE_CASES[0]
    wrong = runner.Case(case.folder, case.id, case.inputs, tuple((n, "不是这个值") for n, _ in case.results))
    assert runner.run(model, wrong)
