"""A case from application to 办结 in a real browser, with a citizen and a member of staff
side by side (two browser contexts, two sessions): apply with an upload → 补正 requested →
corrected → accepted, reviewed, decided, concluded → the citizen sees 办结 and downloads the
decision. Every page is checked with axe (no serious or critical violations) and the main
pages are photographed at 390 px and 1280 px into ``tests/e2e/screenshots/``.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.cases.conftest import PDF, citizen, staff
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory
from tongban.cases.models import Case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

axe = Axe()
PASSWORD = "pw-123456"  # the shared UserFactory's password


def accessible(page, label: str) -> None:
    results = axe.run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{label}: {bad}"


def photograph(page, screenshot, name: str) -> None:
    """The page at phone width and at desktop width."""
    for width, suffix in ((390, "mobile"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"cases-{name}-{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})


def new_page(browser, problems: list[str]):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page


def staff_action(page, action_id: str, fill: dict[str, str] | None = None, check: list[str] = ()) -> None:
    card = page.locator(f"#action-{action_id}")
    for label in check:
        card.get_by_label(label, exact=True).check()
    for label, value in (fill or {}).items():
        card.get_by_label(label).fill(value)
    card.locator("button[type=submit]").click()
    # The flash messages in the status region (the 办结 card lists its own warnings as case-messages too).
    expect(page.locator("[role=status] .case-messages")).to_be_visible()


def test_apply_correct_process_conclude_and_download(live_server, browser, screenshot):
    department = DepartmentFactory(name="区市场监督管理局")
    item = PublishedItemFactory(name="食品经营许可", department=department, legal_limit=20, promised_limit=10)
    MaterialRequirementFactory(item=item, name="营业执照复印件")
    applicant = citizen("张三")
    officer = staff(department, "intake", "review", "decide", "issue", name="王审批")
    device = TOTPDevice.objects.create(user=officer, name="test", confirmed=True)
    base = live_server.url
    problems: list[str] = []
    citizen_context, me = new_page(browser, problems)
    staff_context, desk = new_page(browser, problems)
    try:
        # --- the citizen signs in and applies from the guide page
        me.goto(f"{base}/account/login/?next=/items/{item.code}/")
        me.locator("input[name=username]").fill(applicant.username)
        me.locator("input[name=password]").fill(PASSWORD)
        me.get_by_role("button", name="登录", exact=True).click()
        expect(me.get_by_role("heading", level=1, name="食品经营许可")).to_be_visible()
        me.get_by_role("link", name="在线办理").click()

        expect(me.get_by_role("heading", name="需要准备的材料")).to_be_visible()
        expect(me.get_by_text("营业执照复印件")).to_be_visible()
        accessible(me, "one-time notice")
        photograph(me, screenshot, "1-notice")
        me.get_by_role("button", name="我已阅读，开始填写").click()

        expect(me.get_by_text("第 1 步，共 4 步")).to_be_visible()
        expect(me.get_by_text("已从您的实名信息自动填写").first).to_be_visible()
        # The region chain: htmx refreshes the next select in place.
        me.get_by_label("省（自治区、直辖市）").select_option("51")
        expect(me.locator("#id_address__city option[value='5116']")).to_have_count(1)
        me.get_by_label("市（地区、州）").select_option("5116")
        expect(me.locator("#id_address__county option[value='511602']")).to_have_count(1)
        me.get_by_label("县（市、区）").select_option("511602")
        accessible(me, "form step 1")
        photograph(me, screenshot, "2-step")
        me.get_by_role("button", name="下一步", exact=True).last.click()

        # Next without the detailed address: the step refuses and says why.
        expect(me.get_by_role("heading", name="请修改以下内容")).to_be_visible()
        expect(me.get_by_text("请填写详细地址").first).to_be_visible()
        accessible(me, "form step with errors")
        photograph(me, screenshot, "2-step-errors")
        me.get_by_label("详细地址").fill("建设路 1 号")
        me.get_by_role("button", name="保存草稿").click()
        expect(me.get_by_text(re.compile("草稿已保存，保留至"))).to_be_visible()
        me.get_by_role("button", name="下一步", exact=True).last.click()

        expect(me.get_by_text("第 2 步，共 4 步")).to_be_visible()
        me.get_by_label("申请事项说明").fill("在建设路开办一家面馆。")
        accessible(me, "form step 2")
        me.get_by_role("button", name="下一步", exact=True).last.click()

        expect(me.get_by_role("heading", name="上传申请材料")).to_be_visible()
        me.get_by_label("选择文件：营业执照复印件").set_input_files(
            {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        me.get_by_role("button", name=re.compile(r"^上传\s*：营业执照复印件$")).click()
        expect(me.get_by_text("已上传“营业执照.pdf”（营业执照复印件）。")).to_be_visible()
        accessible(me, "materials")
        photograph(me, screenshot, "3-materials")
        me.get_by_role("link", name="下一步：核对申请").click()

        expect(me.get_by_text("四川省广安市广安区 建设路 1 号")).to_be_visible()
        accessible(me, "check your answers")
        photograph(me, screenshot, "4-check")
        me.get_by_role("button", name="确认提交").click()

        expect(me.get_by_role("heading", name="申请已提交")).to_be_visible()
        number = me.locator(".case-number").inner_text().strip()
        case = Case.objects.get(number=number)
        accessible(me, "confirmation")
        photograph(me, screenshot, "5-confirmation")

        # --- staff sign in with password and TOTP, find the case in the queue
        desk.goto(f"{base}/staff/login/?next=/staff/queue/")
        desk.locator("input[name=username]").fill(officer.username)
        desk.locator("input[name=password]").fill(PASSWORD)
        desk.locator("main form button[type=submit]").click()
        desk.locator("input[name=token]").fill(f"{totp(device.bin_key):06d}")
        desk.locator("main form button[type=submit]").click()
        expect(desk.get_by_role("heading", name="待办队列")).to_be_visible()
        row = desk.get_by_role("row").filter(has_text=number)
        expect(row.get_by_text("正常")).to_be_visible()
        accessible(desk, "staff queue")
        photograph(desk, screenshot, "6-queue")
        row.get_by_role("button", name=re.compile(r"^认领")).click()
        expect(desk.get_by_text(f"已认领办件 {number}。")).to_be_visible()
        desk.get_by_role("link", name=number).click()

        expect(desk.get_by_role("heading", level=1, name="食品经营许可")).to_be_visible()
        expect(desk.get_by_text("营业执照.pdf").first).to_be_visible()
        accessible(desk, "staff case page")
        photograph(desk, screenshot, "7-staff-case")
        staff_action(
            desk,
            "correct",
            {"补正告知（一次性写明全部问题）": "联系地址缺少楼栋单元号；营业执照复印件需加盖公章。"},
            check=["联系地址", "营业执照复印件"],
        )
        expect(desk.get_by_text("办件正等待申请人补正")).to_be_visible()
        accessible(desk, "staff case waiting for correction")

        # --- the citizen answers the correction notice
        me.goto(f"{base}/my/cases/")
        accessible(me, "my cases")
        photograph(me, screenshot, "8-my-cases")
        me.get_by_role("link", name=number).click()
        expect(me.get_by_role("heading", name="需要您补正")).to_be_visible()
        expect(me.locator(".notice-text")).to_have_text("联系地址缺少楼栋单元号；营业执照复印件需加盖公章。")
        accessible(me, "my case with correction")
        photograph(me, screenshot, "9-my-case-correction")
        me.get_by_role("link", name="去补正").click()
        expect(me.get_by_label("申请事项说明")).to_have_count(0)  # only what the notice lists
        me.get_by_label("详细地址").fill("建设路 1 号 2 栋 1 单元")
        me.get_by_label(re.compile("营业执照复印件")).set_input_files(
            {"name": "盖章执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        accessible(me, "correction form")
        photograph(me, screenshot, "10-correct")
        me.get_by_role("button", name="提交补正").last.click()
        expect(me.get_by_text("补正材料已提交，办件继续办理。")).to_be_visible()
        case.refresh_from_db()
        assert case.status == Case.Status.PENDING_INTAKE
        assert case.data["address"]["detail"] == "建设路 1 号 2 栋 1 单元"

        # --- staff accept, review, decide and conclude
        desk.reload()
        staff_action(desk, "accept", {"受理意见（选填）": "材料齐全，予以受理。"})
        staff_action(desk, "review", {"审查意见": "经营场所符合要求。"})
        desk.locator("#action-decide").get_by_label("准予行政许可").check()
        staff_action(
            desk, "decide", {"理由和依据（写入决定书）": "符合《中华人民共和国食品安全法》第三十五条。"}
        )
        accessible(desk, "staff case before conclusion")
        desk.locator("#action-conclude").get_by_label("办结结果").select_option("issued")
        staff_action(desk, "conclude")
        expect(desk.get_by_text("已办结").first).to_be_visible()
        accessible(desk, "staff case concluded")
        photograph(desk, screenshot, "11-staff-concluded")

        # --- the citizen sees 办结 and downloads the decision
        me.goto(f"{base}/my/cases/{number}/")
        expect(me.locator(".case-status").get_by_text("已办结")).to_be_visible()
        expect(me.get_by_text("符合《中华人民共和国食品安全法》第三十五条。").first).to_be_visible()
        accessible(me, "my case concluded")
        photograph(me, screenshot, "12-my-case-concluded")
        with me.expect_download() as download_info:
            me.get_by_role("link", name=re.compile("行政许可决定书")).click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        with open(download.path(), "rb") as handle:
            assert handle.read(5) == b"%PDF-"
        case.refresh_from_db()
        assert (case.status, case.result) == (Case.Status.CONCLUDED, Case.Result.ISSUED)
        # 长辈版: the same page in large type stays accessible.
        me.get_by_role("button", name="长辈版").click()
        expect(me.locator("html")).to_have_class("elderly")
        accessible(me, "my case concluded (elderly)")
        photograph(me, screenshot, "13-my-case-elderly")
        # A refused form step answers 400 on purpose; anything else in the console is a fault.
        assert [p for p in problems if "status of 400" not in p] == []
    finally:
        citizen_context.close()
        staff_context.close()
