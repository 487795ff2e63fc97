"""In chromium: consent screen (axe clean), the redirect back through our CSP, remembered consent, revoking.

The department system's callback is answered by Playwright's router, so the test also proves the
browser was allowed (CSP form-action) to go there after posting our forms.
"""

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from .conftest import REDIRECT_URI, assert_axe_clean, log_in, pkce_pair

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
