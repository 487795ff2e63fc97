"""秒批 and 免申即享 on the shipped demo (issue 15).

- 张晓明 (13800000001) applies online for 电子社会保障卡签发, an item decided by its published
  table: the confirmation page says it was decided automatically and already concluded, and
  the licence is in his wallet, all in the same page flow; the “why” page shows the version,
  the rule and the inputs, and offers a human review.
- 王秀英 (13800000004) turns 80 in the registry on the day the demo is loaded: the 高龄津贴
  offer is in her inbox (a message without any link to another site); she confirms it in one
  step and the case is concluded by the system.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/dmn-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, PDF, fill_address, look, next_step

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CITIZEN = "13800000001"
ELDER = "13800000004"
ITEM = "电子社会保障卡签发"
DEPARTMENT = "广安区人力资源和社会保障局"
LICENCE = "电子社会保障卡签发凭证"
UPLOAD = "申请人居民身份证"


class TestInstantApproval:
    state: dict = {}

    def test_01_applies_and_has_the_licence_in_the_wallet_in_one_flow(self, open_as):
        page = open_as(CITIZEN)
        box = page.get_by_role("searchbox", name="搜索办事服务")
        box.fill(ITEM)
        box.press("Enter")
        page.locator(".item-list li", has_text=DEPARTMENT).first.get_by_role("link", name=ITEM).click()
        expect(page.get_by_role("heading", level=1, name=ITEM)).to_be_visible()
        page.get_by_role("link", name="在线办理").first.click()
        page.get_by_role("button", name="我已阅读，开始填写").click()
        for n in range(1, 6):
            fill_address(page, "建设路 8 号 3 单元 201")
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"form step {n} refused: {page.locator('main').inner_text()[:600]}")
            if page.get_by_role("heading", name="上传申请材料").count():
                break
        page.get_by_label(f"选择文件：{UPLOAD}").set_input_files(
            {"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name=re.compile(rf"^上传\s*：{UPLOAD}$")).click()
        expect(page.get_by_text(f"已上传“身份证.pdf”（{UPLOAD}）。")).to_be_visible()
        page.get_by_role("link", name="下一步：核对申请").click()
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
        panel = page.locator(".automatic-decision")
        expect(panel.get_by_role("heading", name="秒批（自动审批）")).to_be_visible()
        expect(panel.get_by_text("已办结")).to_be_visible()
        expect(panel.get_by_role("link", name=LICENCE)).to_be_visible()
        self.state["number"] = page.locator(".case-number").inner_text().strip()
        look(page, "dmn-01-instant-done")
        panel.get_by_role("link", name="打开我的卡包").click()
        expect(page.get_by_role("heading", level=1, name="我的卡包")).to_be_visible()
        expect(page.get_by_role("link", name=LICENCE)).to_be_visible()
        look(page, "dmn-02-wallet")

    def test_02_the_why_page_and_human_review(self, open_as):
        page = open_as(CITIZEN, f"/my/cases/{self.state['number']}/")
        expect(page.get_by_text("已办结").first).to_be_visible()
        page.get_by_role("link", name="查看自动审批依据或申请人工复核").click()
        expect(page.get_by_role("heading", level=1, name="自动审批依据")).to_be_visible()
        expect(page.get_by_text("第 3 条").first).to_be_visible()
        expect(page.get_by_role("cell", name="申请人年龄")).to_be_visible()
        look(page, "dmn-03-why")
        page.get_by_label("复核理由").fill("想确认一下自动审批的依据。")
        page.get_by_role("button", name="提交复核申请").click()
        expect(page.get_by_text("已申请人工复核，办理部门将在期限内答复。")).to_be_visible()
        expect(page.get_by_text("待复核").first).to_be_visible()
        look(page, "dmn-04-review-requested")


class TestEntitlementOffer:
    state: dict = {}

    def test_01_the_offer_arrives_without_a_link_and_is_confirmed(self, open_as):
        page = open_as(ELDER, "/my/inbox/")
        message = page.locator("li").filter(has=page.get_by_role("heading", name="您可享受高龄津贴"))
        expect(message).to_have_count(1)
        text = message.inner_text()
        assert "http" not in text and "www." not in text and "每月 100 元" in text
        look(page, "dmn-05-inbox")
        message.get_by_role("button", name="查看详情").click()
        expect(page.get_by_role("heading", name="高龄津贴")).to_be_visible()
        expect(page.get_by_text("标准：每月 100 元")).to_be_visible()
        look(page, "dmn-06-offer")
        page.get_by_role("button", name="确认享受高龄津贴").click()
        expect(page.get_by_text("已确认，待遇已自动办结。")).to_be_visible()
        panel = page.locator(".automatic-decision")
        expect(panel.get_by_role("heading", name="免申即享")).to_be_visible()
        expect(panel.get_by_text("已办结")).to_be_visible()
        look(page, "dmn-07-offer-confirmed")
