"""Provider callbacks verified with the SDKs: good, forged, replayed, out-of-order, duplicate."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.payments.conftest import accepted, post_notice, sandbox_get, sandbox_pay
from tongban.cases.models import Case
from tongban.core.models import AuditEntry
from tongban.payments import services
from tongban.payments.models import Callback, PaymentOrder


def _paying(world, channel):
    case = accepted(world)
    order = PaymentOrder.objects.get(case=case)
    target = services.start_online(
        user=world["applicant"],
        order=order,
        channel=channel,
        notify_url=f"http://testserver/payments/notify/{channel}/",
        return_url="http://testserver/back/",
    )
    if channel == "alipay":
        sandbox_get(target)  # the payer's browser opens the cashier
    order.refresh_from_db()
    return case, order


def _signed_alipay(world, order, **changes):
    """A notification signed with the sandbox's (the provider's) key."""
    app = world["sandbox"]
    form = {
        "notify_time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "notify_type": "trade_status_sync",
        "notify_id": "n-" + order.number,
        "app_id": app.ids["alipay_app_id"],
        "trade_no": "2026TRADE" + order.number,
        "out_trade_no": order.number,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": f"{order.amount:.2f}",
        **changes,
    }
    form["sign"] = app.alipay._sign("&".join(f"{k}={v}" for k, v in sorted(form.items())))
    form["sign_type"] = "RSA2"
    from urllib.parse import urlencode

    return {
        "channel": "alipay",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "body": urlencode(form),
    }


def test_a_wechat_pay_v3_callback_is_verified_decrypted_and_credited(pay_world, client):
    case, order = _paying(pay_world, "wechat")
    notice = sandbox_pay(pay_world["sandbox"], "wechat", order.number)
    assert json.loads(notice["body"])["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    answer = post_notice(client, notice)
    assert answer.status_code == 204
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and order.channel == "wechat"
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_REVIEW


@pytest.mark.parametrize("channel", ["alipay", "wechat"])
def test_a_duplicate_callback_is_absorbed_without_a_second_credit(pay_world, client, channel):
    case, order = _paying(pay_world, channel)
    notice = sandbox_pay(pay_world["sandbox"], channel, order.number)
    first, again = post_notice(client, notice), post_notice(client, notice)
    assert first.status_code == again.status_code and first.status_code in (200, 204)
    assert AuditEntry.objects.filter(action="payments.paid").count() == 1
    assert list(Callback.objects.filter(order=order).order_by("pk").values_list("outcome", flat=True)) == [
        "credited",
        "duplicate",
    ]
    assert Case.objects.get(pk=case.pk).events.filter(action="payment").count() == 1


def test_a_forged_alipay_callback_is_rejected(pay_world, client):
    _case, order = _paying(pay_world, "alipay")
    notice = sandbox_pay(pay_world["sandbox"], "alipay", order.number)
    tampered = notice["body"].replace("total_amount=25.50", "total_amount=0.01")
    assert tampered != notice["body"]
    answer = post_notice(client, notice, body=tampered)
    assert answer.content == b"fail"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING
    assert Callback.objects.get().outcome == Callback.Outcome.REJECTED


def test_a_callback_signed_with_another_key_is_rejected(pay_world, client):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    _case, order = _paying(pay_world, "alipay")
    app = pay_world["sandbox"]
    real = app.alipay._app_private_key
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from Cryptodome.PublicKey import RSA

    app.alipay._app_private_key = RSA.import_key(
        other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    try:
        forged = _signed_alipay(pay_world, order)
    finally:
        app.alipay._app_private_key = real
    assert post_notice(client, forged).content == b"fail"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING


def test_a_forged_wechat_callback_is_rejected(pay_world, client):
    _case, order = _paying(pay_world, "wechat")
    notice = sandbox_pay(pay_world["sandbox"], "wechat", order.number)
    body = json.loads(notice["body"])
    body["event_type"] = "TRANSACTION.SUCCESS "  # any change breaks the platform signature
    answer = post_notice(client, notice, body=json.dumps(body, ensure_ascii=False))
    assert answer.status_code == 400
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING


def test_a_replayed_callback_outside_its_time_window_is_rejected(pay_world, client, monkeypatch):
    _case, order = _paying(pay_world, "wechat")
    notice = sandbox_pay(pay_world["sandbox"], "wechat", order.number)
    later = timezone.now() + dt.timedelta(minutes=6)  # WeChat Pay signs each push anew: 5 minutes
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    answer = post_notice(client, notice)
    assert answer.status_code == 400
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING
    assert Callback.objects.get().detail.startswith("通知时间超出有效期")


def test_out_of_order_callbacks_never_move_an_order_back(pay_world, client):
    _case, order = _paying(pay_world, "alipay")
    waiting = _signed_alipay(pay_world, order, trade_status="WAIT_BUYER_PAY", notify_id="n-wait")
    assert post_notice(client, waiting).content == b"success"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING
    assert post_notice(client, _signed_alipay(pay_world, order)).content == b"success"
    closed = _signed_alipay(pay_world, order, trade_status="TRADE_CLOSED", notify_id="n-closed")
    assert post_notice(client, closed).content == b"success"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    assert AuditEntry.objects.filter(action="payments.paid").count() == 1


def test_a_signed_callback_with_the_wrong_amount_is_rejected(pay_world, client):
    _case, order = _paying(pay_world, "alipay")
    assert post_notice(client, _signed_alipay(pay_world, order, total_amount="1.00")).content == b"fail"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING


def test_alipays_signed_return_credits_once_and_the_late_notice_is_a_duplicate(pay_world, client):
    case, order = _paying(pay_world, "alipay")
    notice = sandbox_pay(pay_world["sandbox"], "alipay", order.number)
    answer = client.get(f"/payments/{order.public_id}/return/", notice["return_params"])
    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    post_notice(client, notice)
    assert AuditEntry.objects.filter(action="payments.paid").count() == 1
    forged = {**notice["return_params"], "total_amount": "0.01"}
    order2 = order  # a forged return for the same order changes nothing either
    client.get(f"/payments/{order2.public_id}/return/", forged)
    assert AuditEntry.objects.filter(action="payments.paid").count() == 1
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_REVIEW
