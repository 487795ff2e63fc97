"""The catalogue admin of 人社局 (rs_shixiang) renames the 受理 step of an item's process in the
browser modeller (bpmn-js), saves it as a new version, and 张晓明's next application for that
item runs the new version: his case shows the renamed step."""

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

ITEM = "离校未就业高校毕业生登记"
STEP = "材料受理（新流程）"


class TestCatalogueAdminChangesAProcess:
    def test_admin_edits_the_process_in_the_modeller(self, open_as, shipped):
        page = open_as("rs_shixiang")
        page.goto(shipped.url + "/staff/processes/?q=" + ITEM)
        look(page, "process-list")
        page.get_by_role("link", name=ITEM).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
        canvas = page.locator("#modeller-canvas[data-ready=true]")
        expect(canvas).to_be_visible()
        expect(canvas.locator(".djs-element").filter(has_text="受理").first).to_be_visible()
        look(page, "process-modeller")
        page.evaluate(
            """(label) => {
                const modeler = window.tongbanModeler;
                const registry = modeler.get("elementRegistry");
                const intake = registry.filter((e) => e.type === "bpmn:UserTask" && e.businessObject.name === "受理")[0];
                modeler.get("modeling").updateLabel(intake, label);
            }""",
            STEP,
        )
        expect(canvas.get_by_text(STEP)).to_be_visible()
        page.get_by_role("button", name="保存为新版本", exact=True).click()
        expect(page.get_by_text(re.compile(r"已保存为第 \d+ 版"))).to_be_visible()
        expect(page.locator("#modeller-canvas[data-ready=true]").get_by_text(STEP)).to_be_visible()
        assert page.console_problems == []
        look(page, "process-saved")

    def test_next_application_runs_the_new_version(self, open_as, shipped):
        page = open_as("13800000001")
        page.goto(shipped.url + "/search/?q=" + ITEM)
        page.get_by_role("link", name=ITEM).first.click()
        page.get_by_role("link", name=re.compile("在线办理")).first.click()
        page.get_by_role("button", name=re.compile("开始|同意")).first.click()
        for _ in range(6):
            fill_address(page, "建设路 8 号")
            fill_form(page, {"申请事项说明": "办理离校未就业高校毕业生登记。"})
            next_step(page)
            if page.get_by_role("heading", name="上传申请材料").count():
                break
        expect(page.get_by_role("heading", name="上传申请材料")).to_be_visible()
        upload_required_materials(page, "modeller")
        page.get_by_role("link", name="下一步：核对申请").click()
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
        number = page.locator(".case-number").inner_text().strip()
        page.goto(shipped.url + "/my/cases/" + number + "/")
        expect(page.get_by_text(f"当前环节：{STEP}")).to_be_visible()
        look(page, "process-next-case")
