"""跨域通办 on the shipped demo: the window clerk of 前锋区人社 (qf_shouli) takes in 广安区人社's
失业登记 (marked 跨域通办) for a 前锋区 resident, with the originals checked and the result to be
posted; the case goes to 广安区人社's intake (rs_shouli), which sees the receiving office and
the address; the receiving office follows status and history and gets 404 for the staff case.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/crossregion-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import (
    GROUP,
    fill_address,
    fill_form,
    look,
    next_step,
    upload_required_materials,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CLERK, COMPETENT = "qf_shouli", "rs_shouli"
ITEM = "失业登记"
# A 前锋区 resident in the demo's population registry without an account (the demo's own
# 异地代收 case took the first one).
ID_NUMBER = "511603195207209094"
ANSWERS = {
    "联系电话": "13900000077",
    "失业前单位": "广安市鑫源商贸有限公司",
    "离职日期": "2026-10-30",
    "失业原因": "劳动合同期满终止",
    "申请事项说明": "在前锋区窗口异地代收。",
}
POST_ADDRESS = "四川省广安市前锋区奎阁街道前锋大道 100 号"


class TestCrossRegion:
    state: dict = {}

    def test_01_the_receiving_window_takes_in_for_another_region(self, open_as):
        page = open_as(CLERK)
        page.get_by_role("link", name="窗口受理").first.click()
        page.get_by_role("link", name="跨域通办 · 异地代收").first.click()
        expect(page.get_by_role("heading", level=1, name="跨域通办 · 异地代收")).to_be_visible()
        look(page, "crossregion-01-start")
        page.get_by_label("代收事项（跨域通办）").select_option(label=ITEM)
        page.get_by_label("申请人身份证号码").fill(ID_NUMBER)
        page.get_by_role("button", name="核验身份并开始代收").click()
        expect(page.get_by_role("alert")).to_contain_text("核验申请人身份证件和申请材料原件")
        page.get_by_label("我已核验申请人身份证件和申请材料原件").check()
        page.get_by_role("button", name="核验身份并开始代收").click()
        for n in range(1, 8):
            if page.get_by_role("heading", name="上传申请材料").count():
                break
            expect(page.get_by_text(re.compile(r"第 \d+ 步，共 \d+ 步")).first).to_be_visible()
            fill_address(page, "前锋区奎阁街道 1 号")
            fill_form(page, ANSWERS)
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"form step {n} refused: {page.locator('main').inner_text()[:800]}")
        upload_required_materials(page, "异地代收")
        page.get_by_role("link", name="下一步：核对申请").click()
        expect(page.get_by_role("button", name="提交并当场受理")).to_have_count(0)
        page.get_by_label("邮寄送达（纸质结果寄到以下地址）").check()
        page.get_by_label(re.compile("邮寄地址")).fill(POST_ADDRESS)
        look(page, "crossregion-02-check")
        page.get_by_role("button", name="提交并转交主管部门").click()
        expect(page.get_by_role("heading", level=1, name="申请已提交")).to_be_visible()
        number = page.locator(".case-number").inner_text().strip()
        self.state["number"] = number
        expect(page.get_by_text("异地代收代办").first).to_be_visible()
        look(page, "crossregion-03-done")
        page.goto(page.url.split("/apply/")[0] + "/staff/crossregion/received/")
        expect(page.get_by_role("link", name=number)).to_be_visible()
        page.get_by_role("link", name=number).click()
        expect(page.get_by_text("待受理").first).to_be_visible()
        expect(page.get_by_text("13900000077")).to_have_count(0)  # no form data for the receiving office
        look(page, "crossregion-04-received-case")
        response = page.goto(page.url.split("/staff/")[0] + f"/staff/cases/{number}/")
        assert response.status == 404

    def test_02_the_competent_department_sees_the_receiving_office(self, open_as):
        number = self.state.get("number") or pytest.skip("the intake step did not run")
        page = open_as(COMPETENT, f"/staff/cases/{number}/")
        panel = page.locator("section", has=page.get_by_role("heading", name="跨域通办"))
        expect(panel).to_contain_text("异地代收代办")
        expect(panel).to_contain_text("前锋区人力资源和社会保障局")
        expect(panel).to_contain_text(POST_ADDRESS)
        expect(page.get_by_role("button", name=re.compile("受理"))).not_to_have_count(0)
        look(page, "crossregion-05-competent")
