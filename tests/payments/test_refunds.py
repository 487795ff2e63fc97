"""Refunds never exceed what is refundable; idempotent creation; window payment; expiry."""

import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.cases.audit_last import check_audit_last, transactions
from tests.cases.conftest import citizen
from tests.payments.conftest import accepted
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.payments import services
from tongban.payments.models import PaymentOrder, Refund


def _paid(world):
    case = accepted(world)
    order = PaymentOrder.objects.get(case=case)
    with transactions() as found:
        services.pay_at_window(actor=world["intake"], order=order, voucher="POS-0001")
    check_audit_last(found)
    order.refresh_from_db()
    return case, order


def test_window_payment_credits_the_order_and_the_case_goes_on(pay_world):
    case, order = _paid(pay_world)
    assert order.status == PaymentOrder.Status.PAID and order.channel == "window"
    assert order.settlement_date == timezone.localdate()  # banked the same day
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_REVIEW
    with pytest.raises(services.Conflict):
        services.pay_at_window(actor=pay_world["intake"], order=order, voucher="POS-0002")


def test_only_the_departments_window_or_finance_records_window_payment(pay_world):
    case = accepted(pay_world)
    order = PaymentOrder.objects.get(case=case)
    with pytest.raises(PermissionDenied):
        services.pay_at_window(actor=pay_world["reviewer"], order=order, voucher="POS")
    with pytest.raises(NotFound):
        services.pay_at_window(actor=pay_world["outsider_finance"], order=order, voucher="POS")
    with pytest.raises(InvalidInput):
        services.pay_at_window(actor=pay_world["intake"], order=order, voucher=" ")


def test_partial_and_full_refunds_stop_at_the_amount(pay_world):
    _case, order = _paid(pay_world)
    with transactions() as found:
        services.refund(actor=pay_world["finance"], order=order, amount="5.50", reason="证书费免收")
    check_audit_last(found)
    with pytest.raises(InvalidInput) as over:
        services.refund(actor=pay_world["finance"], order=order, amount="20.01", reason="多退")
    assert over.value.code == "over_refund" and "20.00" in over.value.message
    services.refund(actor=pay_world["finance"], order=order, amount="20", reason="撤回申请")
    order.refresh_from_db()
    assert order.refunded_amount == order.amount == Decimal("25.50")
    with pytest.raises(InvalidInput):
        services.refund(actor=pay_world["finance"], order=order, amount="0.01", reason="再退")


def test_refunds_are_for_finance_staff_of_the_department_with_a_reason_and_a_valid_amount(pay_world):
    _case, order = _paid(pay_world)
    with pytest.raises(PermissionDenied):
        services.refund(actor=pay_world["intake"], order=order, amount="1", reason="退")
    with pytest.raises(NotFound):
        services.refund(actor=pay_world["outsider_finance"], order=order, amount="1", reason="退")
    for bad in ("0", "-1", "1.001", "abc", "NaN"):
        with pytest.raises(InvalidInput):
            services.refund(actor=pay_world["finance"], order=order, amount=bad, reason="退")
    with pytest.raises(InvalidInput):
        services.refund(actor=pay_world["finance"], order=order, amount="1", reason=" ")
    assert not Refund.objects.exists()


def test_an_unpaid_order_cannot_be_refunded(pay_world):
    order = PaymentOrder.objects.get(case=accepted(pay_world))
    with pytest.raises(services.Conflict):
        services.refund(actor=pay_world["finance"], order=order, amount="1", reason="退")


def test_an_online_refund_goes_through_the_channel(pay_world, client):
    from tests.payments.conftest import post_notice, sandbox_get, sandbox_pay

    order = PaymentOrder.objects.get(case=accepted(pay_world))
    url = services.start_online(
        user=pay_world["applicant"],
        order=order,
        channel="alipay",
        notify_url="http://testserver/payments/notify/alipay/",
        return_url="",
    )
    sandbox_get(url)
    post_notice(client, sandbox_pay(pay_world["sandbox"], "alipay", order.number))
    order.refresh_from_db()
    refund = services.refund(actor=pay_world["finance"], order=order, amount="10", reason="部分退费")
    assert refund.channel_refund_no == order.channel_trade_no  # Alipay answers with the trade number
    assert pay_world["sandbox"].trades[order.number]["refunds"][0]["amount"] == Decimal("10")


def test_the_same_idempotency_key_gives_the_same_refund(pay_world):
    _case, order = _paid(pay_world)
    first = services.refund(
        actor=pay_world["finance"], order=order, amount="3", reason="退", idempotency_key="k1"
    )
    again = services.refund(
        actor=pay_world["finance"], order=order, amount="3", reason="退", idempotency_key="k1"
    )
    assert first.pk == again.pk and Refund.objects.count() == 1
    with pytest.raises(InvalidInput):
        services.refund(
            actor=pay_world["finance"], order=order, amount="4", reason="退", idempotency_key="k1"
        )


def test_order_creation_is_idempotent_and_free_items_are_refused(pay_world):
    payer = citizen("王五")
    first = services.create_order(
        actor=pay_world["intake"], item=pay_world["item"], payer=payer, idempotency_key="a"
    )
    again = services.create_order(
        actor=pay_world["intake"], item=pay_world["item"], payer=payer, idempotency_key="a"
    )
    assert first.pk == again.pk and PaymentOrder.objects.count() == 1
    with pytest.raises(InvalidInput):
        services.create_order(
            actor=pay_world["intake"], item=pay_world["item"], payer=citizen("赵六"), idempotency_key="a"
        )
    pay_world["item"].is_charged = False
    pay_world["item"].save()
    with pytest.raises(InvalidInput) as free:
        services.create_order(actor=pay_world["intake"], item=pay_world["item"], payer=payer)
    assert free.value.code == "free_item"


def test_orders_expire_and_can_be_issued_again(pay_world):
    case = accepted(pay_world)
    order = PaymentOrder.objects.get(case=case)
    PaymentOrder.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.expire_due() == 1
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.EXPIRED
    with pytest.raises(services.Conflict):
        services.start_online(
            user=pay_world["applicant"], order=order, channel="alipay", notify_url="", return_url=""
        )
    with pytest.raises(NotFound):
        services.reissue_order(user=pay_world["other"], order=order)
    fresh = services.reissue_order(user=pay_world["applicant"], order=order)
    assert fresh.pk != order.pk and fresh.payment_code != order.payment_code and fresh.amount == order.amount
    assert services.order_for_case(case) == fresh


def _spawn(env, command, *args):
    argv = [sys.executable, "-m", "tests.payments.scripts", command, *[json.dumps(a) for a in args]]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_refunds_at_once_from_two_processes_never_exceed_the_amount(external_db):
    out = subprocess.run(
        [sys.executable, "-m", "tests.payments.scripts", "prepare"],
        env=external_db,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    world = json.loads(out.stdout.strip().splitlines()[-1])
    start_at = time.time() + 4  # both interpreters are up and waiting before this instant
    procs = [_spawn(external_db, "refund", user, world["order"], "60", start_at) for user in world["finance"]]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr[-3000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    assert sorted(r["ok"] for r in results) == [False, True]
    loser = next(r for r in results if not r["ok"])
    assert loser["code"] == "over_refund" and "40.00" in loser["message"]
