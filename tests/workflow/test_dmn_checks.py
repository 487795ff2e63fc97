"""The checks on upload: unknown inputs, overlapping rules under UNIQUE (and ANY with different
outputs), rules that can never fire; each problem in Chinese naming the rows."""

import pytest

from tongban.workflow.dmn import parse
from tongban.workflow.dmn.checks import problems

from .dmn_builder import table_xml

AGE = [("年龄", "number")]
OUT = [("结果", "string", "")]


def found(xml, known=None):
    return [str(p) for p in problems(parse(xml), known)]


def test_a_clean_table_has_no_problem():
    xml = table_xml(
        inputs=AGE, outputs=OUT, rules=[(["<18"], ['"a"']), (["[18..60)"], ['"b"']), ([">=60"], ['"c"'])]
    )
    assert found(xml, {"年龄"}) == []


def test_unknown_input_in_a_column_and_in_a_rule():
    xml = table_xml(
        inputs=[("年令", "number"), ("户籍.区划", "string")], outputs=OUT, rules=[(["<=上限", "-"], ['"a"'])]
    )
    messages = found(xml, {"户籍", "年龄"})
    assert "决策“决定”：输入列“年令”用到了未知的输入“年令”。" in messages
    assert "决策“决定”：第 1 条规则用到了未知的输入“上限”。" in messages
    assert not any("户籍" in m for m in messages)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("<18", ">=18", False),
        ("<=18", ">=18", True),
        ("[1..5]", "[5..9]", True),
        ("[1..5)", "[5..9]", False),
        ('"A","B"', '"B"', True),
        ('"A"', 'not("A")', False),
        ("-", ">100", True),
        ("not(<18)", ">=18", True),
        ("not([0..10])", "5", False),
    ],
)
def test_overlap_under_unique(a, b, overlap):
    xml = table_xml(inputs=AGE, outputs=OUT, rules=[([a], ['"x"']), ([b], ['"y"'])])
    expected = (
        ["决策“决定”：第 1 条与第 2 条规则重叠：UNIQUE 策略要求任何情况至多命中一条规则。"] if overlap else []
    )
    assert found(xml) == expected


def test_overlap_needs_every_column_to_meet():
    xml = table_xml(
        inputs=[("年龄", "number"), ("户籍", "string")],
        outputs=OUT,
        rules=[([">=18", '"本市"'], ['"a"']), ([">=60", '"外省"'], ['"b"'])],
    )
    assert found(xml) == []


def test_entries_naming_other_inputs_are_not_judged():
    xml = table_xml(inputs=AGE, outputs=OUT, rules=[(["<=上限"], ['"a"']), (["-"], ['"b"'])])
    assert found(xml) == []


def test_any_overlap_is_fine_with_equal_outputs_only():
    same = table_xml(
        hit_policy="ANY", inputs=AGE, outputs=OUT, rules=[([">=1"], ['"x"']), ([">=5"], ['"x"'])]
    )
    differ = table_xml(
        hit_policy="ANY", inputs=AGE, outputs=OUT, rules=[([">=1"], ['"x"']), ([">=5"], ['"y"'])]
    )
    assert found(same) == []
    assert found(differ) == [
        "决策“决定”：第 1 条与第 2 条规则重叠而输出不同：ANY 策略要求重叠的规则输出相同。"
    ]


def test_unreachable_under_first_and_overlap_allowed():
    xml = table_xml(
        hit_policy="FIRST",
        inputs=AGE,
        outputs=OUT,
        rules=[([">=60"], ['"a"']), ([">=80"], ['"b"']), ([">=18"], ['"c"'])],
    )
    assert found(xml) == ["决策“决定”：第 2 条规则永远不会命中：满足它的情况都先命中了第 1 条规则。"]


def test_an_entry_no_value_satisfies():
    xml = table_xml(
        hit_policy="COLLECT", inputs=AGE, outputs=OUT, rules=[(["[10..5]"], ['"a"']), (["(5..5]"], ['"b"'])]
    )
    messages = found(xml)
    assert "决策“决定”：第 1 条规则不可能命中：“年龄”一列的条件没有任何值能满足。" in messages
    assert "决策“决定”：第 2 条规则不可能命中：“年龄”一列的条件没有任何值能满足。" in messages


def test_the_tck_tables_that_declare_unique_are_clean():
    """The TCK's UNIQUE tables are well formed; the checker must not cry wolf on them."""
    from tests.dmn_tck import runner

    if not runner.TCK.is_dir():
        pytest.skip("no TCK")
    for name in ("0004-simpletable-U", "0010-multi-output-U"):
        model, _ = runner.load(runner.TCK / "compliance-level-2" / name)
        assert problems(model) == []


def test_unknown_fields_of_known_inputs():
    """With the platform's fields per input, a misspelt field is an unknown input too."""
    known = {"申请人": frozenset({"年龄"}), "表单": None}
    xml = table_xml(
        inputs=[("申请人.年令", "number"), ("表单.任意字段", "string"), ("申请人", "string")],
        outputs=OUT,
        rules=[(["-", "-", "-"], ['"a"'])],
    )
    assert found(xml, known) == ["决策“决定”：输入列“申请人.年令”用到了未知的输入“申请人.年令”。"]
