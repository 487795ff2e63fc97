"""Reconciliation on the providers' statement files, with planted mismatches; receipts; webhooks."""

import io
import zipfile

import pytest
from django.utils import timezone

from tests.payments.conftest import accepted, post_notice, sandbox_get, sandbox_pay
from tongban.certificates import selectors as certificate_selectors
from tongban.core.errors import PermissionDenied
from tongban.identity.actors import Actor
from tongban.payments import providers, receipts, reconciliation, services, webhooks
from tongban.payments.models import Mismatch, PaymentOrder, WebhookDelivery, WebhookEndpoint


def _paid_online(world, client, channel, n):
    world["sandbox"].trades.clear()  # the provider's memory outlives each test's database
    orders = []
    for _ in range(n):
        order = PaymentOrder.objects.get(case=accepted(world))
        url = services.start_online(
            user=world["applicant"],
            order=order,
            channel=channel,
            notify_url=f"http://testserver/payments/notify/{channel}/",
            return_url="",
        )
        if channel == "alipay":
            sandbox_get(url)
        post_notice(client, sandbox_pay(world["sandbox"], channel, order.number))
        order.refresh_from_db()
        assert order.status == PaymentOrder.Status.PAID
        orders.append(order)
    return orders


def _kinds(statement):
    return sorted((m.kind, m.out_trade_no) for m in statement.mismatches.all())


def test_an_alipay_bill_with_planted_mismatches(pay_world, client):
    a, b, c = _paid_online(pay_world, client, "alipay", 3)
    day = timezone.localdate()
    content = providers.provider("alipay").statement(day)
    clean = reconciliation.import_statement("alipay", day, content)
    assert clean.matched == 3 and not clean.mismatches.exists()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        name = next(n for n in archive.namelist() if "汇总" not in n)
        text = archive.read(name).decode("gbk")
    lines = [line for line in text.splitlines() if b.number not in line]  # paid here, not there
    lines = [line.replace("25.50,25.50", "2.55,2.55") if c.number in line else line for line in lines]
    lines.insert(-1, "2026UNKNOWN0001,JK20990101000000,交易,陌生款项,,,9.00,9.00,")  # unknown
    planted = io.BytesIO()
    with zipfile.ZipFile(planted, "w") as archive:
        archive.writestr(name, "\n".join(lines).encode("gbk"))
    statement = reconciliation.import_statement("alipay", day, planted.getvalue())
    assert statement.matched == 1
    assert _kinds(statement) == sorted(
        [("amount", c.number), ("missing_here", "JK20990101000000"), ("missing_there", b.number)]
    )
    assert a.number not in {m.out_trade_no for m in statement.mismatches.all()}


def test_a_wechat_bill_with_planted_mismatches_and_resolving_them(pay_world, client):
    a, b = _paid_online(pay_world, client, "wechat", 2)
    day = timezone.localdate()
    text = providers.provider("wechat").statement(day).decode()
    rows = text.splitlines()
    rows = [r.replace("`25.50", "`30.00", 1) if a.number in r else r for r in rows]
    statement = reconciliation.import_statement("wechat", day, "\n".join(rows).encode())
    assert _kinds(statement) == [("amount", a.number)]
    mismatch = statement.mismatches.get()
    with pytest.raises(PermissionDenied):
        reconciliation.resolve(actor=pay_world["intake"], mismatch=mismatch, note="核实")
    with pytest.raises(reconciliation.InvalidInput):
        reconciliation.resolve(actor=pay_world["finance"], mismatch=mismatch, note="")
    reconciliation.resolve(actor=pay_world["finance"], mismatch=mismatch, note="渠道已更正")
    assert Mismatch.objects.get(pk=mismatch.pk).resolved_at is not None
    assert b.number not in {m.out_trade_no for m in statement.mismatches.all()}


def test_a_broken_statement_file_is_refused(pay_world):
    with pytest.raises(reconciliation.InvalidInput):
        reconciliation.import_statement("alipay", timezone.localdate(), b"not a zip")


def test_the_receipt_is_issued_once_into_the_payers_wallet(pay_world, client):
    (order,) = _paid_online(pay_world, client, "alipay", 1)
    receipt = receipts.issue_for_order(order.pk)
    assert receipts.issue_for_order(order.pk).pk == receipt.pk
    assert receipt.fields["payment_code"] == order.payment_code and receipt.fields["amount"] == "25.50"
    wallet = certificate_selectors.wallet(Actor(user=pay_world["applicant"]))
    assert receipt in list(wallet)
    assert receipts.issue_missing() == 0


def test_webhooks_retry_on_the_ladder_and_keep_a_log(pay_world):
    WebhookEndpoint.objects.create(
        department=pay_world["department"], url="http://127.0.0.1:9/hook", secret="s"
    )
    case = accepted(pay_world)
    order = PaymentOrder.objects.get(case=case)
    services.pay_at_window(actor=pay_world["intake"], order=order, voucher="POS")
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["event"] == "payment.paid" and delivery.payload["order"] == order.number
    sent = []

    def failing(url, body, signature):
        sent.append(signature == webhooks.sign("s", body))
        return 500

    gaps = []
    for _ in range(len(webhooks.LADDER) + 1):
        before = timezone.now()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=before)
        webhooks.attempt(delivery.pk, send=failing)
        delivery.refresh_from_db()
        gaps.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
    assert gaps[:5] == [1, 5, 60, 1440, 2880]
    assert delivery.status == WebhookDelivery.Status.FAILED and len(delivery.log) == 6 and all(sent)
    assert webhooks.attempt(delivery.pk, send=failing) == "skipped"  # given up: no seventh try


def test_a_webhook_that_is_taken_is_delivered(pay_world):
    WebhookEndpoint.objects.create(
        department=pay_world["department"], url="http://127.0.0.1:9/hook", secret="s"
    )
    order = PaymentOrder.objects.get(case=accepted(pay_world))
    services.pay_at_window(actor=pay_world["intake"], order=order, voucher="POS")
    delivery = WebhookDelivery.objects.get()
    assert webhooks.attempt(delivery.pk, send=lambda url, body, sig: 204) == WebhookDelivery.Status.DELIVERED
