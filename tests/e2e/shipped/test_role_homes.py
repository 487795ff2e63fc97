"""A home for each role on the shipped demo: the window clerk takes an application at the counter,
accepts it on the spot and prints the 受理回执; the city supervisor starts from the region's
overview; the agent 王丽 switches to her enterprise in 我的 and sees its side.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/home-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, PDF, SHOTS, fill_form, look, next_step, shot
from tests.e2e.shipped.test_citizen_journey import ANSWERS, ITEM, UPLOAD, fill_address

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

# A person of the demo's population registry who has no account yet (林鹏, 前锋区).
COUNTER_PERSON = "51160319570330113X"
ENTERPRISE = "广安市鑫源商贸有限公司"


class TestWindowClerk:
    def test_takes_an_application_at_the_counter_and_prints_the_receipt(self, open_as):
        page = open_as("rs_shouli")
        expect(page.get_by_role("heading", level=1, name="工作台")).to_be_visible()
        expect(page.locator("header.staff-header")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("本部门数据"))).to_be_visible()
        look(page, "home-01-intake-workbench")
        page.get_by_role("link", name=re.compile("^窗口受理")).first.click()
        expect(page.get_by_role("heading", level=1, name="窗口受理")).to_be_visible()
        look(page, "home-02-window")
        page.get_by_label("办理事项").select_option(label=ITEM)
        page.get_by_label("申请人身份证号码").fill(COUNTER_PERSON)
        page.get_by_role("button", name="核验身份并开始填写").click()
        expect(page.get_by_text(re.compile(r"第 \d+ 步，共 \d+ 步")).first).to_be_visible()
        for n in range(1, 9):
            if page.get_by_role("heading", name="上传申请材料").count():
                break
            fill_address(page, "前锋路 1 号")
            fill_form(page, ANSWERS | {"联系电话": "13900000123", "手机号码": "13900000123"})
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"window form step {n} refused: {page.locator('main').inner_text()[:600]}")
        expect(page.get_by_role("heading", name="上传申请材料")).to_be_visible()
        # The person has no licences in a wallet: every required material is scanned at the counter.
        names = [
            label.removeprefix("选择文件：")
            for label in page.locator("input[type=file]").evaluate_all(
                "els => els.map(e => e.labels[0] ? e.labels[0].textContent.trim() : '')"
            )
            if label.startswith("选择文件：")
        ]
        assert UPLOAD in names, names
        for name in names:
            page.get_by_label(f"选择文件：{name}").set_input_files(
                {"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": PDF}
            )
            page.get_by_role("button", name=re.compile(rf"^上传\s*：{re.escape(name)}$")).click()
            expect(page.get_by_text(f"已上传“扫描件.pdf”（{name}）。")).to_be_visible()
        page.get_by_role("link", name="下一步：核对申请").click()
        expect(page.get_by_role("button", name="提交并当场受理")).to_be_visible()
        look(page, "home-03-window-check")
        page.get_by_role("button", name="提交并当场受理").click()
        expect(page.get_by_role("heading", level=1, name="已当场受理")).to_be_visible()
        receipt = page.locator("section.receipt")
        expect(receipt.get_by_role("heading", name="受理回执")).to_be_visible()
        number = page.locator(".case-number").inner_text().strip()
        expect(receipt.get_by_text(number)).to_be_visible()
        expect(receipt.get_by_text("承诺办结日期")).to_be_visible()
        expect(receipt.get_by_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")).first).to_be_visible()
        look(page, "home-04-receipt")
        pdf = receipt.get_by_role("link", name="下载回执（PDF）")
        if pdf.count():
            with page.expect_download() as download:
                pdf.click()
            assert download.value.suggested_filename.endswith(".pdf")
        # On paper only the receipt: no header, no buttons, no page chrome.
        page.emulate_media(media="print")
        expect(page.locator("header.site-header")).to_be_hidden()
        expect(page.locator(".confirmation")).to_be_hidden()
        expect(receipt).to_be_visible()
        expect(receipt.get_by_text(number)).to_be_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "home-04-receipt-print.png"), full_page=True)
        page.emulate_media(media="screen")


class TestSupervisor:
    def test_city_supervisor_starts_from_the_region_overview(self, open_as):
        page = open_as("shi_jiancha")
        expect(page.get_by_role("heading", level=1, name="工作台")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("辖区总览"))).to_be_visible()
        expect(page.get_by_role("heading", name="超期件最多的部门")).to_be_visible()
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 3000, f"the supervisor's home is {height} px tall"
        look(page, "home-05-supervisor")
        page.get_by_role("link", name=re.compile("^查看有办件的")).click()
        expect(page.get_by_role("heading", level=1, name="辖区部门")).to_be_visible()
        expect(page.get_by_role("link", name="广安区人力资源和社会保障局")).to_be_visible()
        look(page, "home-06-supervisor-departments")
        page.get_by_role("link", name="评价监督").first.click()
        expect(page).to_have_url(re.compile(r"/staff/ratings/supervision/"))


class TestAgentCentre:
    def test_agent_switches_to_the_enterprise_in_my_centre(self, open_as):
        page = open_as("13800000003")
        page.get_by_role("link", name="我的", exact=True).first.click()
        expect(page.get_by_role("heading", level=1, name="我的")).to_be_visible()
        look(page, "home-07-agent-my")
        page.get_by_label("办事身份").select_option(label=ENTERPRISE)
        page.get_by_role("button", name="切换").click()
        expect(page.get_by_text(re.compile(f"您正以“{ENTERPRISE}”经办人身份办事"))).to_be_visible()
        look(page, "home-08-agent-my-enterprise")
        page.get_by_role("link", name="谁用了我的数据").first.click()
        expect(page.get_by_role("heading", level=1, name="谁用了我的数据")).to_be_visible()
        shot(page, "home-09-agent-data-use")
        page.goto(page.url.replace("/my/data-use/", "/my/"))
        page.get_by_label("办事身份").select_option(index=0)
        page.get_by_role("button", name="切换").click()
        expect(page.get_by_text(re.compile("您好"))).to_be_visible()
