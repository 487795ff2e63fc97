"""秒批: a grant concludes the case by the system with the licence issued at once; a denial or
an undecidable case falls through to the department; the decision keeps its table version;
the automatic decision's audit entry; human review."""

import pytest

from tests.cases.conftest import citizen
from tongban.cases.models import Case, CaseEvent
from tongban.certificates.models import Certificate
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.models import AuditEntry
from tongban.decisions import instant as instant_module
from tongban.decisions import services
from tongban.decisions.models import AutomaticDecision, HumanReview
from tongban.registries.models import DataAccessLog
from tongban.workflow.models import DecisionTable

from . import dmn_world
from .dmn_builder import table_xml
from .dmn_world import publish, submit

world = dmn_world.world
instant = dmn_world.instant


def test_a_grant_concludes_the_case_and_the_licence_is_in_the_wallet(
    instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    case.refresh_from_db()
    assert case.status == Case.Status.CONCLUDED and case.result == Case.Result.ISSUED
    record = AutomaticDecision.objects.get(case=case)
    assert record.outcome == "grant" and record.finished_at is not None
    assert record.rows == [2] and record.outputs["决定"] == "准予"
    assert record.inputs == {"申请人.年龄": record.inputs["申请人.年龄"], "申请人.实名等级": 2}
    assert Certificate.objects.filter(case=case).count() == 1
    steps = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("title", "actor_label"))
    assert [t for t, _ in steps] == [
        "网上申请提交",
        "受理（自动审批）",
        "审查通过（自动审批）",
        "准予行政许可（自动审批）",
        "办结（出证）（自动审批）",
    ]
    assert [label for _, label in steps[1:]] == ["系统"] * 4
    decided = CaseEvent.objects.get(case=case, action="decided")
    assert instant["table"].digest[:12] in decided.opinion and "第 2 条规则" in decided.opinion
    assert "申请人.年龄=" in decided.opinion


def test_the_automatic_decision_has_its_audit_entry(instant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    entry = AuditEntry.objects.get(action="decisions.automatic")
    assert entry.summary["number"] == case.number
    assert entry.summary["digest"] == instant["table"].digest
    assert entry.summary["version"] == 1 and entry.summary["rules"] == [2]
    assert entry.summary["outputs"]["决定"] == "准予"


def test_a_denial_falls_through_to_the_department_with_the_reason(
    instant, django_capture_on_commit_callbacks
):
    applicant = unverified()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant, applicant)
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE and case.is_open
    record = AutomaticDecision.objects.get(case=case)
    assert record.outcome == "deny" and record.reason == "未完成实名核验" and record.finished_at is None
    assert not Certificate.objects.filter(case=case).exists()


def test_an_undecidable_case_falls_through(world, django_capture_on_commit_callbacks):
    from tongban.decisions.models import InstantApproval

    xml = table_xml(
        inputs=[("申请人.年龄", "number")], outputs=[("决定", "string", "")], rules=[([">200"], ['"准予"'])]
    )
    publish("item:odd", xml, world["department"])
    InstantApproval.objects.create(item=world["item"], table_key="item:odd")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(world)
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE
    assert AutomaticDecision.objects.get(case=case).outcome == "undecided"


def test_an_item_without_a_published_table_is_processed_by_people(world):
    case = submit(world)
    assert not AutomaticDecision.objects.filter(case=case).exists()


def test_the_registry_read_is_logged_with_its_purpose(instant, django_capture_on_commit_callbacks):
    from .dmn_world import person

    person(instant["applicant"].id_number, name="张三")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    log = DataAccessLog.objects.get(case_number=case.number)
    assert "秒批" in log.purpose and log.found and log.grant_code == f"SQTEST{instant['department'].pk}"
    assert log.fields == ["出生日期", "人口状态", "户籍地区划代码", "性别"]
    record = AutomaticDecision.objects.get(case=case)
    assert record.context["户籍"]["状态"] == "正常"


def test_without_a_grant_the_registry_is_not_read_and_the_reason_says_so(
    world, django_capture_on_commit_callbacks
):
    from tongban.decisions.models import InstantApproval

    from .dmn_world import person

    person(world["applicant"].id_number, name="张三")
    xml = table_xml(
        inputs=[("户籍.状态", "string")], outputs=[("决定", "string", "")], rules=[(['"正常"'], ['"准予"'])]
    )
    publish("item:registry", xml, world["department"])
    InstantApproval.objects.create(item=world["item"], table_key="item:registry")
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(world)
    record = AutomaticDecision.objects.get(case=case)
    assert record.outcome == "undecided" and "户籍信息未能读取" in record.reason
    assert not DataAccessLog.objects.filter(case_number=case.number).exists()


def test_a_table_changed_after_submission_does_not_change_an_earlier_decision(
    instant, django_capture_on_commit_callbacks
):
    applicant = unverified()
    case = submit(instant, applicant)  # denied by version 1: falls through to staff
    stricter = table_xml(
        name="秒批",
        inputs=[("申请人.年龄", "number"), ("申请人.实名等级", "number")],
        outputs=[("决定", "string", ""), ("理由", "string", "")],
        rules=[(["-", "-"], ['"准予"', '"一律准予"'])],
    )
    publish("item:food", stricter, instant["department"])
    assert DecisionTable.objects.get(key="item:food", version=1).status == "retired"
    record = AutomaticDecision.objects.get(case=case)
    assert record.table.version == 1 and record.outcome == "deny"
    # the pinned version still gives the same answer on the recorded inputs
    outcome, _ = instant_module.decide(record.table, instant_module.restore(record.context, case.data))
    assert instant_module.interpret(outcome)[0] == "deny"
    with django_capture_on_commit_callbacks(execute=True):
        later = submit(instant, applicant)
    assert AutomaticDecision.objects.get(case=later).table.version == 2
    assert AutomaticDecision.objects.get(case=later).outcome == "grant"


def test_finish_is_idempotent_and_the_tick_completes_a_pending_grant(instant):
    case = submit(instant)  # after-commit work not run (as if the process died)
    record = AutomaticDecision.objects.get(case=case)
    assert record.finished_at is None
    AutomaticDecision.objects.filter(pk=record.pk).update(created_at=record.created_at.replace(year=2000))
    assert instant_module.finish_pending() == 1
    assert instant_module.finish(record.pk) is False
    case.refresh_from_db()
    assert case.status == Case.Status.CONCLUDED
    assert Certificate.objects.filter(case=case).count() == 1


def unverified():
    user = citizen("李四")
    user.real_name_level = 1
    user.save(update_fields=["real_name_level"])
    return user


# ------------------------------------------------------------------ human review


@pytest.fixture
def granted(instant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    case.refresh_from_db()
    return case


def test_the_applicant_asks_for_a_human_review_and_the_department_answers(instant, granted):
    review = services.request_review(user=instant["applicant"], case=granted, reason="我认为信息有误。")
    assert review.status == HumanReview.Status.OPEN and review.due_date > granted.submitted_at.date()
    assert AuditEntry.objects.filter(action="decisions.review_request").exists()
    with pytest.raises(ServiceError, match="已申请人工复核"):
        services.request_review(user=instant["applicant"], case=granted, reason="再次申请")
    with pytest.raises(PermissionDenied):
        services.answer_review(actor=instant["intake"], review=review, upheld=True, answer="维持。")
    with pytest.raises(NotFound):
        services.answer_review(actor=instant["outsider"], review=review, upheld=True, answer="维持。")
    with pytest.raises(InvalidInput, match="复核意见"):
        services.answer_review(actor=instant["decider"], review=review, upheld=True, answer=" ")
    answered = services.answer_review(
        actor=instant["decider"], review=review, upheld=False, answer="信息有误，撤销。"
    )
    assert answered.status == HumanReview.Status.CHANGED and answered.answered_by == instant["decider"]


def test_review_refusals(instant, granted, world):
    with pytest.raises(NotFound):
        services.request_review(user=instant["other"], case=granted, reason="不是我的")
    with pytest.raises(InvalidInput, match="理由"):
        services.request_review(user=instant["applicant"], case=granted, reason="")
    plain = submit({**world, "item": world["item"]}, instant["other"])
    AutomaticDecision.objects.filter(case=plain).delete()
    with pytest.raises(InvalidInput, match="不是自动审批"):
        services.request_review(user=instant["other"], case=plain, reason="复核")
