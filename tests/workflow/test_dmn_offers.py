"""免申即享: a policy sweep offers once per person and period, the person confirms (a case is
created and concluded by the system) or declines, an unanswered offer is withdrawn when the
registry changes, people without an account get a letter record, messages carry no link."""

import datetime as dt

import pytest

from tests.cases.conftest import citizen
from tests.factories import PublishedItemFactory
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.core.models import AuditEntry
from tongban.decisions import offers
from tongban.decisions.models import AutomaticDecision, Offer, Policy
from tongban.notifications.models import Delivery, Notification
from tongban.notifications.services import check_no_links, notify_person
from tongban.registries.models import DataAccessLog, PopulationRecord

from . import dmn_world
from .dmn_builder import table_xml
from .dmn_world import grant_population, person, publish

world = dmn_world.world

TODAY = dt.date(2026, 12, 3)
ELDERLY = table_xml(
    name="高龄津贴",
    hit_policy="FIRST",
    inputs=[("户籍.年龄", "number"), ("户籍.状态", "string")],
    outputs=[("决定", "string", ""), ("金额", "number", "")],
    rules=[
        ([">=90", '"正常"'], ['"准予"', "300"]),
        ([">=80", '"正常"'], ['"准予"', "100"]),
        (["-", "-"], ['"不予"', "0"]),
    ],
)


@pytest.fixture
def policy(world):
    grant_population(world["department"])
    publish("policy:elderly", ELDERLY, world["department"], name="高龄津贴")
    item = PublishedItemFactory(
        name="高龄津贴发放", department=world["department"], case_kind="1", promised_limit=0, item_type="05"
    )
    return Policy.objects.create(
        code="GLJT", name="高龄津贴", item=item, table_key="policy:elderly", period="year"
    )


def old_citizen(birth=dt.date(1946, 12, 3), name="王大爷"):
    user = citizen(name)
    record = person(user.id_number, name=name, birth=birth)
    return user, record


def test_a_person_who_turns_80_gets_one_offer_per_period(policy):
    user, record = old_citizen()  # 80 today
    counts = offers.sweep(policy, today=TODAY)
    assert counts == {"offered": 1, "withdrawn": 0, "letters": 0}
    offer = Offer.objects.get()
    assert (offer.user, offer.person, offer.period, offer.status) == (user, record, "2026", "offered")
    assert offer.outputs == {"决定": "准予", "金额": 100} and offer.rows == [2]
    assert offers.sweep(policy, today=TODAY) == {"offered": 0, "withdrawn": 0, "letters": 0}
    assert Offer.objects.count() == 1
    assert offers.sweep(policy, today=TODAY.replace(year=2027)) == {
        "offered": 1,
        "withdrawn": 0,
        "letters": 0,
    }
    assert AuditEntry.objects.filter(action="decisions.offer").count() == 2
    log = DataAccessLog.objects.filter(person=record).first()
    assert "高龄津贴" in log.purpose and log.grant_code


def test_the_day_before_the_80th_birthday_nothing_is_offered(policy):
    old_citizen(birth=dt.date(1946, 12, 4))
    assert offers.sweep(policy, today=TODAY)["offered"] == 0


def test_the_offer_is_announced_without_any_link(policy):
    user, _ = old_citizen()
    offers.sweep(policy, today=TODAY)
    message = Notification.objects.get(user=user, event="offer")
    sms = Delivery.objects.get(user=user, event="offer")
    assert "高龄津贴" in message.title and message.link == "/decisions/offers/"
    for text in (message.title, message.body, sms.body):
        assert "http" not in text and "www" not in text and ".cn" not in text and ".com" not in text
    assert "请登录通办网站或 App" in sms.body


@pytest.mark.parametrize(
    "body",
    [
        "点击 https://example.cn/x 领取",
        "访问 www.butie.top 办理",
        "登录 gov-subsidy.com 确认",
        "见 //evil.example.cn/",
    ],
)
def test_the_anti_link_rule_refuses_messages_with_links(world, body):
    with pytest.raises(InvalidInput, match="不得包含链接"):
        check_no_links(body)
    with pytest.raises(InvalidInput):
        notify_person(user=world["applicant"], title="补贴", body=body)
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_an_inbox_link_must_stay_on_this_site(world):
    with pytest.raises(InvalidInput, match="本平台"):
        notify_person(user=world["applicant"], title="补贴", body="请登录查看。", link="https://example.cn/")


def test_a_person_without_an_account_gets_a_letter_record(policy):
    record = person("51160219461203001X", name="李奶奶")
    counts = offers.sweep(policy, today=TODAY)
    assert counts == {"offered": 1, "withdrawn": 0, "letters": 1}
    offer = Offer.objects.get(person=record)
    assert offer.channel == Offer.Channel.LETTER and offer.user is None
    assert not Notification.objects.exists()


def test_confirming_creates_a_case_concluded_by_the_system(policy, django_capture_on_commit_callbacks):
    user, _ = old_citizen()
    offers.sweep(policy, today=TODAY)
    offer = Offer.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        case = offers.confirm_offer(user=user, offer_id=offer.pk)
    case.refresh_from_db()
    offer.refresh_from_db()
    assert case.status == Case.Status.CONCLUDED and case.item == policy.item
    assert offer.status == Offer.Status.CONFIRMED and offer.case == case
    record = AutomaticDecision.objects.get(case=case)
    assert record.offer == offer and record.digest == offer.table.digest and record.finished_at
    with pytest.raises(ServiceError, match="已确认"):
        offers.confirm_offer(user=user, offer_id=offer.pk)


def test_only_the_person_may_answer_the_offer(policy):
    old_citizen()
    offers.sweep(policy, today=TODAY)
    offer = Offer.objects.get()
    with pytest.raises(NotFound):
        offers.confirm_offer(user=citizen("路人"), offer_id=offer.pk)
    with pytest.raises(NotFound):
        offers.decline_offer(user=citizen("路人"), offer_id=offer.pk)


def test_declining(policy):
    user, _ = old_citizen()
    offers.sweep(policy, today=TODAY)
    offer = offers.decline_offer(user=user, offer_id=Offer.objects.get().pk, reason="已在外地领取")
    assert offer.status == Offer.Status.DECLINED and offer.reason == "已在外地领取"
    assert AuditEntry.objects.filter(action="decisions.offer_decline").exists()
    assert offers.sweep(policy, today=TODAY)["offered"] == 0  # a declined offer is not made again
    with pytest.raises(ServiceError):
        offers.confirm_offer(user=user, offer_id=offer.pk)


def test_an_unanswered_offer_is_withdrawn_when_the_data_change(policy):
    user, record = old_citizen()
    offers.sweep(policy, today=TODAY)
    PopulationRecord.objects.filter(pk=record.pk).update(status=PopulationRecord.Status.DECEASED)
    assert offers.recheck_person(record.id_number, today=TODAY) == {
        "offered": 0,
        "withdrawn": 1,
        "letters": 0,
    }
    offer = Offer.objects.get()
    assert offer.status == Offer.Status.WITHDRAWN and "不再符合" in offer.reason
    assert Notification.objects.filter(user=user, event="offer_withdrawn").exists()
    assert AuditEntry.objects.filter(action="decisions.offer_withdraw").exists()


def test_a_confirmed_offer_is_not_withdrawn(policy, django_capture_on_commit_callbacks):
    user, record = old_citizen()
    offers.sweep(policy, today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        offers.confirm_offer(user=user, offer_id=Offer.objects.get().pk)
    PopulationRecord.objects.filter(pk=record.pk).update(status=PopulationRecord.Status.MIGRATED)
    assert offers.sweep(policy, today=TODAY)["withdrawn"] == 0
    assert Offer.objects.get().status == Offer.Status.CONFIRMED


def test_the_sweep_logs_every_person_it_reads_not_only_those_offered(policy):
    """The sweep reads each person's record for the platform: one log row per person read,
    named as the platform's task with the policy as purpose, whether or not an offer follows."""
    _user, young = old_citizen(birth=dt.date(1980, 1, 1), name="李青年")
    _user, old = old_citizen()
    offers.sweep(policy, today=TODAY)
    screening = DataAccessLog.objects.filter(purpose="免申即享：高龄津贴（资格筛查）")
    assert sorted(screening.values_list("person_id", flat=True)) == sorted([young.pk, old.pk])
    assert {(log.accessor_id, log.accessor_label, log.channel) for log in screening} == {
        (None, "通办平台·免申即享筛查", "decisions")
    }
    assert all(log.grant_code for log in screening)
    assert not DataAccessLog.objects.filter(person=young).exclude(pk__in=screening).exists()


def test_no_grant_no_sweep(policy):
    from tongban.sharing.models import Grant

    old_citizen()
    Grant.objects.all().delete()
    assert offers.sweep(policy, today=TODAY)["offered"] == 0
