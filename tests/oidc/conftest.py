"""Fixtures for single sign-on tests: a registered department system and people with real-name data."""

import base64
import hashlib
import os
import re
import secrets
import shutil
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import assert_accessible
from tests.factories import DepartmentFactory, UserFactory
from tongban.identity.oidc.services import create_client

REDIRECT_URI = "https://dept.example.cn/sso/callback"
ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Client secrets and passwords are hashed with argon2 in production; tests need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def citizen(db):
    return UserFactory(
        username="zhangsan", real_name="张三", id_number=ID_NUMBER, mobile=MOBILE, real_name_level=2
    )


@pytest.fixture
def other_citizen(db):
    return UserFactory(username="lisi", real_name="李四", mobile="13900000000")


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def rp(db, department):
    """A department system registered for masked data (the usual case)."""
    return create_client(name="不动产登记系统", redirect_uris=[REDIRECT_URI], department_id=department.pk)


@pytest.fixture
def rp_full_id(db, department):
    return create_client(
        name="社保待遇系统",
        redirect_uris=[REDIRECT_URI],
        department_id=department.pk,
        may_receive_full_id=True,
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client_id: str, challenge: str, scope: str = "openid profile", **extra) -> dict:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def code_from(location: str) -> str:
    query = parse_qs(urlparse(location).query)
    assert "code" in query, location
    return query["code"][0]


# Browser tests (Playwright driving Debian's chromium).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def page():
    """A chromium page; the department system's host is answered by Playwright, never the network."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make browsers`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
    """Stricter than the other browser tests: no axe violation of any impact."""
    assert_accessible(page, label, impacts=None)


def log_in(page, username: str = "zhangsan") -> None:
    """Fill and send the identity app's password login form."""
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill("pw-123456")
    page.locator('form:has(input[name="password"]) button[type="submit"]').click()
