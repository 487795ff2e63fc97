"""The service hall and the city on the shipped demo: the 人社 window clerk (rs_shouli) takes an
application at the counter for 陈静 (ID 511602199605024302, in the population registry, no
account), accepts it on the spot and prints the 受理回执; the city supervisor (shi_jiancha)
opens a home that starts from 广安市's overview, not from a list of departments.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/window-*,
supervisor-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import (
    GROUP,
    SHOTS,
    fill_address,
    fill_form,
    look,
    next_step,
    upload_required_materials,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CLERK = "rs_shouli"
ITEM = "失业登记"
PERSON, ID_NUMBER = "陈静", "511602199605024302"
ANSWERS = {
    "联系电话": "13900000042",
    "失业前单位": "广安市鑫源商贸有限公司",
    "离职日期": "2026-10-30",
    "失业原因": "劳动合同期满终止",
    "申请事项说明": "到窗口办理失业登记。",
}


class TestWindowIntake:
    state: dict = {}

    def test_01_counter_application_accepted_on_the_spot(self, open_as):
        page = open_as(CLERK)
        page.get_by_role("link", name="窗口受理").first.click()
        expect(page.get_by_role("heading", level=1, name="窗口受理")).to_be_visible()
        look(page, "window-01-start")
        page.get_by_label("办理事项").select_option(label=ITEM)
        page.get_by_label("申请人身份证号码").fill(ID_NUMBER)
        page.get_by_role("button", name="核验身份并开始填写").click()
        for n in range(1, 8):
            if page.get_by_role("heading", name="上传申请材料").count():
                break
            expect(page.get_by_text(re.compile(r"第 \d+ 步，共 \d+ 步")).first).to_be_visible()
            if n == 1:
                expect(page.get_by_text(PERSON).first).to_be_visible()
            fill_address(page, "广安区北辰街道 12 号")
            fill_form(page, ANSWERS)
            look(page, f"window-02-form-step-{n}")
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"window form step {n} refused: {page.locator('main').inner_text()[:800]}")
        expect(page.get_by_role("heading", name="上传申请材料")).to_be_visible()
        # At the counter the signed paper form stays a material (online it is not one).
        upload_required_materials(page, "窗口收件")
        look(page, "window-03-materials")
        page.get_by_role("link", name="下一步：核对申请").click()
        expect(page.get_by_text(PERSON).first).to_be_visible()
        look(page, "window-04-check")
        page.get_by_role("button", name="提交并当场受理").click()

        expect(page.get_by_role("heading", level=1, name="已当场受理")).to_be_visible()
        number = page.locator(".case-number").inner_text().strip()
        receipt = page.locator("section.receipt")
        expect(receipt.get_by_role("heading", name="受理回执")).to_be_visible()
        expect(receipt).to_contain_text(number)
        expect(receipt).to_contain_text(ITEM)
        expect(receipt).to_contain_text(PERSON)
        expect(receipt).not_to_contain_text(ID_NUMBER)  # masked on paper
        expect(receipt.get_by_text(re.compile("承诺办结日期|办结时间"))).to_be_visible()
        look(page, "window-05-receipt")
        self.state["number"] = number

        # 打印回执: the browser's print dialog, and in print media only the receipt shows.
        page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
        page.get_by_role("button", name="打印回执").click()
        assert page.evaluate("() => window.printed") == 1
        page.emulate_media(media="print")
        try:
            expect(receipt).to_be_visible()
            expect(page.get_by_role("banner")).to_be_hidden()
            expect(page.get_by_role("link", name="继续窗口受理")).to_be_hidden()
            page.screenshot(path=str(SHOTS / "window-06-receipt-print.png"), full_page=True)
        finally:
            page.emulate_media(media="screen")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载回执（PDF）").click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        self.state["number"] = number

    def test_02_accepted_case_waits_for_review(self, open_as):
        number = self.state["number"]
        page = open_as("rs_shenhe")
        page.get_by_role("link", name="待办队列").first.click()
        page.get_by_label("申请人或办件编号").fill(number)
        page.get_by_role("button", name="筛选").click()
        row = page.get_by_role("row").filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(PERSON)
        look(page, "window-07-review-queue")


class TestSupervisorHome:
    def test_city_supervisor_starts_from_the_overview(self, open_as):
        page = open_as("shi_jiancha")
        expect(page.get_by_role("heading", level=1, name="工作台")).to_be_visible()
        overview = page.get_by_role("heading", name=re.compile("辖区总览.*广安市"))
        expect(overview).to_be_visible()
        # Not the 180 departments of the old home: a few figures and the worst departments.
        assert page.get_by_role("link", name=re.compile("局$")).count() < 20
        expect(page.get_by_text(re.compile(r"超期（红牌）")).first).to_be_visible()
        look(page, "supervisor-01-home")
        page.get_by_role("link", name=re.compile(r"查看有办件的 \d+ 个部门")).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        look(page, "supervisor-02-departments")
