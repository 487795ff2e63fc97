"""The shipped demo in a real browser: `tongban demo` + `tongban serve` exactly as `make run` does.

One server per test session (session-scoped ``shipped``): a fresh var directory, ``migrate``,
``createcachetable``, ``demo`` and ``serve`` (web, worker and tick) run as subprocesses with the
environment ``make run`` would see — without the test runner's ``TONGBAN_TESTING`` and other
test-only settings — on SQLite, or on a fresh database of the same PostgreSQL cluster when
``DATABASE_URL`` names one. Tests sign in with the README's accounts through the login pages; no
factory or fixture adds data.

Every test here is in one xdist group, so one worker runs them all against one server. A journey
is a class whose test methods are its steps, run in order; once a step fails, the later steps
of that class are skipped with the name of the failed step (they depend on what it did).
"""

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, assert_accessible, sign_in, sign_in_staff
from tongban.sharing import readaudit

HERE = Path(__file__).parent
SHOTS = SCREENSHOTS / "shipped"
GROUP = "shipped"
PASSWORD = "Tongban-Demo-2026"
TOTP_SECRET = "TONGBANDEMOTOTPKEYFORSTAFF234567"
TOTP_STEP = 30
# Environment variables the test runner sets for the in-process tests that `make run` never sets.
TEST_ONLY_ENV = (
    "TONGBAN_TESTING",
    "TONGBAN_TEST_SQLITE",
    "TONGBAN_TASKS_IMMEDIATE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)
SETUP_TIMEOUT = 900
READY_TIMEOUT = 180


def pytest_configure(config):
    # Known also when xdist is not loaded (`-p no:xdist`), under --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): run in one xdist worker with its group")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Every test under this directory is a browser test of the one shipped server: one xdist
    group (modules also say so in ``pytestmark``; this catches one that forgets).
    The xdist grouping itself is made to work in tests/conftest.py."""
    for item in items:
        if HERE in Path(str(item.path)).parents and not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(GROUP))
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if item.cls is not None and report.failed and HERE in Path(str(item.path)).parents:
        item.cls._failed_step = getattr(item.cls, "_failed_step", None) or item.name
    return report


def pytest_runtest_setup(item):
    failed = getattr(item.cls, "_failed_step", None) if item.cls is not None else None
    if failed and HERE in Path(str(item.path)).parents:
        pytest.skip(f"depends on the earlier step {failed}, which failed")


# ---------------------------------------------------------------------------------------------
# The server


@dataclass
class Shipped:
    """The running demo: its address, var directory, logs and what `tongban demo` printed."""

    url: str
    var_dir: Path
    log: Path
    demo_output: str
    totp_used: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    read_audit: Path | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _pg_connect(url: str):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return cfg, psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        autocommit=True,
    )


@pytest.fixture(scope="session")
def shipped(tmp_path_factory):
    """Load the demo and serve it; yields a ``Shipped``; stops the server and removes its data.

    While writing a journey, ``TONGBAN_SHIPPED_URL`` may name a demo you already serve (its
    state then carries over between runs); CI never sets it."""
    reuse = os.environ.get("TONGBAN_SHIPPED_URL", "").rstrip("/")
    if reuse:
        yield Shipped(url=reuse, var_dir=Path(), log=Path(), demo_output="")
        return
    root = tmp_path_factory.mktemp("shipped")
    var_dir = root / "var"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV and not k.startswith("PYTEST_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tongban.settings",
            "TONGBAN_VAR_DIR": str(var_dir),
            "TONGBAN_PUBLIC_URL": url,
            "PYTHONUNBUFFERED": "1",
            # The access log's completeness check (issue 14): the server records each request's
            # and task's reads of personal data and log rows; ``read_audit`` below checks them.
            readaudit.ENV: str(root / "read-audit.jsonl"),
        }
    )
    database = None
    base_url = os.environ.get("DATABASE_URL", "")
    if base_url.startswith(("postgres://", "postgresql://")):
        cfg, admin = _pg_connect(base_url)
        database = f"{cfg['NAME']}_shipped_{os.getpid()}"
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + database
    else:
        env.pop("DATABASE_URL", None)  # the default: SQLite under the var directory

    tongban = [sys.executable, "-m", "tongban"]
    log = root / "setup.log"
    server_log = root / "serve.log"
    server = None
    try:
        demo_output = ""
        for command in (["migrate", "--noinput"], ["createcachetable"], ["demo"]):
            done = subprocess.run(
                [*tongban, *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=SETUP_TIMEOUT,
                check=False,
            )
            with log.open("a") as out:
                out.write(f"$ tongban {' '.join(command)}\n{done.stdout}\n{done.stderr}\n")
            if done.returncode != 0:
                pytest.fail(f"tongban {' '.join(command)} failed ({done.returncode}):\n{_tail(log)}")
            if command == ["demo"]:
                demo_output = done.stdout
        with server_log.open("w") as out:
            server = subprocess.Popen(
                [*tongban, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until_healthy(url, server, server_log)
        yield Shipped(
            url=url,
            var_dir=var_dir,
            log=server_log,
            demo_output=demo_output,
            read_audit=Path(env[readaudit.ENV]),
        )
    finally:
        if server is not None:
            _stop(server)
        if database:
            _, admin = _pg_connect(base_url)
            with admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"tongban serve exited ({server.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"tongban serve did not answer /healthz within {READY_TIMEOUT} s:\n{_tail(log)}")


def _stop(server: subprocess.Popen) -> None:
    """Ask `tongban serve` to stop (it stops its web, worker and tick children), as Ctrl+C would."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# The access log's completeness (issue 14)

AUDIT = readaudit.Verdict()
_audit_offset = [0]


@pytest.fixture(autouse=True)
def read_audit(request):
    """After each step: every read of someone else's personal data the server did since the last
    step (requests and background tasks) must have left a matching access-log row."""
    yield
    if "shipped" not in request.fixturenames:
        return
    shipped = request.getfixturevalue("shipped")
    if shipped.read_audit is None:
        return
    lines, _audit_offset[0] = readaudit.read_lines(shipped.read_audit, _audit_offset[0])
    found = readaudit.verdict(lines)
    AUDIT.units += found.units
    AUDIT.reads += found.reads
    AUDIT.paths |= found.paths
    AUDIT.unmatched += found.unmatched
    AUDIT.known |= found.known
    if os.environ.get("TONGBAN_READ_AUDIT_REPORT"):  # list every unmatched read of a run at once
        return
    assert not found.unmatched, "reads of personal data without an access-log row:\n" + "\n".join(
        map(str, found.unmatched[:20])
    )


def pytest_terminal_summary(terminalreporter):
    if AUDIT.units:
        terminalreporter.write_line(
            f"access-log completeness: {AUDIT.units} requests/tasks with personal reads or log rows, "
            f"{AUDIT.reads} reads for someone else, {len(AUDIT.paths)} code paths covered "
            f"(view or task × table × call site), {len(AUDIT.unmatched)} unmatched, "
            f"{len(AUDIT.known)} known unmatched paths (readaudit.KNOWN_GAPS)"
        )
        for miss in sorted(set(map(str, AUDIT.unmatched)) | {f"known {k}" for k in AUDIT.known}):
            terminalreporter.write_line(f"  UNMATCHED {miss}")
        for path in sorted(AUDIT.paths):
            terminalreporter.write_line(f"  covered {path}")


# ---------------------------------------------------------------------------------------------
# Signing in


def totp_code(shipped: Shipped, username: str) -> str:
    """The demo TOTP code for ``username``. A code is accepted once per 30 s step and the device
    accepts one step ahead: a second sign-in in the same step uses the next step's code, and
    waits for the clock when even that one is used."""
    from django_otp.oath import hotp

    key = base64.b32decode(TOTP_SECRET)
    step = int(time.time()) // TOTP_STEP
    wanted = max(step, shipped.totp_used.get(username, -1) + 1)
    while wanted > int(time.time()) // TOTP_STEP + 1:
        time.sleep(1)
    shipped.totp_used[username] = wanted
    return f"{hotp(key, wanted):06d}"


@pytest.fixture
def open_as(shipped, browser):
    """``open_as(account)`` → a page signed in as that README account (a mobile number for a
    citizen, a username for staff; None for a visitor) on a new browser context at 1280 px,
    showing where that user starts: the home page, or the staff workbench (/staff/).
    Signed-in state is remembered for the session, so each account signs in once."""
    contexts = []

    def open_page(account: str | None, start: str | None = None):
        state = shipped.sessions.get(account) if account else None
        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
            storage_state=state,
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.console_problems = []
        page.on("pageerror", lambda error: page.console_problems.append(str(error)))
        staff = bool(account) and not account.isdigit()
        if account and state is None:
            # Through the login pages, with the demo password (and TOTP code for staff).
            if staff:
                sign_in_staff(page, shipped.url, account, PASSWORD, lambda: totp_code(shipped, account))
                expect(page).to_have_url(re.compile(r"/staff/"))
            else:
                sign_in(page, shipped.url, account, PASSWORD)
            shipped.sessions[account] = context.storage_state()
        page.goto(shipped.url + (start or ("/staff/" if staff else "/")))
        return page

    yield open_page
    for context in contexts:
        context.close()


# ---------------------------------------------------------------------------------------------
# Looking at pages


def shot(page, name: str) -> None:
    """Photograph the page at 1280 px and at 390 px (full page) into screenshots/shipped/; at
    390 px nothing may scroll sideways (WCAG 1.4.10)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
        assert scroll <= 390, f"{name} scrolls sideways at 390 px ({scroll} px wide)"
    finally:
        page.set_viewport_size(size)


def look(page, name: str) -> None:
    """What every page of a journey gets: no script errors so far, axe, screenshots at both widths."""
    assert getattr(page, "console_problems", []) == [], f"{name}: {page.console_problems}"
    assert_accessible(page, name)
    shot(page, name)


# ---------------------------------------------------------------------------------------------
# Doing things the way a user does


# A whole one-page PDF: uploads are parsed (issue 19).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000053 00000 n \n0000000103 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n167\n%%EOF\n"
)


def field_label(label: str) -> re.Pattern:
    """A form field's accessible name: its title, maybe followed by the （必填） mark."""
    return re.compile(rf"^{re.escape(label)}\s*(（必填）)?$")


def fill_form(page, values: dict[str, str | list[str]]) -> list[str]:
    """Fill the fields of the current form step that carry one of these labels (a text box, a
    date, a select, a group of radios or check boxes) and are not locked or already filled;
    returns the labels filled. Lets a journey walk a form whose step layout may change."""
    filled = []
    for label, value in values.items():
        name = field_label(label)
        group = page.get_by_role("group", name=name)
        if group.count():
            for choice in [value] if isinstance(value, str) else value:
                group.get_by_label(choice, exact=True).check()
            filled.append(label)
            continue
        field = page.get_by_label(name)
        if field.count() != 1 or not field.is_visible() or not field.is_editable():
            continue
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        elif not field.input_value():
            field.fill(value)
        else:
            continue
        filled.append(label)
    return filled


def next_step(page) -> None:
    """Press the form's 下一步 and wait for the next page to load: the checks that follow must
    see the answer to this press, not the step that was just filled (a fast server once let a
    journey fill a step before it had replaced the last one)."""
    with page.expect_navigation():
        page.get_by_role("button", name="下一步", exact=True).last.click()


def fill_address(page, detail: str) -> None:
    """The address widget when the registry did not fill it: province → city → county (htmx
    refreshes the next list), then the street."""
    street = page.get_by_label("详细地址")
    if street.count() != 1 or street.input_value():
        return
    page.get_by_label("省（自治区、直辖市）").select_option(label="四川省")
    expect(page.locator("option", has_text="广安市")).to_have_count(1)
    page.get_by_label("市（地区、州）").select_option(label="广安市")
    expect(page.locator("option", has_text="广安区")).to_have_count(1)
    page.get_by_label("县（市、区）").select_option(label="广安区")
    street.fill(detail)


def staff_act(page, action: str, fill: dict[str, str] | None = None, check: tuple[str, ...] = ()) -> None:
    """On a staff case page: fill one action card (#action-<action>), submit it, wait for the
    page's confirmation."""
    card = page.locator(f"#action-{action}")
    expect(card).to_be_visible()
    for label in check:
        card.get_by_label(label, exact=True).check()
    for label, value in (fill or {}).items():
        field = card.get_by_label(label)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    card.locator("button[type=submit]").click()
    expect(page.locator(".case-messages")).to_be_visible()


def upload_required_materials(page, prefix: str) -> list[str]:
    """On the materials page: upload a PDF for every required material that has no file yet
    (those the wallet or a registry already supplies are not asked for); returns their names."""
    done = []
    pending = (
        page.locator("li.material")
        .filter(has=page.locator(".tag-required"))
        .filter(has_not=page.locator(".current-file"))
    )
    for _ in range(pending.count()):
        material = pending.first
        name = material.get_by_role("heading", level=3).inner_text().split("\n")[0].strip()
        name = re.sub(r"\s*必要$", "", name)
        material.locator("input[type=file]").set_input_files(
            {"name": f"{prefix}-{len(done) + 1}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        material.get_by_role("button", name=re.compile("^上传")).click()
        expect(page.get_by_text(re.compile(rf"已上传“{prefix}-{len(done) + 1}\.pdf”"))).to_be_visible()
        done.append(name)
    return done
