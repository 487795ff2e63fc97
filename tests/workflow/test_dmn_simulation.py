"""Simulation before publishing, on fixtures whose answers are worked out by hand."""

import datetime as dt

from tongban.decisions import simulation
from tongban.decisions.models import AutomaticDecision, Policy
from tongban.workflow.dmn import services as dmn

from . import dmn_world
from .dmn_builder import table_xml
from .dmn_world import grant_population, person, publish, submit
from .test_dmn_instant import unverified
from .test_dmn_offers import ELDERLY, TODAY

world = dmn_world.world
instant = dmn_world.instant


def draft(key, xml, department):
    from tongban.decisions.inputs import KNOWN

    return dmn.upload_table(actor=None, key=key, name="草稿", dmn=xml, department=department, known=KNOWN)


def test_a_policy_draft_against_the_registry(world):
    """Today 2026-12-03. Version in force: 80 and over, alive. Draft: 85 and over, alive.

    | person | age | status | in force | draft |
    | A | 79 | 正常 | 不予 | 不予 |
    | B | 80 | 正常 | 准予 | 不予 |  changed
    | C | 84 | 正常 | 准予 | 不予 |  changed
    | D | 85 | 正常 | 准予 | 准予 |
    | E | 92 | 正常 | 准予 | 准予 |
    | F | 88 | 已死亡 | 不予 | 不予 |
    → 6 people, 2 changed (准予 → 不予), 4 unchanged."""
    grant_population(world["department"])
    publish("policy:elderly", ELDERLY, world["department"])
    policy = Policy.objects.create(
        code="GLJT", name="高龄津贴", item=world["item"], table_key="policy:elderly"
    )
    births = {"A": 1947, "B": 1946, "C": 1942, "D": 1941, "E": 1934, "F": 1938}
    people = [
        person(
            f"511602{year}1203{i:03d}X",
            name=name,
            birth=dt.date(year, 12, 3),
            status="deceased" if name == "F" else "alive",
        )
        for i, (name, year) in enumerate(births.items())
    ]
    stricter = table_xml(
        hit_policy="FIRST",
        inputs=[("户籍.年龄", "number"), ("户籍.状态", "string")],
        outputs=[("决定", "string", ""), ("金额", "number", "")],
        rules=[([">=85", '"正常"'], ['"准予"', "100"]), (["-", "-"], ['"不予"', "0"])],
    )
    result = simulation.simulate_policy(
        draft("policy:elderly", stricter, world["department"]), policy, today=TODAY, people=people
    )
    assert (result.total, result.changed, result.unchanged) == (6, 2, 4)
    assert result.became == {"grant→deny": 2}
    assert [e["person"][:1] for e in result.examples] == ["B", "C"]
    assert all("*" in e["person"] for e in result.examples)


def test_an_item_draft_against_past_automatic_decisions(instant):
    """Three past cases under version 1 (adults; 实名等级 2, 2, 1 → 准予, 准予, 不予). The draft
    grants 实名等级 1 too → 3 decisions, 1 changed (不予 → 准予)."""
    submit(instant)
    submit(instant, dmn_world.case_fixtures.citizen("赵六"))
    denied = submit(instant, unverified())
    assert list(AutomaticDecision.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "grant",
        "grant",
        "deny",
    ]
    lenient = table_xml(
        name="秒批",
        inputs=[("申请人.年龄", "number"), ("申请人.实名等级", "number")],
        outputs=[("决定", "string", ""), ("理由", "string", "")],
        rules=[
            (["<18", "-"], ['"不予"', '"未成年"']),
            ([">=18", ">=1"], ['"准予"', '"成年"']),
            ([">=18", "<1"], ['"不予"', '"未注册"']),
        ],
    )
    result = simulation.simulate_cases(draft("item:food", lenient, instant["department"]))
    assert (result.total, result.changed, result.unchanged) == (3, 1, 2)
    assert result.became == {"deny→grant": 1}
    assert result.examples[0]["case"] == denied.number


def test_the_version_in_force_against_itself_changes_nothing(instant):
    submit(instant)
    same = draft("item:food", dmn_world.ADULT_TABLE, instant["department"])
    result = simulation.simulate_cases(same)
    assert (result.total, result.changed) == (1, 0)
