"""The 12345 loop through the services: dispatch rules, return and re-dispatch, clocks and
limits, extension, escalation, rating and reopening, joint handling, call-back, anonymous rules."""

import datetime as dt

import pytest

from tests.cases.audit_last import check_audit_last, transactions
from tongban.consult import access, services
from tongban.consult.models import DispatchRule, KindRule, Petition, SupervisionOrder
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.workdays import calendar

pytestmark = pytest.mark.django_db


def complain(w, **kw):
    fields = {
        "user": w["citizen"],
        "kind": "complain",
        "title": "窗口让我跑了两次",
        "body": "第一次说缺材料，第二次又要另一份证明。",
        "category": w["social"],
        "region_code": "511602",
    }
    fields.update(kw)
    return services.submit(**fields)


def test_submit_numbers_the_request_and_routes_it_to_the_centre_of_its_region(world):
    p = complain(world)
    assert p.number.startswith("12345-") and p.status == Petition.Status.NEW
    assert p.centre == world["centre"] and p.contact_phone == "13900000009"
    assert complain(world).number != p.number


def test_dispatch_rules_pick_the_most_specific_rule(world):
    DispatchRule.objects.create(department=world["rs"])  # catch-all
    DispatchRule.objects.create(category=world["market"], department=world["sj"])
    DispatchRule.objects.create(
        kind="complain", category=world["market"], region_code="5116", department=world["rs"]
    )
    p = complain(world, category=world["market"])
    assert services.rule_department(p) == world["rs"]  # kind × category × region beats category alone
    p2 = complain(world, kind="consult", category=world["market"])
    assert services.rule_department(p2) == world["sj"]
    p3 = complain(world, category=world["social"])
    assert services.rule_department(p3) == world["rs"]
    services.dispatch(actor=world["operator"], petition=p)
    p.refresh_from_db()
    assert p.status == Petition.Status.DISPATCHED and p.department == world["rs"]


def test_dispatch_without_a_matching_rule_asks_for_a_department(world):
    p = complain(world)
    with pytest.raises(InvalidInput, match="派单规则"):
        services.dispatch(actor=world["operator"], petition=p)
    assert Petition.objects.get(pk=p.pk).status == Petition.Status.NEW


def test_only_the_centre_dispatches(world):
    p = complain(world)
    with pytest.raises(NotFound):
        services.dispatch(actor=world["rs_handler"], petition=p, department=world["rs"])
    with pytest.raises(PermissionDenied):
        services.dispatch(actor=world["citizen"], petition=p, department=world["rs"])


def test_return_goes_back_to_the_centre_with_reason_and_redispatch_starts_a_fresh_clock(world):
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["sj"])
    with pytest.raises(InvalidInput, match="退单理由"):
        services.return_to_centre(actor=world["sj_handler"], petition=p, reason="")
    with pytest.raises(NotFound):
        services.return_to_centre(actor=world["rs_handler"], petition=p, reason="不是我们的")
    services.return_to_centre(actor=world["sj_handler"], petition=p, reason="社保窗口属人社局管理。")
    p.refresh_from_db()
    assert p.status == Petition.Status.NEW and p.department is None and p.due_date is None
    assert p.assignments.get(department=world["sj"]).status == "returned"
    assert p.events.filter(action="returned", note__contains="人社局").exists()
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    p.refresh_from_db()
    assert p.department == world["rs"] and p.due_date == calendar.add_workdays(services.today(), 5).date
    services.accept(actor=world["rs_handler"], petition=p)
    assert Petition.objects.get(pk=p.pk).status == Petition.Status.HANDLING


def test_limits_per_kind_on_the_working_day_clock_with_yellow_and_red(world):
    consult = complain(world, kind="consult")
    services.dispatch(actor=world["operator"], petition=consult, department=world["rs"])
    consult.refresh_from_db()
    today = services.today()
    assert consult.due_date == calendar.add_workdays(today, 1).date
    KindRule.objects.filter(kind="complain").update(answer_workdays=10)
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    p.refresh_from_db()
    assert p.due_date == calendar.add_workdays(today, 10).date
    assert services.colour(p, today) == "green"
    assert services.colour(p, p.warn_date) == "yellow"
    assert p.warn_date == calendar.subtract_workdays(p.due_date, 2)
    assert services.colour(p, p.due_date + dt.timedelta(days=1)) == "red"


def test_one_extension_on_request_granted_by_the_centre(world):
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    with pytest.raises(InvalidInput):  # not yet accepted
        services.request_extension(actor=world["rs_handler"], petition=p, reason="需现场核查。")
    services.accept(actor=world["rs_handler"], petition=p)
    due = Petition.objects.get(pk=p.pk).due_date
    services.request_extension(actor=world["rs_handler"], petition=p, reason="需现场核查。")
    with pytest.raises(InvalidInput, match="一次"):
        services.request_extension(actor=world["rs_handler"], petition=p, reason="还要再查。")
    services.decide_extension(actor=world["operator"], petition=p, grant=True)
    p.refresh_from_db()
    assert p.due_date == calendar.add_workdays(due, 5).date and p.extension_state == "granted"
    with pytest.raises(InvalidInput, match="一次"):
        services.request_extension(actor=world["rs_handler"], petition=p, reason="还要再查。")


def test_consultations_cannot_be_extended(world):
    p = complain(world, kind="consult")
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    services.accept(actor=world["rs_handler"], petition=p)
    with pytest.raises(InvalidInput, match="不能延期"):
        services.request_extension(actor=world["rs_handler"], petition=p, reason="需要时间。")


def test_overdue_requests_are_escalated_once(world):
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    p.refresh_from_db()
    assert services.escalate_overdue(p.due_date) == 0
    later = p.due_date + dt.timedelta(days=1)
    assert services.escalate_overdue(later) == 1
    assert services.escalate_overdue(later) == 0
    order = SupervisionOrder.objects.get(petition=p)
    assert order.reason == "overdue" and order.department == world["rs"]
    services.accept(actor=world["rs_handler"], petition=p)
    services.answer(actor=world["rs_handler"], petition=p, text="已约谈窗口人员并整改。")
    order.refresh_from_db()
    assert order.responded_at is not None and "整改" in order.response


def test_manual_escalation_by_the_centre_only(world):
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"])
    with pytest.raises(PermissionDenied):
        services.escalate(actor=world["rs_handler"], petition=p, note="请尽快办理。")
    services.escalate(actor=world["operator"], petition=p, note="请尽快办理。")
    assert SupervisionOrder.objects.filter(petition=p, reason="manual").count() == 1


def _answered(w, **kw):
    p = complain(w, **kw)
    services.dispatch(actor=w["operator"], petition=p, department=w["rs"])
    services.accept(actor=w["rs_handler"], petition=p)
    services.answer(actor=w["rs_handler"], petition=p, text="已核实并答复：一次性告知全部材料。")
    return Petition.objects.get(pk=p.pk)


def test_dissatisfied_reopens_once_to_the_same_department_then_escalates(world):
    p = _answered(world)
    with pytest.raises(InvalidInput, match="原因"):
        services.rate(user=world["citizen"], petition=p, satisfaction="dissatisfied")
    assert (
        services.rate(user=world["citizen"], petition=p, satisfaction="dissatisfied", comment="没解决问题。")
        == "reopened"
    )
    p.refresh_from_db()
    assert p.status == Petition.Status.HANDLING and p.department == world["rs"] and p.reopen_count == 1
    with pytest.raises(InvalidInput):  # a reopened request cannot be returned
        services.return_to_centre(actor=world["rs_handler"], petition=p, reason="不归我们管。")
    services.answer(actor=world["rs_handler"], petition=p, text="已重新核实，补发告知书。")
    assert (
        services.rate(user=world["citizen"], petition=p, satisfaction="dissatisfied", comment="还是不行。")
        == "escalated"
    )
    p.refresh_from_db()
    assert p.status == Petition.Status.ESCALATED
    assert SupervisionOrder.objects.filter(petition=p, reason="dissatisfied").exists()
    services.answer(actor=world["rs_handler"], petition=p, text="局领导督办后已办结。")
    assert services.rate(user=world["citizen"], petition=p, satisfaction="basic") == "closed"
    assert Petition.objects.get(pk=p.pk).status == Petition.Status.CLOSED


def test_satisfied_closes_and_only_the_requester_rates(world):
    p = _answered(world)
    with pytest.raises(NotFound):
        services.rate(user=world["other"], petition=p, satisfaction="satisfied")
    assert services.rate(user=world["citizen"], petition=p, satisfaction="satisfied") == "closed"
    with pytest.raises(InvalidInput):
        services.rate(user=world["citizen"], petition=p, satisfaction="satisfied")


def test_callback_by_the_centre_records_the_outcome_with_the_same_effect(world):
    p = _answered(world)
    with pytest.raises(InvalidInput, match="回访记录"):
        services.record_callback(actor=world["operator"], petition=p, satisfaction="satisfied", note="")
    assert (
        services.record_callback(
            actor=world["operator"], petition=p, satisfaction="dissatisfied", note="电话回访：仍不满意。"
        )
        == "reopened"
    )


def test_joint_handling_the_lead_answers_after_every_joint_department(world):
    p = complain(world)
    services.dispatch(actor=world["operator"], petition=p, department=world["rs"], joint=[world["sj"]])
    services.accept(actor=world["rs_handler"], petition=p)
    with pytest.raises(InvalidInput, match="协办"):
        services.answer(actor=world["rs_handler"], petition=p, text="答复内容。")
    with pytest.raises(PermissionDenied):
        services.answer(actor=world["sj_handler"], petition=p, text="答复内容。")
    services.contribute(actor=world["sj_handler"], petition=p, text="市监局已检查该窗口。")
    services.answer(actor=world["rs_handler"], petition=p, text="会同市监局核实，已整改。")
    assert Petition.objects.get(pk=p.pk).status == Petition.Status.ANSWERED
    assert access.can_see(world["sj_handler"], p)


def test_anonymous_rules(world):
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    with pytest.raises(PermissionDenied, match="登录"):
        complain(world, user=nobody)
    with pytest.raises(InvalidInput, match="匿名"):
        complain(world, anonymous=True)
    report = complain(world, user=nobody, kind="report", title="超市卖过期食品", body="货架上有过期酸奶。")
    assert report.anonymous and report.requester is None and report.contact_name == ""
    assert access.can_see(nobody, report, report.token) and not access.can_see(nobody, report)
    with pytest.raises(InvalidInput, match="匿名"):
        services.submit(
            user=None,
            kind="complain",
            title="噪音扰民",
            body="工地夜间施工。",
            anonymous=True,
            recorded_by=world["operator"],
        )
    call = services.submit(
        user=None,
        kind="help",
        title="老人走失",
        body="家中老人走失，请求帮助。",
        contact_name="张三",
        contact_phone="13800009999",
        recorded_by=world["operator"],
    )
    assert call.channel == Petition.Channel.PHONE and call.recorded_by == world["operator"]
    with pytest.raises(PermissionDenied):
        services.submit(
            user=None,
            kind="help",
            title="求助",
            body="请求帮助一下。",
            contact_phone="13800009999",
            recorded_by=world["rs_handler"],
        )


def test_bad_input_changes_nothing(world):
    before = Petition.objects.count()
    with pytest.raises(InvalidInput):
        complain(world, title="")
    with pytest.raises(InvalidInput):
        complain(world, kind="nonsense")
    with pytest.raises(InvalidInput):
        complain(world, region_code="99x")
    assert Petition.objects.count() == before


def _audited(call) -> None:
    with transactions() as found:
        call()
    assert any(t.appends for t in found)
    check_audit_last(found)


def test_audit_is_the_last_write_of_each_step(world):
    p = complain(world)
    _audited(lambda: services.dispatch(actor=world["operator"], petition=p, department=world["rs"]))
    _audited(lambda: services.accept(actor=world["rs_handler"], petition=p))
    _audited(lambda: services.answer(actor=world["rs_handler"], petition=p, text="已答复处理结果。"))
    _audited(
        lambda: services.rate(
            user=world["citizen"], petition=p, satisfaction="dissatisfied", comment="不满意。"
        )
    )
