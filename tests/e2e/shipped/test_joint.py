"""一件事一次办 on the shipped demo, four browser contexts: the citizen 张晓明 applies once for
开办餐饮店一件事 (canyin-511602) with one set of materials; 行政审批局 (sp_banli) registers the
个体工商户 and records its 统一社会信用代码, which releases the held children; 行政审批局 (食品经营许可),
税务局 (sw_banli) and 消防救援大队 (xf_banli) act in parallel, 消防 asks for a correction; the citizen
answers the one combined notice once; all conclude; the 营业执照 and 食品经营许可证 arrive in the
wallet together (统一出件) and the citizen rates once.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/joint-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import (
    GROUP,
    PDF,
    fill_address,
    fill_form,
    look,
    next_step,
    upload_required_materials,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CITIZEN = "13800000001"
# The essential children after the registration, each with the account that handles it.
PARALLEL = {
    "食品经营许可": "sp_banli",
    "税务登记": "sw_banli",  # a 即办件: 受理并办结 at once
}
# A 承诺件 (受理 → 审查 → 决定 → 办结), whose intake can ask for a correction.
CORRECTING = ("消防安全检查", "xf_banli")
LICENCES = ("营业执照", "食品经营许可证")
# The 统一社会信用代码 行政审批局 assigns to the new 个体工商户 (a valid code of 广安区).
NEW_USCC = "92511602534640977L"
SLUG = "canyin-511602"
ANSWERS = {
    "联系电话": "13800000001",
    "单位名称": "广安区晓明小吃店",
    "申请事项说明": "开办小吃店，一并办理。",
}


class TestJoint:
    state: dict = {}

    def test_01_the_citizen_applies_once(self, open_as):
        page = open_as(CITIZEN, f"/life-events/{SLUG}/")
        expect(page.get_by_role("heading", level=1, name="开办餐饮店一件事")).to_be_visible()
        look(page, "joint-01-bundle")
        page.goto(page.url.split("/life-events/")[0] + f"/yijianshi/{SLUG}/apply/")
        look(page, "joint-02-start")
        page.get_by_role("button", name="开始填写申请").click()
        for n in range(1, 10):
            if page.get_by_role("heading", name="上传一套材料").count():
                break
            fill_address(page, "广安区建设路 8 号")
            fill_form(page, ANSWERS)
            if n == 1:
                look(page, "joint-03-form")
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"form step {n} refused: {page.locator('main').inner_text()[:800]}")
        uploaded = upload_required_materials(page, "联办")
        assert uploaded, "no material asked for"
        look(page, "joint-04-materials")
        page.get_by_role("link", name="下一步：核对申请").click()
        look(page, "joint-05-check")
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", level=1, name="申请已提交")).to_be_visible()
        look(page, "joint-06-done")
        self.state["number"] = re.search(r"LB\d{6}-\d{8}-\d{6}", page.locator("main").inner_text()).group(0)

    def _child(self, open_as, account: str, item: str):
        """The account's own child of the joint case, opened from the joint case's page."""
        number = self.state.get("number") or pytest.skip("the application did not go in")
        page = open_as(account, f"/staff/joint/{number}/")
        row = page.locator("article.joint-child").filter(has_text=item)
        row.get_by_role("link", name=re.compile(r"^\d{6}-\d{8}-\d{6}$")).last.click()
        expect(page.get_by_role("heading", name=re.compile(item)).first).to_be_visible()
        return page

    def _process(self, page, name: str, uscc: str = "") -> None:
        """受理 → 审查 → 决定 (准予) → 办结 with 出证, whichever steps the item's process has."""
        for _ in range(8):
            buttons = page.locator(".actions-panel button.button")
            if not buttons.count():
                break
            label = buttons.first.inner_text().strip()
            if label == "受理":
                pass
            elif label == "受理并办结":
                if uscc:
                    page.get_by_label(re.compile("统一社会信用代码")).fill(uscc)
                look(page, f"{name}-conclude")
            elif label == "审查通过，提交决定":
                page.get_by_label("审查意见").fill("材料齐全，符合规定。")
            elif label == "作出决定":
                page.locator("#decision-grant").check()
                page.get_by_label("理由和依据（写入决定书）").fill("符合法定条件。")
            elif label == "办结":
                page.get_by_label("办结结果").select_option(label="出证")
                if uscc:
                    page.get_by_label(re.compile("统一社会信用代码")).fill(uscc)
                look(page, f"{name}-conclude")
            else:
                pytest.fail(f"unexpected action {label}")
            with page.expect_navigation():
                buttons.first.click()
            alert = page.locator(".actions-panel [role=alert], .field-errors")
            if alert.count():
                pytest.fail(f"{label} refused: {alert.first.inner_text()}")
        expect(page.get_by_text("已办结").first).to_be_visible()

    def test_02_the_registration_records_the_new_code_and_releases_the_others(self, open_as):
        page = self._child(open_as, "sp_banli", "个体工商户设立登记")
        look(page, "joint-07-registration")
        self._process(page, "joint-08-registration", uscc=NEW_USCC)
        page.goto(page.url.split("/staff/")[0] + f"/staff/joint/{self.state['number']}/")
        for item in ("食品经营许可", "税务登记", "消防安全检查"):
            expect(page.locator("article.joint-child").filter(has_text=item)).to_contain_text("待受理")
        look(page, "joint-09-joint-after-registration")

    def _wallet(self, open_as):
        page = open_as(CITIZEN)
        page.goto(page.url.rstrip("/") + "/my/")
        page.get_by_role("link", name=re.compile("证照卡包")).click()
        expect(page.get_by_role("heading", level=1, name="我的卡包")).to_be_visible()
        return page

    def test_03_one_department_asks_for_a_correction_while_the_others_work(self, open_as):
        item, account = CORRECTING
        page = self._child(open_as, account, item)
        card = page.locator("#action-correct")
        expect(card).to_be_visible()
        material = card.locator("input[name=materials]")
        if material.count():
            material.first.check()
        else:
            card.locator("input[name=fields]").first.check()
        card.get_by_label("补正告知（一次性写明全部问题）").fill("请补交清晰的经营场所证明，一次告知。")
        look(page, "joint-10-correction")
        card.get_by_role("button", name="发出补正告知").click()
        expect(page.get_by_text("办件正等待申请人补正")).to_be_visible()
        # the other departments act at the same time, each in its own browser context
        for n, (name, handler) in enumerate(PARALLEL.items()):
            self._process(self._child(open_as, handler, name), f"joint-{11 + n}-{handler}")
        wallet = self._wallet(open_as)
        for licence in LICENCES:  # 统一出件: nothing is released while an essential item is open
            expect(wallet.get_by_text(licence)).to_have_count(0)

    def test_04_the_citizen_answers_the_one_notice_once(self, open_as):
        number = self.state["number"]
        page = open_as(CITIZEN, f"/my/joint/{number}/")
        expect(page.get_by_role("heading", name="需要您补正（一次告知）")).to_be_visible()
        look(page, "joint-13-my-joint-correction")
        page.get_by_role("link", name="去补正").click()
        expect(page.get_by_role("heading", level=1, name="一次补正")).to_be_visible()
        files = page.locator("input[type=file]")
        for n in range(files.count()):
            files.nth(n).set_input_files(
                {"name": f"补正-{n + 1}.pdf", "mimeType": "application/pdf", "buffer": PDF}
            )
        for n in range(page.locator("main input[type=text]").count()):
            page.locator("main input[type=text]").nth(n).fill("广安区建设路 8 号")
        look(page, "joint-14-correct")
        page.get_by_role("button", name="提交补正").last.click()
        expect(page.get_by_role("heading", name="需要您补正（一次告知）")).to_have_count(0)
        expect(page.locator("article.joint-child").filter(has_text=CORRECTING[0])).not_to_contain_text(
            "待补正"
        )

    def test_05_the_last_department_concludes_and_every_licence_arrives_together(self, open_as):
        item, account = CORRECTING
        self._process(self._child(open_as, account, item), "joint-15-fire")
        page = open_as(CITIZEN, f"/my/joint/{self.state['number']}/")
        expect(page.get_by_role("heading", name="办理结果（统一出件）")).to_be_visible()
        look(page, "joint-16-released")
        wallet = self._wallet(open_as)
        for licence in LICENCES:
            expect(wallet.get_by_text(licence).first).to_be_visible()
        look(wallet, "joint-17-wallet")

    def test_06_the_citizen_rates_once_for_every_department(self, open_as):
        page = open_as(CITIZEN, f"/my/joint/{self.state['number']}/")
        page.get_by_role("link", name="评价本次联办服务").click()
        expect(page.get_by_role("heading", level=1, name="评价本次联办服务")).to_be_visible()
        look(page, "joint-18-rate")
        page.get_by_label("非常满意").check()
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("感谢您的评价，各办理部门都会收到。")).to_be_visible()
        look(page, "joint-19-rated")
        page.goto(page.url.split("/my/")[0] + f"/my/joint/{self.state['number']}/rate/")
        expect(page.get_by_text("该联办件已评价，感谢您的评价。")).to_be_visible()
