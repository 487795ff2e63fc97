"""The wallet in a real browser (Debian chromium): list, one certificate, 亮证 and verification, axe-clean."""

import re

import pytest
from playwright.sync_api import expect

# One Playwright per test, as in tests/e2e: a Playwright started before the test's database
# fixture runs its event loop in another context, where Django's connection is not the one that
# holds the serialized data, so the test's flush would re-create content types under new keys.
from tests.e2e import conftest as e2e_fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

assert_accessible = e2e_fixtures.assert_accessible
browser = e2e_fixtures.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.console_problems = problems
    yield page
    context.close()


def test_wallet_pages_are_accessible_and_show_the_certificate(live_server, page, issued, world):
    base = live_server.url
    e2e_fixtures.add_session(page.context, base, world["applicant"])
    page.goto(base + "/my/certificates/")
    expect(page.get_by_role("heading", level=1, name="我的卡包")).to_be_visible()
    expect(page.get_by_role("link", name="食品经营许可证")).to_be_visible()
    assert_accessible(page, "wallet")

    page.get_by_role("link", name="食品经营许可证").click()
    expect(page.get_by_role("heading", level=1, name="食品经营许可证")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("核验二维码"))).to_be_visible()
    expect(page.get_by_text("申请开办餐饮店")).to_be_visible()
    assert_accessible(page, "certificate")

    page.get_by_role("button", name="亮证").click()
    expect(page.get_by_role("img", name=re.compile("亮证二维码"))).to_be_visible()
    assert_accessible(page, "present")

    page.goto(base + f"/certificates/verify/{issued.identifier}/")
    expect(page.get_by_role("heading", name="核验通过：证照有效")).to_be_visible()
    assert_accessible(page, "verify")
    assert page.console_problems == []
