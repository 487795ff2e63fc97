"""The process modeller in a real browser: bpmn-js (from the static files) draws the item's
process with no console errors, a label edited through the modeller's API is saved as a new
version, and the page passes axe at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect

from tests.cases.conftest import staff
from tests.e2e.conftest import add_session, assert_accessible
from tests.factories import DepartmentFactory, PublishedItemFactory
from tongban.workflow.models import ItemProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_modeller_draws_the_process_and_saves_an_edit(live_server, context, page, screenshot):
    department = DepartmentFactory(name="区行政审批局")
    item = PublishedItemFactory(name="食品经营许可", department=department)
    admin = staff(department, "catalogue", name="事项管理员")
    add_session(context, live_server.url, admin, second_factor=True)

    page.goto(f"{live_server.url}/staff/processes/")
    expect(page.get_by_role("heading", name="办理流程")).to_be_visible()
    page.get_by_role("link", name="食品经营许可").click()
    canvas = page.locator("#modeller-canvas[data-ready=true]")
    expect(canvas).to_be_visible()
    expect(
        canvas.locator(".djs-element .djs-label, .djs-element text").filter(has_text="审查").first
    ).to_be_visible()
    expect(page.locator("#process-svg")).to_be_hidden()
    assert page.console_problems == []
    assert_accessible(page, "modeller")
    screenshot(page, "modeller-1280")

    # An edit through the modeller's API (as a drag or a typed label would make), then save.
    page.evaluate(
        """() => {
            const modeler = window.tongbanModeler;
            const review = modeler.get("elementRegistry").get("review");
            modeler.get("modeling").updateLabel(review, "书面审查");
        }"""
    )
    page.get_by_role("button", name="保存为新版本", exact=True).click()
    expect(page.get_by_text("已保存为第 1 版")).to_be_visible()
    definition = ItemProcess.objects.get(item=item).definition
    assert definition.version == 1 and 'name="书面审查"' in definition.bpmn
    expect(page.locator("#modeller-canvas[data-ready=true]")).to_be_visible()
    assert page.console_problems == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#modeller-canvas[data-ready=true]")).to_be_visible()
    assert_accessible(page, "modeller at 390 px")
    screenshot(page, "modeller-390")


def test_without_javascript_the_page_shows_the_picture_and_the_upload(live_server, browser):
    department = DepartmentFactory(name="区行政审批局")
    PublishedItemFactory(name="食品经营许可", department=department)
    admin = staff(department, "catalogue", name="事项管理员")
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        add_session(context, live_server.url, admin, second_factor=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/processes/")
        page.get_by_role("link", name="食品经营许可").click()
        expect(page.locator("#process-svg svg")).to_be_visible()
        expect(page.locator("#modeller-canvas")).to_be_hidden()
        expect(page.get_by_label("BPMN 2.0 文件（.bpmn，不超过 512 KB）")).to_be_visible()
    finally:
        context.close()
