"""The assistant on the demo catalogue (the real 广安区 items with their guides): the tuned
question set (src/tongban/consult/data/assistant-questions.tsv) is answered with the right item
and guide section for at least 85 % of its questions, as ``tongban consult evaluate`` measures
it; hand-over, asking back, links and the question log."""

import pytest

from tests.fixtures_demo import load_demo_for_module
from tongban.catalog.search import intent
from tongban.consult import assistant
from tongban.consult.evaluation import DEFAULT_SET, evaluate, format_report, read_questions
from tongban.consult.models import AssistantLog
from tongban.core.errors import InvalidInput
from tongban.demo import step_names

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("consult-assistant")]
HOME = "511602"


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    skip = [name for name in step_names() if name not in ("regions", "catalog", "search")]
    yield from load_demo_for_module(django_db_blocker, skip=skip)


def test_the_held_out_set_is_answered_right_at_least_85_percent(catalogue):
    questions = read_questions(DEFAULT_SET)
    assert len(questions) >= 150
    report = evaluate(questions, region_code=HOME)
    print(format_report(report))
    assert report.right >= 0.85, format_report(report)
    assert report.count("handed_over") >= report.count("wrong"), format_report(report)


def test_the_answer_quotes_the_section_and_links_to_it(catalogue):
    answer = assistant.answer("开办餐饮店需要什么", region_code=HOME)
    assert answer.answered and answer.section == "materials"
    assert answer.link == f"/items/{answer.item.code}/#materials"
    assert answer.lines and "食品" in answer.item.name


def test_a_question_about_nothing_in_the_guides_is_handed_over(catalogue):
    answer = assistant.answer("今天天气怎么样啊", region_code=HOME)
    assert answer.outcome == AssistantLog.Outcome.HANDED_OVER and not answer.link


def test_a_question_for_several_situations_asks_back(catalogue):
    answer = assistant.answer("民族成份变更要带什么", region_code=HOME)
    assert answer.outcome == AssistantLog.Outcome.ASKED_BACK
    assert len(answer.choices) >= 2 and all("民族成份" in c.label for c in answer.choices)


def test_questions_are_logged_without_personal_numbers(catalogue):
    assistant.answer("身份证511602198803140011丢了电话13900000009怎么办", region_code=HOME)
    logged = AssistantLog.objects.latest("pk")
    assert "511602198803140011" not in logged.question and "13900000009" not in logged.question


def test_empty_or_long_questions_are_refused(catalogue):
    with pytest.raises(InvalidInput):
        assistant.answer("  ")
    with pytest.raises(InvalidInput):
        assistant.answer("问" * 101)


def test_an_action_the_question_says_must_be_in_the_cited_items_name(catalogue):
    answer = assistant.answer("燃气经营者停业怎么办", region_code=HOME)
    assert answer.answered and "停业" in answer.item.name and answer.section == "process"


def test_an_action_no_item_does_is_handed_over_rather_than_guessed(catalogue):
    answer = assistant.answer("失业保险金暂停怎么办", region_code=HOME)
    assert answer.outcome == AssistantLog.Outcome.HANDED_OVER and answer.item is None


def test_how_to_asks_for_the_process_when_the_section_word_is_in_the_items_name(catalogue):
    answer = assistant.answer("供养亲属领取待遇资格认证怎么做", region_code=HOME)
    assert answer.answered and "资格认证" in answer.item.name and answer.section == "process"
    plain = assistant.answer("供养亲属领取待遇资格认证", region_code=HOME)
    assert plain.answered and plain.section == "materials"


def test_who_to_ask_is_the_contact_section(catalogue):
    answer = assistant.answer("失业保险金申领找谁", region_code=HOME)
    assert answer.answered and answer.section == "contact"


def test_can_i_with_no_section_named_asks_for_the_conditions(catalogue):
    answer = assistant.answer("失业保险金申领能不能申请两次", region_code=HOME)
    assert answer.answered and answer.section == "conditions"
    online = assistant.answer("失业保险金申领能网上办吗", region_code=HOME)
    assert online.answered and online.section == "service"


def test_siblings_are_told_apart_by_how_much_of_their_name_the_question_says(catalogue):
    said = assistant.read_question("公司变更股东要多久").said
    assert assistant.name_cover("公司变更登记", said) > assistant.name_cover("非公司企业法人变更登记", said)
    assert assistant.name_cover("公司变更登记", "税务登记") < assistant.name_cover("公司变更登记", said)
    answer = assistant.answer("个人独资企业变更要多久", region_code=HOME)
    assert (
        answer.answered and answer.item.name.startswith("个人独资企业变更登记") and answer.section == "limits"
    )


def test_a_name_doing_another_action_than_asked_ranks_lower(catalogue):
    new, reissue = frozenset({intent.NEW}), frozenset({intent.REISSUE})
    assert assistant.read_question("结婚证要带什么").actions == new
    assert assistant.other_action("补领结婚证", new) and not assistant.other_action("结婚登记", new)
    assert not assistant.other_action("补领结婚证", reissue) and assistant.other_action("结婚登记", reissue)
    answer = assistant.answer("卫生许可证要多久", region_code=HOME)
    assert answer.answered and "注销" not in answer.item.name and answer.section == "limits"
    # Siblings that differ in the action only: the plain one (配发), not a question back.
    plain = assistant.answer("教练车备案证要什么", region_code=HOME)
    assert plain.answered and plain.item.name == "教练车备案证办理（配发）"


def test_the_last_clause_that_asks_something_names_the_section(catalogue):
    said, _rest = assistant.section_phrases("理发店地址改了，公共场所卫生许可怎么变更？")
    assert said[0] == ("process", "怎么")
    answer = assistant.answer("理发店地址改了，公共场所卫生许可怎么变更？", region_code=HOME)
    assert answer.answered and "变更" in answer.item.name and answer.section == "process"
    where, _rest = assistant.section_phrases("公共场所卫生许可怎么变更，地址在哪")
    assert where[0] == ("place", "在哪")


def test_where_to_hand_in_asks_for_the_place(catalogue):
    answer = assistant.answer("公共场所卫生许可新办的申请书交到哪个窗口", region_code=HOME)
    assert answer.answered and answer.section == "place"


def test_action_words_of_one_meaning_stand_for_each_other(catalogue):
    assert assistant.actions("许可证补办") == assistant.actions("许可证补证审批") == {"补领"}
    answer = assistant.answer("营业性演出许可证补办要多久", region_code=HOME)
    assert answer.answered and "补证" in answer.item.name and answer.section == "limits"


def test_a_best_hit_whose_name_the_question_hardly_says_is_handed_over(catalogue):
    answer = assistant.answer("企业的发票在哪领", region_code=HOME)
    assert answer.outcome == AssistantLog.Outcome.HANDED_OVER and answer.item is None
