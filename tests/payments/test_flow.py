"""缴费 in a case: the process waits for payment and continues by itself once it is paid."""

from decimal import Decimal

from tests.factories import PublishedItemFactory
from tests.payments.conftest import accepted, post_notice, sandbox_get, sandbox_pay, submit
from tongban.cases.models import Case, CaseEvent
from tongban.core.models import AuditEntry
from tongban.payments import services
from tongban.payments.models import PaymentOrder


def test_a_charging_item_waits_at_payment_with_a_notice_and_continues_when_paid(pay_world, client):
    case = accepted(pay_world)
    assert case.status == Case.Status.PAYMENT and case.current_step == "payment"
    assert case.paused_since is not None  # the clock stops while the applicant pays
    order = PaymentOrder.objects.get(case=case)
    assert order.amount == Decimal("25.50") and [line["amount"] for line in order.lines] == ["20", "5.50"]
    assert len(order.payment_code) == 20 and services.luhn_ok(order.payment_code)
    assert order.payer == pay_world["applicant"] and order.status == PaymentOrder.Status.CREATED

    url = services.start_online(
        user=pay_world["applicant"],
        order=order,
        channel="alipay",
        notify_url="http://testserver/payments/notify/alipay/",
        return_url="http://testserver/back/",
    )
    assert "确认付款" in sandbox_get(url)  # the sandbox accepted the SDK's signed request
    notice = sandbox_pay(pay_world["sandbox"], "alipay", order.number)
    answer = post_notice(client, notice)
    assert answer.status_code == 200 and answer.content == b"success"

    order.refresh_from_db()
    case.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and order.channel == "alipay" and order.channel_trade_no
    assert order.settlement_date is not None
    assert case.status == Case.Status.IN_REVIEW and case.current_step == "review"
    assert case.paused_since is None
    assert CaseEvent.objects.filter(case=case, action="payment", title="已缴费").count() == 1
    assert AuditEntry.objects.filter(action="payments.paid").count() == 1


def test_free_items_never_create_orders(pay_world):
    free = PublishedItemFactory(name="户籍证明", department=pay_world["department"], is_charged=False)
    pay_world["material"] = None
    case = accepted(pay_world, free)
    assert case.status == Case.Status.IN_REVIEW
    assert not PaymentOrder.objects.exists()


def test_a_charging_item_whose_fees_come_to_nothing_passes_the_step(pay_world):
    pay_world["item"].fees.update(standard="免收")
    case = accepted(pay_world)
    assert case.status == Case.Status.IN_REVIEW
    assert not PaymentOrder.objects.exists()


def test_submission_alone_does_not_charge(pay_world):
    case = submit(pay_world)
    assert case.status == Case.Status.PENDING_INTAKE
    assert not PaymentOrder.objects.exists()
