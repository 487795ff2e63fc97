"""A case from application to 办结 in a real browser, with a citizen and a member of staff
side by side (two browser contexts, two sessions): apply with an upload → 补正 requested →
corrected → accepted, reviewed, decided, concluded → the citizen sees 办结 and downloads the
decision. Every page is checked with axe (no serious or critical violations) and the main
pages are photographed at 390 px and 1280 px into ``tests/e2e/screenshots/``.
"""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.cases.conftest import PDF, citizen, staff
from tests.e2e.conftest import assert_accessible, new_page, photograph, sign_in, sign_in_staff, totp_token
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory
from tongban.cases.models import Case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # the shared UserFactory's password


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
        sign_in(me, base, applicant.username, PASSWORD, next_url=f"/items/{item.code}/")
        expect(me.get_by_role("heading", level=1, name="食品经营许可")).to_be_visible()
        me.get_by_role("link", name="在线办理").click()

        expect(me.get_by_role("heading", name="需要准备的材料")).to_be_visible()
        expect(me.get_by_text("营业执照复印件")).to_be_visible()
        assert_accessible(me, "one-time notice")
        photograph(me, screenshot, "cases-1-notice")
        me.get_by_role("button", name="我已阅读，开始填写").click()

        expect(me.get_by_text("第 1 步，共 4 步")).to_be_visible()
        expect(me.get_by_text("已从您的实名信息自动填写").first).to_be_visible()
        # The region chain: htmx refreshes the next select in place.
        me.get_by_label("省（自治区、直辖市）").select_option("51")
        expect(me.locator("#id_address__city option[value='5116']")).to_have_count(1)
        me.get_by_label("市（地区、州）").select_option("5116")
        expect(me.locator("#id_address__county option[value='511602']")).to_have_count(1)
        me.get_by_label("县（市、区）").select_option("511602")
        assert_accessible(me, "form step 1")
        photograph(me, screenshot, "cases-2-step")
        me.get_by_role("button", name="下一步", exact=True).last.click()

        # Next without the detailed address: the step refuses and says why.
        expect(me.get_by_role("heading", name="请修改以下内容")).to_be_visible()
        expect(me.get_by_text("请填写详细地址").first).to_be_visible()
        assert_accessible(me, "form step with errors")
        photograph(me, screenshot, "cases-2-step-errors")
        me.get_by_label("详细地址").fill("建设路 1 号")
        me.get_by_role("button", name="保存草稿").click()
        expect(me.get_by_text(re.compile("草稿已保存，保留至"))).to_be_visible()
        me.get_by_role("button", name="下一步", exact=True).last.click()

        expect(me.get_by_text("第 2 步，共 4 步")).to_be_visible()
        me.get_by_label("申请事项说明").fill("在建设路开办一家面馆。")
        assert_accessible(me, "form step 2")
        me.get_by_role("button", name="下一步", exact=True).last.click()

        expect(me.get_by_role("heading", name="上传申请材料")).to_be_visible()
        me.get_by_label("选择文件：营业执照复印件").set_input_files(
            {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        me.get_by_role("button", name=re.compile(r"^上传\s*：营业执照复印件$")).click()
        expect(me.get_by_text("已上传“营业执照.pdf”（营业执照复印件）。")).to_be_visible()
        assert_accessible(me, "materials")
        photograph(me, screenshot, "cases-3-materials")
        me.get_by_role("link", name="下一步：核对申请").click()

        expect(me.get_by_text("四川省广安市广安区 建设路 1 号")).to_be_visible()
        assert_accessible(me, "check your answers")
        photograph(me, screenshot, "cases-4-check")
        me.get_by_role("button", name="确认提交").click()

        expect(me.get_by_role("heading", name="申请已提交")).to_be_visible()
        number = me.locator(".case-number").inner_text().strip()
        case = Case.objects.get(number=number)
        assert_accessible(me, "confirmation")
        photograph(me, screenshot, "cases-5-confirmation")

        # --- staff sign in with password and TOTP, find the case in the queue
        sign_in_staff(
            desk, base, officer.username, PASSWORD, lambda: totp_token(device), next_url="/staff/queue/"
        )
        expect(desk.get_by_role("heading", name="待办队列")).to_be_visible()
        row = desk.get_by_role("row").filter(has_text=number)
        expect(row.get_by_text("正常")).to_be_visible()
        assert_accessible(desk, "staff queue")
        photograph(desk, screenshot, "cases-6-queue")
        row.get_by_role("button", name=re.compile(r"^认领")).click()
        expect(desk.get_by_text(f"已认领办件 {number}。")).to_be_visible()
        desk.get_by_role("link", name=number).click()

        expect(desk.get_by_role("heading", level=1, name="食品经营许可")).to_be_visible()
        expect(desk.get_by_text("营业执照.pdf").first).to_be_visible()
        assert_accessible(desk, "staff case page")
        photograph(desk, screenshot, "cases-7-staff-case")
        staff_action(
            desk,
            "correct",
            {"补正告知（一次性写明全部问题）": "联系地址缺少楼栋单元号；营业执照复印件需加盖公章。"},
            check=["联系地址", "营业执照复印件"],
        )
        expect(desk.get_by_text("办件正等待申请人补正")).to_be_visible()
        assert_accessible(desk, "staff case waiting for correction")

        # --- the citizen answers the correction notice
        me.goto(f"{base}/my/cases/")
        assert_accessible(me, "my cases")
        photograph(me, screenshot, "cases-8-my-cases")
        me.get_by_role("link", name=number).click()
        expect(me.get_by_role("heading", name="需要您补正")).to_be_visible()
        expect(me.locator(".notice-text")).to_have_text("联系地址缺少楼栋单元号；营业执照复印件需加盖公章。")
        assert_accessible(me, "my case with correction")
        photograph(me, screenshot, "cases-9-my-case-correction")
        me.get_by_role("link", name="去补正").click()
        expect(me.get_by_label("申请事项说明")).to_have_count(0)  # only what the notice lists
        me.get_by_label("详细地址").fill("建设路 1 号 2 栋 1 单元")
        me.get_by_label(re.compile("营业执照复印件")).set_input_files(
            {"name": "盖章执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        assert_accessible(me, "correction form")
        photograph(me, screenshot, "cases-10-correct")
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
        assert_accessible(desk, "staff case before conclusion")
        desk.locator("#action-conclude").get_by_label("办结结果").select_option("issued")
        staff_action(desk, "conclude")
        expect(desk.get_by_text("已办结").first).to_be_visible()
        assert_accessible(desk, "staff case concluded")
        photograph(desk, screenshot, "cases-11-staff-concluded")

        # --- the citizen sees 办结 and downloads the decision
        me.goto(f"{base}/my/cases/{number}/")
        expect(me.locator(".case-status").get_by_text("已办结")).to_be_visible()
        expect(me.get_by_text("符合《中华人民共和国食品安全法》第三十五条。").first).to_be_visible()
        assert_accessible(me, "my case concluded")
        photograph(me, screenshot, "cases-12-my-case-concluded")
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
        assert_accessible(me, "my case concluded (elderly)")
        photograph(me, screenshot, "cases-13-my-case-elderly")
        # A refused form step answers 400 on purpose; anything else in the console is a fault.
        assert [p for p in problems if "status of 400" not in p] == []
    finally:
        citizen_context.close()
        staff_context.close()
