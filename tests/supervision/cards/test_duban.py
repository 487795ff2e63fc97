"""督办: issue, answer, accept or send back; escalation to the parent region's supervisors;
refusals change nothing; pages and API with the same permissions."""

import datetime as dt
import json

import pytest

from tests.factories import login_verified
from tests.supervision.cards.conftest import accepted
from tongban.cases import clock
from tongban.cases.access import Conflict
from tongban.cases.models import CaseEvent
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.notifications.models import Notification
from tongban.supervision.cards import selectors, services
from tongban.supervision.cards.models import Answer, Card, Colour, Order
from tongban.workdays import calendar


@pytest.fixture
def red(cw):
    case = accepted(cw)
    case.refresh_from_db()
    services.check_cases([case.pk], on=case.legal_due + dt.timedelta(days=1))
    card = Card.objects.get(case=case)
    assert card.colour == Colour.RED
    return card


def _state(card):
    card.refresh_from_db()
    return (
        card.status,
        Order.objects.filter(card=card).count(),
        Answer.objects.count(),
        CaseEvent.objects.filter(case=card.case).count(),
    )


def test_issue_answer_accept_closes_the_card_and_writes_the_history(cw, red):
    order = services.issue_order(
        actor=cw["supervisor"], card=red, instruction="请三日内办结并说明超期原因。", workdays="3"
    )
    assert order.due == calendar.add_workdays(clock.today(), 3).date
    assert order.issuer_region_code == "511602"
    assert Notification.objects.filter(user=cw["decider"], title__contains="督办").exists()
    services.answer_order(actor=cw["decider"], card=red, measures="已指定专人办理，今日办结。")
    services.review_answer(actor=cw["supervisor"], card=red, accept=True)
    red.refresh_from_db()
    assert red.status == Card.Status.CLOSED and red.closed_by == cw["supervisor"]
    assert list(
        CaseEvent.objects.filter(case=red.case, action__startswith="duban_").values_list("action", flat=True)
    ) == ["duban_issued", "duban_answered", "duban_accepted"]
    assert selectors.open_cards_for(cw["supervisor"]) == []


def test_a_returned_answer_goes_back_to_the_department_with_a_new_deadline(cw, red):
    services.issue_order(actor=cw["city"], card=red, instruction="请说明原因。", workdays=2)
    services.answer_order(actor=cw["reviewer"], card=red, measures="已处理。")
    with pytest.raises(InvalidInput, match="请填写退回意见"):
        services.review_answer(actor=cw["city"], card=red, accept=False, opinion=" ", workdays=3)
    services.review_answer(actor=cw["city"], card=red, accept=False, opinion="措施不具体。", workdays=5)
    red.refresh_from_db()
    assert red.status == Card.Status.ORDERED
    assert red.order.due == calendar.add_workdays(clock.today(), 5).date
    assert Answer.objects.get().verdict == Answer.Verdict.RETURNED


def test_an_unanswered_order_escalates_to_the_parent_regions_supervisors_once(cw, red):
    order = services.issue_order(actor=cw["supervisor"], card=red, instruction="请办理。", workdays=1)
    assert services.escalate_overdue(on=order.due) == 0  # due today is not ignored yet
    assert services.escalate_overdue(on=order.due + dt.timedelta(days=1)) == 1
    assert services.escalate_overdue(on=order.due + dt.timedelta(days=2)) == 0
    order.refresh_from_db()
    assert order.escalated_to == "5116" and order.escalated_at is not None
    assert Notification.objects.filter(user=cw["city"], title__contains="升级").exists()
    assert not Notification.objects.filter(user=cw["elsewhere"]).exists()
    assert selectors.open_cards_for(cw["city"])[0] == red
    assert CaseEvent.objects.filter(case=red.case, action="duban_escalated").count() == 1


def test_an_answered_order_does_not_escalate(cw, red):
    order = services.issue_order(actor=cw["supervisor"], card=red, instruction="请办理。", workdays=1)
    services.answer_order(actor=cw["decider"], card=red, measures="已办理。")
    assert services.escalate_overdue(on=order.due + dt.timedelta(days=5)) == 0


def test_refusals_change_nothing(cw, red):
    before = _state(red)
    with pytest.raises(NotFound):  # another county's supervisor learns nothing
        services.issue_order(actor=cw["elsewhere"], card=red, instruction="督办。", workdays=3)
    with pytest.raises(PermissionDenied):  # the department does not 督办 itself
        services.issue_order(actor=cw["decider"], card=red, instruction="督办。", workdays=3)
    with pytest.raises(InvalidInput, match="请填写督办要求"):
        services.issue_order(actor=cw["supervisor"], card=red, instruction="  ", workdays=3)
    for bad in ("0", "31", "三", None):
        with pytest.raises(InvalidInput, match="答复时限应为 1 至 30"):
            services.issue_order(actor=cw["supervisor"], card=red, instruction="督办。", workdays=bad)
    with pytest.raises(Conflict):  # nothing to answer yet
        services.answer_order(actor=cw["decider"], card=red, measures="已办理。")
    assert _state(red) == before

    services.issue_order(actor=cw["supervisor"], card=red, instruction="督办。", workdays=3)
    before = _state(red)
    with pytest.raises(NotFound):  # department B cannot answer department A's card
        services.answer_order(actor=cw["other_decider"], card=red, measures="已办理。")
    with pytest.raises(NotFound):  # nor can A's intake clerk
        services.answer_order(actor=cw["intake"], card=red, measures="已办理。")
    with pytest.raises(PermissionDenied):
        services.answer_order(actor=cw["city"], card=red, measures="已办理。")
    with pytest.raises(InvalidInput, match="请填写整改措施"):
        services.answer_order(actor=cw["decider"], card=red, measures="")
    with pytest.raises(Conflict):
        services.issue_order(actor=cw["supervisor"], card=red, instruction="再督办。", workdays=3)
    with pytest.raises(Conflict):
        services.review_answer(actor=cw["supervisor"], card=red, accept=True)
    assert _state(red) == before


def test_pages_for_the_supervisor_and_the_department(cw, red, client):
    login_verified(client, cw["city"])
    page = client.get("/staff/cards/")
    assert page.status_code == 200 and red.case.number in page.text
    assert client.get(f"/staff/cards/{red.pk}/").status_code == 200
    bad = client.post(f"/staff/cards/{red.pk}/order/", {"instruction": "请办理。", "workdays": "abc"})
    assert bad.status_code == 400 and "答复时限应为 1 至 30" in bad.text
    assert not Order.objects.exists()
    done = client.post(f"/staff/cards/{red.pk}/order/", {"instruction": "请办理。", "workdays": "3"})
    assert done.status_code == 302

    login_verified(client, cw["elsewhere"])
    assert client.get(f"/staff/cards/{red.pk}/").status_code == 404
    assert red.case.number not in client.get("/staff/cards/").text

    login_verified(client, cw["other_decider"])
    assert client.get(f"/staff/cards/{red.pk}/").status_code == 404
    assert client.post(f"/staff/cards/{red.pk}/answer/", {"measures": "已办理。"}).status_code == 404
    assert red.case.number not in client.get("/staff/cards/inbox/").text

    login_verified(client, cw["decider"])
    assert red.case.number in client.get("/staff/cards/inbox/").text
    assert client.get("/staff/cards/").status_code == 404  # the list is the supervisors'
    assert client.post(f"/staff/cards/{red.pk}/answer/", {"measures": "已办理。"}).status_code == 302

    login_verified(client, cw["city"])
    assert client.post(f"/staff/cards/{red.pk}/review/", {"verdict": "accept"}).status_code == 302
    red.refresh_from_db()
    assert red.status == Card.Status.CLOSED


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_api_has_the_same_permissions(cw, red, client):
    base = f"/api/v1/supervision/cards/{red.pk}"
    login_verified(client, cw["elsewhere"])
    assert client.get(base).status_code == 404
    assert client.get("/api/v1/supervision/cards").json() == []
    login_verified(client, cw["supervisor"])
    assert [c["id"] for c in client.get("/api/v1/supervision/cards").json()] == [red.pk]
    bad = _post(client, f"{base}/order", {"instruction": "", "workdays": 3})
    assert bad.status_code == 400 and "请填写督办要求" in bad.text
    assert (
        _post(client, f"{base}/order", {"instruction": "请办理。", "workdays": 3}).json()["status"]
        == "ordered"
    )
    login_verified(client, cw["other_decider"])
    assert _post(client, f"{base}/answer", {"measures": "已办理。"}).status_code == 404
    login_verified(client, cw["decider"])
    assert _post(client, f"{base}/answer", {"measures": "已办理。"}).json()["status"] == "answered"
    login_verified(client, cw["supervisor"])
    body = _post(client, f"{base}/review", {"accept": True}).json()
    assert body["status"] == "closed" and body["answers"][0]["verdict"] == "accepted"


def test_the_list_filters_unclosed_by_default_and_by_status(cw, red, client):
    services.issue_order(actor=cw["supervisor"], card=red, instruction="请办理。", workdays=3)
    login_verified(client, cw["supervisor"])
    for query, shown in (
        ("", True),
        ("?status=ordered", True),
        ("?status=open", False),
        ("?status=closed", False),
    ):
        page = client.get(f"/staff/cards/{query}")
        assert page.status_code == 200 and (red.case.number in page.text) is shown, query
    assert 'value="unclosed" selected' in client.get("/staff/cards/").text
    assert 'value="open" selected' in client.get("/staff/cards/?status=open").text
