"""What `tongban demo` puts on show, seen in the browser on the shipped demo: licences already in
张晓明's wallet that verify publicly, proofs offered online, staff queues with yellow and red
deadlines, the staff warning before 出证 on an item without a licence type, and a guide that
does not promise an appointment the platform cannot book."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]


def test_wallet_licences_verify_on_the_public_page(open_as, shipped):
    page = open_as("13800000001", "/my/certificates/")
    expect(page.get_by_text("社会保障卡").first).to_be_visible()
    expect(page.get_by_text("就业创业证").first).to_be_visible()
    look(page, "demo-wallet")
    page.get_by_role("link", name=re.compile("就业创业证")).first.click()
    identifier = page.url.rstrip("/").rsplit("/", 1)[-1]
    visitor = open_as(None, f"/certificates/verify/{identifier}/")
    expect(visitor.get_by_role("heading", name="核验通过：证照有效")).to_be_visible()
    look(visitor, "demo-verify")


def test_proofs_are_offered_online(open_as):
    page = open_as("13800000001", "/proofs/")
    expect(page.get_by_text("临时身份证明").first).to_be_visible()
    expect(page.get_by_text("个人参保证明查询打印").first).to_be_visible()
    look(page, "demo-proofs")


@pytest.mark.parametrize("account", ["rs_shouli", "sj_shenhe"])
def test_queues_show_near_and_overdue_deadlines(open_as, account):
    page = open_as(account, "/staff/queue/")
    expect(page.locator("td .deadline-red", has_text="已超期").first).to_be_visible()
    if account == "sj_shenhe":
        expect(page.locator("td .deadline-yellow", has_text="即将到期").first).to_be_visible()
    look(page, f"demo-queue-{account}")


def test_issuing_staff_are_warned_when_the_item_has_no_licence_type(open_as):
    page = open_as("sj_zhizheng", "/staff/queue/")
    row = page.get_by_role("row").filter(has_text="食品小经营店备案续期")
    expect(row.first).to_be_visible()
    row.first.get_by_role("link").first.click()
    expect(page.get_by_text("该事项尚未配置电子证照类型")).to_be_visible()
    look(page, "demo-conclude-warning")


def test_guide_does_not_promise_an_appointment(open_as):
    page = open_as(None, "/search/?q=食品经营许可")
    page.get_by_role("link", name="食品经营许可", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("食品经营许可")
    content = page.content()
    assert "预约办理：支持" not in content and "网上支付：支持" not in content
    look(page, "demo-guide")
