"""The payment pages: the applicant's 缴款通知 and case panel, the staff order page."""

import re

from tests.factories import login_verified
from tests.payments.conftest import accepted
from tongban.payments.models import PaymentOrder


def test_the_applicant_sees_the_notice_with_code_and_qr_and_the_case_page_links_to_it(pay_world, client):
    case = accepted(pay_world)
    order = PaymentOrder.objects.get(case=case)
    login_verified(client, pay_world["applicant"])
    page = client.get(f"/payments/{order.public_id}/").content.decode()
    assert order.payment_code in page and "<svg" in page and "支付宝支付" in page and "25.50" in page
    case_page = client.get(f"/my/cases/{case.number}/").content.decode()
    assert "需要您缴费" in case_page and f"/payments/{order.public_id}/" in case_page


def test_another_citizen_gets_not_found(pay_world, client):
    order = PaymentOrder.objects.get(case=accepted(pay_world))
    login_verified(client, pay_world["other"])
    assert client.get(f"/payments/{order.public_id}/").status_code == 404
    assert client.post(f"/payments/{order.public_id}/pay/", {"channel": "alipay"}).status_code == 404


def test_paying_with_alipay_sends_the_browser_to_the_channels_cashier(pay_world, client):
    order = PaymentOrder.objects.get(case=accepted(pay_world))
    login_verified(client, pay_world["applicant"])
    answer = client.post(f"/payments/{order.public_id}/pay/", {"channel": "alipay"})
    link = re.search(r'href="([^"]*/alipay/gateway\.do\?[^"]*)"', answer.content.decode())
    assert answer.status_code == 200 and link and "sign=" in link.group(1)
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAYING


def test_finance_staff_refund_from_the_order_page(pay_world, client):
    from tongban.payments import services

    order = PaymentOrder.objects.get(case=accepted(pay_world))
    services.pay_at_window(actor=pay_world["intake"], order=order, voucher="POS")
    login_verified(client, pay_world["finance"])
    page = client.get(f"/payments/manage/{order.public_id}/").content.decode()
    assert "尚可退 25.50 元" in page
    client.post(
        f"/payments/manage/{order.public_id}/", {"action": "refund", "amount": "30", "reason": "多收"}
    )
    order.refresh_from_db()
    assert order.refunded_amount == 0
    client.post(
        f"/payments/manage/{order.public_id}/", {"action": "refund", "amount": "5.50", "reason": "多收"}
    )
    order.refresh_from_db()
    assert str(order.refunded_amount) == "5.50"
