"""In chromium: consent screen (axe clean), the redirect back through our CSP, remembered consent, revoking.

The department system's callback is answered by Playwright's router, so the test also proves the
browser was allowed (CSP form-action) to go there after posting our forms.
"""

import os
import re
import shutil
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import REDIRECT_URI, pkce_pair

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
axe = Axe()


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make browsers`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.route(
            re.compile(r"^https://dept\.example\.cn/.*"),
            lambda route: route.fulfill(status=200, content_type="text/html", body="<p>部门系统</p>"),
        )
        yield page
        browser.close()


def assert_axe_clean(page, label: str) -> None:
    violations = axe.run(page).response["violations"]
    assert [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations] == [], label


def authorize_url(base: str, client_id: str) -> str:
    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile id_number phone",
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base}/oidc/authorize/?{urlencode(query)}"


def log_in(page, username: str = "zhangsan") -> None:
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill("pw-123456")
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()


def test_consent_redirect_remembered_consent_and_revoke(live_server, citizen, rp, page):
    page.goto(authorize_url(live_server.url, rp.client.client_id))
    expect(page).to_have_url(re.compile(r"/account/login/"))
    log_in(page)

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("“不动产登记系统”请求使用您的通办账号登录")
    expect(page.get_by_role("listitem").filter(has_text="您的身份证号码（部分隐藏")).to_be_visible()
    assert_axe_clean(page, "consent screen")

    page.get_by_role("button", name="同意并继续").click()
    page.wait_for_url(re.compile(r"^https://dept\.example\.cn/sso/callback\?.*code="))
    assert "state=browser-state" in page.url

    # Signed out of Tongban, the next sign-in through the department system skips the consent screen:
    # after the login form the browser passes our continue page and lands at the callback.
    page.context.clear_cookies()
    page.goto(authorize_url(live_server.url, rp.client.client_id))
    log_in(page)
    page.wait_for_url(re.compile(r"^https://dept\.example\.cn/sso/callback\?.*code="))

    page.goto(f"{live_server.url}/account/connected-apps/")
    expect(page.get_by_role("heading", name="已授权的部门系统")).to_be_visible()
    assert_axe_clean(page, "connected apps")
    page.get_by_role("button", name="取消对“不动产登记系统”的授权").click()
    expect(page.get_by_role("status")).to_contain_text("已取消 不动产登记系统 的授权")
    expect(page.get_by_text("您还没有授权任何部门系统")).to_be_visible()
    assert_axe_clean(page, "connected apps after revoking")


def test_refusing_returns_access_denied(live_server, citizen, rp, page):
    page.goto(authorize_url(live_server.url, rp.client.client_id))
    log_in(page)
    page.get_by_role("button", name="拒绝").click()
    page.wait_for_url(re.compile(r"^https://dept\.example\.cn/sso/callback\?.*error=access_denied"))
