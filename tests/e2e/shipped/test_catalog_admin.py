"""The catalogue admin of 市场监督管理局 (sj_shixiang) changes an item's form in the editor, and
张晓明's next application for that item uses the new version."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

ITEM = "消费纠纷调解"
FIELD = "纠纷涉及金额（元）"


class TestCatalogueAdminChangesAForm:
    def test_admin_finds_the_item_in_the_workspace(self, open_as, shipped):
        page = open_as("sj_shixiang")
        page.goto(shipped.url + "/staff/catalog/")
        look(page, "catalog-workspace")
        page.get_by_label("事项名称或编码").fill(ITEM)
        page.get_by_role("button", name="筛选").click()
        page.get_by_role("link", name=ITEM).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
        look(page, "catalog-item")

    def test_admin_adds_a_field_previews_and_publishes(self, open_as, shipped):
        page = open_as("sj_shixiang")
        page.goto(shipped.url + "/staff/catalog/?q=" + ITEM)
        page.get_by_role("link", name=ITEM).click()
        page.get_by_role("link", name="编辑申请表单").click()
        look(page, "catalog-form-editor")
        page.get_by_role("link", name="添加字段").click()
        page.get_by_label("字段名称").fill(FIELD)
        page.get_by_label("控件类型").select_option("number")
        page.get_by_label("必填", exact=True).check()
        page.get_by_label("最小值（数字用）").fill("0")
        look(page, "catalog-form-field")
        page.get_by_role("button", name="保存到草稿").click()
        expect(page.get_by_text("字段已保存到草稿")).to_be_visible()
        page.get_by_role("link", name="预览").click()
        expect(page.get_by_label(FIELD)).to_be_visible()
        look(page, "catalog-form-preview")
        page.get_by_role("link", name="返回编辑").click()
        page.get_by_role("button", name="发布为新版本").click()
        expect(page.get_by_text(re.compile("之后的申请使用这个版本"))).to_be_visible()

    def test_next_application_uses_the_new_form(self, open_as, shipped):
        page = open_as("13800000001")
        page.goto(shipped.url + "/search/?q=" + ITEM)
        page.get_by_role("link", name=ITEM).first.click()
        page.get_by_role("link", name=re.compile("在线办理")).first.click()
        page.get_by_role("button", name=re.compile("开始|同意|下一步")).first.click()
        for _ in range(4):
            if page.get_by_label(FIELD).count():
                break
            page.get_by_role("button", name="下一步").first.click()
        expect(page.get_by_label(FIELD)).to_be_visible()
        look(page, "catalog-form-applied")
