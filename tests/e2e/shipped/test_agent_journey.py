"""王丽 (13800000003), agent of 广安市鑫源商贸有限公司, on the shipped demo: switches to acting
for the enterprise, applies online for the 市监 item 药品零售企业经营许可 in its name, and finds
the case, the enterprise's licences and an enterprise proof under 我的.

Each step is a test; they run in order. Every page is checked with axe and photographed at
1280 and 390 px (screenshots/shipped/agent-*).
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

AGENT = "13800000003"
ENTERPRISE = "广安市鑫源商贸有限公司"
ITEM = "药品零售企业经营许可"
DEPARTMENT = "广安区市场监督管理局"
ANSWERS = {
    "营业场所面积（平方米）": "120",
    "经营方式": "药品零售",
    "经营范围": ["乙类非处方药", "中成药"],
    "质量负责人": "王丽",
    "执业药师姓名": "刘芳",
    "执业药师注册证编号": "SC51160220190321",
}


class TestAgentJourney:
    state: dict = {}

    def test_01_acts_for_the_enterprise(self, open_as):
        page = open_as(AGENT)
        page.get_by_role("link", name="我的", exact=True).first.click()
        expect(page.get_by_role("heading", level=1, name="我的")).to_be_visible()
        look(page, "agent-01-my-personal")
        picker = page.get_by_label(re.compile("^(办事身份|切换为)$"))
        if not picker.count():  # the switch on the account page
            page.get_by_role("link", name=re.compile("切换为企业经办人身份|切换办事身份")).click()
        picker.select_option(label=ENTERPRISE)
        look(page, "agent-02-acting-choice")
        page.get_by_role("button", name="切换").click()
        expect(page.get_by_text(f"您现在以“{ENTERPRISE}”经办人身份办事。").first).to_be_visible()

    def test_02_applies_for_the_enterprise(self, open_as):
        page = open_as(AGENT)
        box = page.get_by_role("searchbox", name="搜索办事服务")
        box.fill(ITEM)
        box.press("Enter")
        result = page.locator(".item-list li", has_text=DEPARTMENT).first
        expect(result).to_be_visible()
        result.get_by_role("link", name=ITEM).click()
        expect(page.get_by_role("heading", level=1, name=ITEM)).to_be_visible()
        look(page, "agent-03-guide")
        page.get_by_role("link", name="在线办理").first.click()
        expect(page.get_by_text(ENTERPRISE).first).to_be_visible()
        look(page, "agent-04-notice")
        page.get_by_role("button", name="我已阅读，开始填写").click()
        for n in range(1, 8):
            expect(page.get_by_text(re.compile(r"第 \d+ 步，共 \d+ 步")).first).to_be_visible()
            fill_address(page, "广安区建设路 18 号")
            fill_form(page, ANSWERS)
            look(page, f"agent-05-form-step-{n}")
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"form step {n} refused: {page.locator('main').inner_text()[:800]}")
            if page.get_by_role("heading", name="上传申请材料").count():
                break
        expect(page.get_by_role("heading", name="上传申请材料")).to_be_visible()
        look(page, "agent-06-materials")
        # The application form is what was just filled in, not a material to upload (issue 10, 6).
        expect(page.locator("li.material h3").filter(has_text=re.compile("申请表"))).to_have_count(0)
        upload_required_materials(page, "鑫源")
        page.get_by_role("link", name="下一步：核对申请").click()
        expect(page.get_by_text(ENTERPRISE).first).to_be_visible()
        expect(page.get_by_text(ANSWERS["执业药师姓名"]).first).to_be_visible()
        look(page, "agent-07-check")
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
        self.state["number"] = page.locator(".case-number").inner_text().strip()
        look(page, "agent-08-submitted")

    def test_03_enterprise_centre_lists_case_and_licences(self, open_as):
        number = self.state["number"]
        page = open_as(AGENT)
        page.get_by_role("link", name="我的", exact=True).first.click()
        expect(page.get_by_text(re.compile(f"您正以“{ENTERPRISE}”经办人身份办事"))).to_be_visible()
        expect(page.locator("li", has_text=number).get_by_role("link", name=ITEM)).to_be_visible()
        look(page, "agent-09-my-enterprise")
        page.get_by_role("link", name=re.compile("证照卡包")).click()
        expect(page.get_by_role("link", name="药品经营许可证").first).to_be_visible()
        look(page, "agent-10-enterprise-wallet")

    def test_04_enterprise_proof_online(self, open_as):
        page = open_as(AGENT)
        page.get_by_role("link", name="我的", exact=True).first.click()
        page.get_by_role("link", name=re.compile("网上开证明")).first.click()
        page.get_by_role("link", name=re.compile("单位参保证明")).first.click()
        expect(page.get_by_text(f"开具对象：{ENTERPRISE}")).to_be_visible()
        look(page, "agent-11-proof-item")
        page.get_by_role("button", name="立即开具").click()
        expect(page.get_by_role("heading", level=1, name="单位参保证明")).to_be_visible()
        look(page, "agent-12-proof-issued")
