"""咨询投诉 on the shipped demo: 张晓明 complains about a department; the 12345 centre (rx_zuoxi)
dispatches it to the wrong department, which returns it; the centre re-dispatches; 人社 answers;
he is dissatisfied, it is reopened and answered again, and he is satisfied. A visitor asks the
assistant what 开办餐饮店 needs and follows its link to the guide. Every page is checked with axe
and photographed at 1280 and 390 px (screenshots/shipped/consult-*)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CITIZEN = "13800000001"
CENTRE = "rx_zuoxi"
WRONG, RIGHT = "广安区市场监督管理局", "广安区人力资源和社会保障局"
TITLE = "社保窗口两次让我补材料"


def _dispatch(page, department: str) -> None:
    value = page.locator("#d-dept option", has_text=department).first.get_attribute("value")
    page.locator("#d-dept").select_option(value)
    page.get_by_role("button", name="派单", exact=True).click()
    expect(page.get_by_text(department).first).to_be_visible()


class TestComplaintLoop:
    number = ""

    def test_citizen_complains(self, open_as):
        page = open_as(CITIZEN)
        page.goto(re.sub(r"(https?://[^/]+).*", r"\1/consult/new/?kind=complain", page.url))
        look(page, "consult-01-new")
        page.get_by_label("分类").select_option(label="政务服务 · 窗口服务")
        page.get_by_label("标题").fill(TITLE)
        page.get_by_label("诉求内容").fill("第一次说缺身份证复印件，第二次又要求居住证明，希望一次告知。")
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
        expect(page.get_by_text("待派单")).to_be_visible()
        look(page, "consult-02-status")
        TestComplaintLoop.number = page.locator(".eyebrow .code").inner_text().strip()
        assert TestComplaintLoop.number.startswith("12345-")

    def test_centre_dispatches_to_the_wrong_department_which_returns_it(self, open_as):
        page = open_as(CENTRE)
        page.goto(re.sub(r"/staff/.*$", "/staff/consult/", page.url))
        expect(page.get_by_role("heading", level=1, name="12345 热线中心")).to_be_visible()
        look(page, "consult-03-centre-queue")
        page.get_by_role("link", name=self.number).click()
        look(page, "consult-04-centre-petition")
        _dispatch(page, WRONG)
        handler = open_as("sj_shouli")
        handler.goto(re.sub(r"/staff/.*$", f"/staff/consult/r/{self.number}/", handler.url))
        handler.get_by_label("退单理由").fill("窗口服务属人社局，请改派。")
        handler.get_by_role("button", name="退回热线中心").click()
        expect(handler.get_by_text("窗口服务属人社局，请改派。").first).to_be_visible()
        page.reload()
        expect(page.get_by_text("待派单").first).to_be_visible()
        _dispatch(page, RIGHT)

    def test_department_answers_and_dissatisfied_reopens(self, open_as):
        handler = open_as("rs_shouli")
        handler.goto(re.sub(r"/staff/.*$", f"/staff/consult/r/{self.number}/", handler.url))
        handler.get_by_role("button", name="签收办理").click()
        look(handler, "consult-05-department")
        handler.get_by_label("答复内容").fill("已核实，今后一次性告知全部材料。")
        handler.get_by_role("button", name="提交答复").click()
        expect(handler.get_by_text("已答复").first).to_be_visible()
        page = open_as(CITIZEN)
        page.goto(re.sub(r"(https?://[^/]+).*", rf"\1/consult/r/{self.number}/", page.url))
        expect(page.get_by_text("已核实，今后一次性告知全部材料。")).to_be_visible()
        page.get_by_role("radio", name="不满意").check()
        page.get_by_label("意见（不满意时必填）").fill("没有说明两次补材料的原因。")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("已退回承办部门重新办理")).to_be_visible()
        expect(page.get_by_text("办理中").first).to_be_visible()
        look(page, "consult-06-reopened")

    def test_answered_again_and_satisfied(self, open_as):
        handler = open_as("rs_shouli")
        handler.goto(re.sub(r"/staff/.*$", f"/staff/consult/r/{self.number}/", handler.url))
        handler.get_by_label("答复内容").fill("经查系窗口人员未一次告知，已批评教育并补充告知清单。")
        handler.get_by_role("button", name="提交答复").click()
        page = open_as(CITIZEN)
        page.goto(re.sub(r"(https?://[^/]+).*", rf"\1/consult/r/{self.number}/", page.url))
        page.get_by_role("radio", name="满意", exact=True).check()
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("诉求已办结")).to_be_visible()
        expect(page.get_by_text("已办结").first).to_be_visible()
        look(page, "consult-07-closed")


def test_the_assistant_answers_from_the_guide(open_as):
    page = open_as(None)
    page.goto(re.sub(r"(https?://[^/]+).*", r"\1/consult/", page.url))
    page.get_by_label("您的问题").fill("开办餐饮店需要什么")
    page.get_by_role("button", name="提问").click()
    link = page.get_by_role("link", name=re.compile("查看办事指南：.*申请材料"))
    expect(link).to_be_visible(timeout=30_000)  # the first answer of a worker loads jieba
    look(page, "consult-08-assistant")
    link.click()
    expect(page).to_have_url(re.compile(r"/items/.+#materials$"))
    expect(page.get_by_role("heading", level=2, name="申请材料")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("食品")
