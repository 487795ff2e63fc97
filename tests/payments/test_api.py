"""The payments API: creating calls honour Idempotency-Key; refusals in the API's error shape."""

import json

from tests.cases.conftest import citizen
from tests.factories import login_verified
from tongban.payments.models import PaymentOrder, Refund


def _post(client, url, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_creating_an_order_twice_with_one_key_gives_one_order(pay_world, client):
    login_verified(client, pay_world["intake"])
    payer = citizen("王五")
    body = {"item_code": pay_world["item"].code, "payer_id": payer.pk}
    first = _post(client, "/api/v1/payments/orders", body, key="order-1")
    again = _post(client, "/api/v1/payments/orders", body, key="order-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"] and first.json()["amount"] == "25.50"
    assert PaymentOrder.objects.count() == 1
    other = _post(client, "/api/v1/payments/orders", body, key="order-2")
    assert other.status_code == 201 and PaymentOrder.objects.count() == 2


def test_a_refund_through_the_api_is_idempotent_and_guarded(pay_world, client):
    from tongban.payments import services

    order = services.create_order(actor=pay_world["intake"], item=pay_world["item"], payer=citizen("王五"))
    services.pay_at_window(actor=pay_world["intake"], order=order, voucher="POS")
    login_verified(client, pay_world["finance"])
    url = f"/api/v1/payments/orders/{order.public_id}/refunds"
    first = _post(client, url, {"amount": "20", "reason": "退费"}, key="r1")
    again = _post(client, url, {"amount": "20", "reason": "退费"}, key="r1")
    assert first.status_code == again.status_code == 201 and Refund.objects.count() == 1
    over = _post(client, url, {"amount": "6", "reason": "退费"}, key="r2")
    assert over.status_code == 400 and over.json()["code"] == "over_refund"


def test_an_order_is_hidden_from_other_people(pay_world, client):
    from tongban.payments import services

    order = services.create_order(
        actor=pay_world["intake"], item=pay_world["item"], payer=pay_world["applicant"]
    )
    login_verified(client, pay_world["other"])
    assert client.get(f"/api/v1/payments/orders/{order.public_id}").status_code == 404
    client.logout()
    login_verified(client, pay_world["applicant"])
    assert (
        client.get(f"/api/v1/payments/orders/{order.public_id}").json()["payment_code"] == order.payment_code
    )
