"""Identity in a real browser: register → verify → log out → log in; staff log in with TOTP;
enterprise and agent pages. Every page of identity is checked with axe (no serious or critical
violations)."""

import datetime
import json
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in, totp_token
from tests.factories import DepartmentFactory, PublishedItemFactory
from tests.identity.factories import (
    PASSWORD,
    PopulationRecordFactory,
    enterprise_for,
    grant,
    staff_in,
    verified_citizen,
)
from tongban.identity.models import AgentAuthorization, StaffRole, User
from tongban.registries.models import PopulationRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MOBILE = "13912340001"
NEW_PASSWORD = "Browser-Pass-2026"


@pytest.fixture(autouse=True)
def _patient(page):
    """These pages are light, but the machine running the suite may be busy."""
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.TONGBAN_OUTBOX_DIR = tmp_path / "outbox"
    settings.TONGBAN_SMS_BACKEND = "outbox"

    def last_code(mobile: str) -> str:
        lines = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["content"] for line in lines if json.loads(line)["mobile"] == mobile]
        return re.search(r"(\d{6})", texts[-1]).group(1)

    return last_code


def test_register_verify_logout_login(live_server, page, outbox):
    record = PopulationRecordFactory(name="陈静")
    deceased = PopulationRecordFactory(name="赵德明", status=PopulationRecord.Status.DECEASED)
    base = live_server.url

    page.goto(base + "/account/login/")
    page.locator(".site-header").get_by_role("link", name="注册").click()
    expect(page.get_by_role("heading", level=1, name="注册通办账号")).to_be_visible()
    assert_accessible(page, "register")
    page.get_by_label("手机号码").fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text(re.compile("验证码已发送至 139\\*\\*\\*\\*0001"))).to_be_visible()
    page.get_by_label("短信验证码").fill(outbox(MOBILE))
    page.get_by_label("设置密码").fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="实名核验")).to_be_visible()
    assert_accessible(page, "verify")
    page.get_by_label("姓名").fill("赵德明")
    page.get_by_label("身份证号码").fill(deceased.id_number)
    page.get_by_role("button", name="提交核验").click()
    expect(page.get_by_text(re.compile("已死亡人员"))).to_be_visible()
    assert_accessible(page, "verify refused")
    page.get_by_label("姓名").fill("陈晶")
    page.get_by_label("身份证号码").fill(record.id_number)
    page.get_by_role("button", name="提交核验").click()
    expect(page.get_by_text("姓名与身份证号码不一致，请核对后重新输入。")).to_be_visible()
    page.get_by_label("姓名").fill("陈静")
    page.get_by_label("身份证号码").fill(record.id_number)
    page.get_by_role("button", name="提交核验").click()

    expect(page.get_by_role("heading", level=1, name="我的账号")).to_be_visible()
    expect(page.get_by_text("L2 实名核验")).to_be_visible()
    expect(page.get_by_text(record.id_number[:4] + "**********" + record.id_number[-4:])).to_be_visible()
    assert record.id_number not in page.content()
    assert_accessible(page, "account")
    assert User.objects.get(mobile=MOBILE).real_name_level == 2

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    page.get_by_role("link", name="登录").click()
    assert_accessible(page, "login (password)")
    page.get_by_label("手机号码或用户名").fill(MOBILE)
    page.get_by_label("密码", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("账号或密码不正确。")).to_be_visible()
    assert_accessible(page, "login error")
    page.get_by_label("手机号码或用户名").fill(MOBILE)
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1, name="我的账号")).to_be_visible()
    expect(page.get_by_role("cell", name="失败")).to_be_visible()  # the wrong password is in the history
    page.get_by_role("button", name="退出").click()

    page.goto(base + "/account/login/?method=sms")
    assert_accessible(page, "login (sms)")
    page.goto(base + "/account/recover/")
    assert_accessible(page, "recover")


def test_staff_log_in_with_totp(live_server, page):
    department = DepartmentFactory()
    clerk = staff_in(department, StaffRole.INTAKE, StaffRole.REVIEW)
    device = TOTPDevice.objects.create(user=clerk, name="app", confirmed=True)
    citizen = verified_citizen()
    base = live_server.url

    page.goto(base + "/staff/login/")
    assert_accessible(page, "staff login")
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", level=1, name="输入动态口令")).to_be_visible()
    assert_accessible(page, "totp")
    page.get_by_label("动态口令").fill(totp_token(device))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("heading", level=1, name="工作台")).to_be_visible()
    assert_accessible(page, "staff home")

    # The workbench names the clerk's department and roles; its staff list is a page of its own.
    expect(page.locator(".workbench .lead")).to_contain_text(department.name)
    page.goto(base + f"/staff/departments/{department.pk}/")
    expect(page.get_by_role("heading", level=1, name=department.name)).to_be_visible()
    assert_accessible(page, "department staff")

    page.goto(base + "/staff/in-person/")
    assert_accessible(page, "in-person check")
    page.get_by_label("申请人手机号码").fill(citizen.mobile)
    page.get_by_label("申请人身份证号码").fill(citizen.id_number)
    page.get_by_label("已当面核对身份证原件与本人相貌一致").check()
    page.get_by_role("button", name=re.compile("核验通过")).click()
    expect(page.get_by_text(re.compile("已提升为 L3"))).to_be_visible()
    citizen.refresh_from_db()
    assert citizen.real_name_level == 3

    page.goto(base + "/account/two-factor/")
    assert_accessible(page, "staff two-factor")
    page.get_by_role("button", name="退出").click()


def test_staff_first_login_binds_an_authenticator(live_server, page):
    newcomer = staff_in(DepartmentFactory(), StaffRole.DECIDE)
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("用户名").fill(newcomer.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", level=1, name="绑定身份验证器")).to_be_visible()
    expect(page.locator(".qr-box svg")).to_be_visible()
    assert_accessible(page, "enrol")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    page.get_by_label("动态口令").fill(totp_token(device))
    page.get_by_role("button", name="绑定并登录").click()
    expect(page.get_by_role("heading", level=1, name="工作台")).to_be_visible()


def test_enterprise_and_agent_pages(live_server, page):
    rep = verified_citizen()
    account = enterprise_for(rep)
    agent = verified_citizen()
    item = PublishedItemFactory(service_objects=["2"], name="食品经营许可")
    other_agent = verified_citizen()
    grant(account, other_agent, items=[item])
    base = live_server.url

    sign_in(page, base, rep.mobile, PASSWORD)
    expect(page.get_by_role("heading", level=1, name="我的账号")).to_be_visible()
    expect(page.get_by_role("heading", name="办事身份")).to_be_visible()
    assert_accessible(page, "account with enterprise")

    page.goto(base + "/account/enterprises/open/")
    assert_accessible(page, "enterprise open")

    page.goto(base + f"/account/enterprises/{account.pk}/")
    expect(page.get_by_role("heading", level=1, name=account.name)).to_be_visible()
    assert_accessible(page, "enterprise")
    # Items are grouped by region in closed groups: search first, then tick (works without JavaScript).
    page.get_by_label("搜索事项（名称、实施编码或部门）").fill("食品经营")
    page.get_by_role("button", name="筛选事项").click()
    expect(page.get_by_text("与“食品经营”相符的事项 1 项")).to_be_visible()
    page.get_by_label("经办人手机号码").fill(agent.mobile)
    page.get_by_label("经办人身份证号码").fill(agent.id_number)
    page.get_by_label(re.compile("食品经营许可")).check()
    page.get_by_label("授权截止日期").fill((timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="授权", exact=True).click()
    expect(page.get_by_text("已授权经办人。")).to_be_visible()
    new = AgentAuthorization.objects.get(agent=agent)
    assert list(new.items.all()) == [item]
    page.get_by_role("button", name=f"撤销 {agent.real_name} 的授权").click()
    expect(page.get_by_text("授权已撤销，立即生效。")).to_be_visible()
    new.refresh_from_db()
    assert new.revoked_at is not None

    page.goto(base + "/account/")
    page.get_by_label("切换为").select_option(label=account.name)
    page.get_by_role("button", name="切换").click()
    expect(page.locator(".site-header").get_by_text(re.compile(f"代表 {account.name}"))).to_be_visible()

    page.goto(base + "/account/two-factor/")
    expect(page.locator(".qr-box svg")).to_be_visible()
    assert_accessible(page, "citizen two-factor")


def test_lockout_page(live_server, page, settings):
    settings.AXES_FAILURE_LIMIT = 2
    citizen = verified_citizen()
    page.goto(live_server.url + "/account/login/")
    for _ in range(2):
        page.get_by_label("手机号码或用户名").fill(citizen.mobile)
        page.get_by_label("密码", exact=True).fill("not-the-password")
        page.get_by_role("button", name="登录").click()
        if page.get_by_role("heading", level=1, name="账号已临时锁定").count():
            break
    expect(page.get_by_role("heading", level=1, name="账号已临时锁定")).to_be_visible()
    assert_accessible(page, "locked out")
