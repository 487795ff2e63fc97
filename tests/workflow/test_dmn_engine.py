"""The DMN engine beyond what the TCK checks: every hit policy, every kind of S-FEEL unary
test, null and type mismatches, and reading documents that are not decision tables."""

import datetime as dt
from decimal import Decimal

import pytest

from tongban.workflow.dmn import ModelError, evaluate, parse
from tongban.workflow.dmn.feel import matches, parse_unary

from .dmn_builder import table_xml


def decide(xml, **context):
    model = parse(xml)
    return evaluate(model, next(iter(model.tables)), context)


# ------------------------------------------------------------------ unary tests


@pytest.mark.parametrize(
    ("entry", "value", "expected"),
    [
        ("-", Decimal(5), True),
        ("", None, True),
        ("5", Decimal(5), True),
        ("5", Decimal(6), False),
        ("<18", Decimal(17), True),
        ("<18", Decimal(18), False),
        ("<=18", Decimal(18), True),
        (">65", Decimal(65), False),
        (">=65", Decimal(65), True),
        ("!=3", Decimal(4), True),
        ("[1..10]", Decimal(1), True),
        ("[1..10]", Decimal(10), True),
        ("(1..10)", Decimal(1), False),
        ("(1..10)", Decimal(10), False),
        ("]1..10[", Decimal(5), True),
        ("]1..10[", Decimal(10), False),
        ("[1..10)", Decimal(10), False),
        ('"A","B"', "B", True),
        ('"A","B"', "C", False),
        ("<5, >10", Decimal(11), True),
        ("<5, >10", Decimal(7), False),
        ('not("A","B")', "C", True),
        ('not("A","B")', "A", False),
        ("not([1..3])", Decimal(4), True),
        ("not(<18)", Decimal(17), False),
        ("true", True, True),
        ("false", True, False),
        ("null", None, True),
        ("null", Decimal(1), False),
        ('"京,沪"', "京,沪", True),  # a comma inside a string is not a list
        ('>=date("2026-01-01")', dt.date(2026, 1, 1), True),
        ('[date("2026-01-01")..date("2026-12-31")]', dt.date(2027, 1, 1), False),
        ("? > 3 and ? < 9", Decimal(4), True),
        ('"中文"', "中文", True),
    ],
)
def test_unary_test(entry, value, expected):
    assert matches(parse_unary(entry), value, {}) is expected


@pytest.mark.parametrize(
    ("entry", "value"),
    [("<18", None), ("<18", "17"), ('"A"', Decimal(1)), ("[1..3]", "x"), ("not(<18)", None)],
)
def test_null_and_other_types_never_match_a_comparison(entry, value):
    """FEEL's unknown (null) is not a match, and not(unknown) is still unknown."""
    assert matches(parse_unary(entry), value, {}) is False


def test_endpoints_may_name_other_inputs():
    assert matches(parse_unary("[低..高]"), Decimal(5), {"低": Decimal(1), "高": Decimal(9)})
    assert not matches(parse_unary("<=上限"), Decimal(5), {"上限": Decimal(4)})


@pytest.mark.parametrize(
    "entry", ["<", "[1..", "import os", "__import__('os')", "x.y()", "lambda: 1", '"a" if b else c']
)
def test_text_that_is_not_s_feel_is_refused(entry):
    from tongban.workflow.dmn import FeelError

    with pytest.raises(FeelError):
        parse_unary(entry)


# ------------------------------------------------------------------ hit policies

AGE = [("年龄", "number")]


def test_unique_one_hit_and_violation():
    xml = table_xml(
        inputs=AGE,
        outputs=[("结果", "string", "")],
        rules=[(["<18"], ['"未成年"']), ([">=18"], ['"成年"']), ([">=60"], ['"老年"'])],
    )
    assert decide(xml, 年龄=17).value == "未成年"
    clash = decide(xml, 年龄=70)
    assert clash.value is None and clash.rows == (2, 3) and "UNIQUE" in clash.error
    assert not clash.matched


def test_no_hit_gives_null():
    xml = table_xml(inputs=AGE, outputs=[("结果", "string", "")], rules=[([">100"], ['"百岁"'])])
    outcome = decide(xml, 年龄=5)
    assert outcome.value is None and outcome.rows == () and outcome.error == ""


def test_first_takes_the_first_hit_in_rule_order():
    xml = table_xml(
        hit_policy="FIRST",
        inputs=AGE,
        outputs=[("结果", "string", "")],
        rules=[([">=80"], ['"高龄"']), ([">=60"], ['"老年"']), (["-"], ['"其他"'])],
    )
    assert decide(xml, 年龄=85).value == "高龄" and decide(xml, 年龄=85).rows == (1,)
    assert decide(xml, 年龄=70).value == "老年"
    assert decide(xml, 年龄=7).value == "其他"


def test_priority_ranks_by_output_values_not_rule_order():
    xml = table_xml(
        hit_policy="PRIORITY",
        inputs=AGE,
        outputs=[("结果", "string", '"不予","准予"')],
        rules=[([">=18"], ['"准予"']), ([">=100"], ['"不予"'])],
    )
    assert decide(xml, 年龄=101).value == "不予"
    assert decide(xml, 年龄=101).rows == (2,)
    assert decide(xml, 年龄=30).value == "准予"


def test_any_agrees_or_reports():
    xml = table_xml(
        hit_policy="ANY",
        inputs=AGE,
        outputs=[("结果", "string", "")],
        rules=[([">=18"], ['"准予"']), ([">=60"], ['"准予"']), ([">=90"], ['"不予"'])],
    )
    agreed = decide(xml, 年龄=70)
    assert agreed.value == "准予" and agreed.rows == (1, 2)
    assert "ANY" in decide(xml, 年龄=95).error


def test_rule_order_and_output_order():
    rules = [([">=0"], ['"乙"']), ([">=10"], ['"甲"']), ([">=20"], ['"丙"'])]
    outputs = [("级别", "string", '"甲","乙","丙"')]
    assert decide(
        table_xml(hit_policy="RULE ORDER", inputs=AGE, outputs=outputs, rules=rules), 年龄=30
    ).value == [
        "乙",
        "甲",
        "丙",
    ]
    ordered = decide(table_xml(hit_policy="OUTPUT ORDER", inputs=AGE, outputs=outputs, rules=rules), 年龄=30)
    assert ordered.value == ["甲", "乙", "丙"] and ordered.rows == (2, 1, 3)


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        ("", [Decimal(100), Decimal(300), Decimal(100)]),
        ("SUM", Decimal(500)),
        ("MIN", Decimal(100)),
        ("MAX", Decimal(300)),
        ("COUNT", Decimal(2)),
    ],
)
def test_collect_and_its_aggregations(aggregation, expected):
    xml = table_xml(
        hit_policy="COLLECT",
        aggregation=aggregation,
        inputs=AGE,
        outputs=[("金额", "number", "")],
        rules=[([">=60"], ["100"]), ([">=80"], ["300"]), ([">=90"], ["100"]), ([">=100"], ["1000"])],
    )
    assert decide(xml, 年龄=95).value == expected


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("SUM", None), ("MIN", None), ("MAX", None), ("COUNT", Decimal(0)), ("", [])],
)
def test_collect_with_no_hit(aggregation, expected):
    xml = table_xml(
        hit_policy="COLLECT",
        aggregation=aggregation,
        inputs=AGE,
        outputs=[("金额", "number", "")],
        rules=[([">=60"], ["100"])],
    )
    assert decide(xml, 年龄=5).value == expected


def test_several_outputs_give_a_context_and_outputs_may_compute():
    xml = table_xml(
        inputs=[("年龄", "number"), ("户籍", "string")],
        outputs=[("结果", "string", ""), ("金额", "number", "")],
        rules=[([">=80", '"本市"'], ['"准予"', "100 * 2"]), (["-", 'not("本市")'], ['"不予"', "0"])],
    )
    assert decide(xml, 年龄=81, 户籍="本市").value == {"结果": "准予", "金额": Decimal(200)}
    assert decide(xml, 年龄=81, 户籍="外省").value == {"结果": "不予", "金额": Decimal(0)}


def test_input_expressions_read_paths_and_compute():
    xml = table_xml(
        inputs=[("申请人.年龄 + 1", "number")], outputs=[("结果", "boolean", "")], rules=[([">80"], ["true"])]
    )
    assert decide(xml, 申请人={"年龄": 80}).value is True
    assert decide(xml, 申请人={}).value is None


def test_single_letter_hit_policy():
    xml = table_xml(inputs=AGE, outputs=[("r", "string", "")], rules=[(["-"], ['"x"'])], hit_policy="F")
    assert parse(xml).tables["决定"].hit_policy == "FIRST"


BANDS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="t" namespace="urn:t">
<decision id="band" name="年龄段"><decisionTable id="t1" hitPolicy="FIRST">
<input id="i1"><inputExpression typeRef="number"><text>年龄</text></inputExpression></input>
<output id="o1" name="年龄段" typeRef="string"/>
<rule id="a1"><inputEntry><text>&gt;=80</text></inputEntry><outputEntry><text>"高龄"</text></outputEntry></rule>
<rule id="a2"><inputEntry><text>-</text></inputEntry><outputEntry><text>"其他"</text></outputEntry></rule>
</decisionTable></decision>
<decision id="allowance" name="津贴">
<informationRequirement id="ir"><requiredDecision href="#band"/></informationRequirement>
<decisionTable id="t2">
<input id="i2"><inputExpression typeRef="string"><text>年龄段</text></inputExpression></input>
<output id="o2" name="金额" typeRef="number"/>
<rule id="b1"><inputEntry><text>"高龄"</text></inputEntry><outputEntry><text>100</text></outputEntry></rule>
<rule id="b2"><inputEntry><text>not("高龄")</text></inputEntry><outputEntry><text>0</text></outputEntry></rule>
</decisionTable></decision></definitions>"""


def test_a_decision_using_another_decisions_result():
    """An information requirement (``requiredDecision``): the required table is decided first
    and its value is the input of the other."""
    model = parse(BANDS)
    assert model.tables["津贴"].required_decisions == ("年龄段",)
    assert evaluate(model, "津贴", {"年龄": 85}).value == Decimal(100)
    assert evaluate(model, "津贴", {"年龄": 79}).value == Decimal(0)


# ------------------------------------------------------------------ documents


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "空的"),
        ("<definitions", "不是合法的 XML"),
        ("<process/>", "不是 DMN 文件"),
        ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>', "没有决策"),
    ],
)
def test_documents_that_are_not_decision_tables(document, message):
    with pytest.raises(ModelError, match=message):
        parse(document)


def test_unknown_hit_policy_and_misplaced_aggregation():
    base = dict(inputs=AGE, outputs=[("r", "number", "")], rules=[(["-"], ["1"])])
    with pytest.raises(ModelError, match="七种"):
        parse(table_xml(hit_policy="SOMETIMES", **base))
    with pytest.raises(ModelError, match="只能用于 COLLECT"):
        parse(table_xml(hit_policy="FIRST", aggregation="SUM", **base))


def test_a_rule_entry_that_is_not_s_feel_is_named_with_its_row():
    xml = table_xml(inputs=AGE, outputs=[("r", "string", "")], rules=[(["-"], ['"a"']), ([">>3"], ['"b"'])])
    with pytest.raises(ModelError, match="第 2 条规则"):
        parse(xml)


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密")
    xml = (
        table_xml(inputs=AGE, outputs=[("r", "string", "")], rules=[(["-"], ["&x;"])])
        .replace(
            "<definitions", f'<!DOCTYPE definitions [<!ENTITY x SYSTEM "file://{secret}">]><definitions', 1
        )
        .replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    )
    try:
        model = parse(xml)
    except ModelError:
        return
    assert "机密" not in str(model.tables["决定"].rules[0].outputs)
