"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live server.

The helpers every browser test shares live here, once: the axe check (``assert_accessible``),
signing in through the login pages (``sign_in``, ``sign_in_staff`` with ``totp_token``) or
without them (``add_session``), a new
signed-out browser page (``new_page``) and photographs at both widths (``photograph``).
The shipped-demo suite (``shipped/conftest.py``) uses the same ones.
"""

import functools
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# (creating data) would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def assert_accessible(page, label: str, impacts: tuple[str, ...] | None = ("serious", "critical")) -> None:
    """No axe-core violations of these impacts (by default serious or critical; None: of any
    impact) on the page as it is now."""
    results = _axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if impacts is None or v["impact"] in impacts
    ]
    assert bad == [], f"{label}: {bad}"


def new_page(browser, problems: list[str]):
    """A new browser context (zh-CN, 1280 px, downloads accepted) and its page, as
    ``(context, page)``; console errors and script errors are appended to ``problems``."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page


def photograph(page, screenshot, name: str) -> None:
    """The page at phone width and at desktop width (``<name>-mobile``, ``<name>-desktop``)."""
    for width, suffix in ((390, "mobile"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})


def add_session(context, base_url: str, user, *, second_factor: bool = False) -> None:
    """Sign ``user`` in without the login pages, for tests about other pages: a test client's
    session cookie in the browser context (``second_factor``: verified with a TOTP device, as
    staff pages require)."""
    from django.conf import settings
    from django.test import Client

    from tests.factories import login_verified

    client = Client()
    if second_factor:
        login_verified(client, user)
    else:
        client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])


def totp_token(device) -> str:
    """The current code of a django-otp TOTP device (read again: a used code moves its counter)."""
    from django_otp.oath import totp

    device.refresh_from_db()
    return f"{totp(device.bin_key):06d}"


def sign_in(page, base_url: str, username: str, password: str, next_url: str = "") -> None:
    """Sign in on the login page with a password (a citizen's mobile number or a username)."""
    page.goto(f"{base_url}/account/login/" + (f"?next={next_url}" if next_url else ""))
    form = page.locator("form:has(input[type=password])")
    form.get_by_label("手机号码或用户名").fill(username)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_role("button", name="登录", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def sign_in_staff(
    page, base_url: str, username: str, password: str, token: Callable[[], str], next_url: str = ""
) -> None:
    """Sign in on the staff login page: password, then the code ``token()`` gives on the
    second-factor page (asked for only then, as a code is valid for a short time)."""
    page.goto(f"{base_url}/staff/login/" + (f"?next={next_url}" if next_url else ""))
    form = page.locator("form:has(input[type=password])")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(re.compile(r"/login/two-factor/"))
    page.get_by_label("动态口令").fill(token())
    page.get_by_role("button", name="验证并登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


@pytest.fixture(autouse=True)
def public_url_of_live_server(request):
    """Absolute links and QR codes (tongban.core.public) point to the live server a browser test
    uses, as ``tongban serve`` points them to its own port, not to the default port 8000."""
    if "live_server" not in request.fixturenames:
        return
    live_server = request.getfixturevalue("live_server")
    request.getfixturevalue("settings").TONGBAN_PUBLIC_URL = live_server.url


@pytest.fixture
def browser():
    """One Playwright per test, stopped afterwards: a Playwright left running between tests keeps
    an event loop alive in the worker, and any other test starting its own then fails."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make browsers`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.console_problems = problems
    return page


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        # Every photographed page reflows at its width (WCAG 1.4.10): nothing scrolls sideways.
        width = page.viewport_size["width"]
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width} px ({scroll})"
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
