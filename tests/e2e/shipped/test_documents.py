"""The catalogue admin of 人力资源和社会保障局 (rs_shixiang) rewords a letter for a public service
with the live preview and saves it; unsafe text is refused; 张晓明 downloads his 受理回执."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

TITLE = "社会保障服务办理结果通知书"


class TestCatalogueAdminRewordsALetter:
    def test_admin_sees_the_letters_of_the_department_by_item_type(self, open_as, shipped):
        page = open_as("rs_shixiang", "/staff/documents/")
        expect(page.get_by_role("heading", level=1)).to_have_text("文书模板")
        expect(page.get_by_role("heading", name="20 公共服务")).to_be_visible()
        expect(page.get_by_role("link", name="准予决定：准予行政许可决定书")).to_be_visible()
        look(page, "documents-index")

    def test_admin_edits_with_a_live_preview_and_saves_a_version(self, open_as, shipped):
        page = open_as("rs_shixiang", "/staff/documents/")
        page.get_by_role("link", name="准予决定：办理结果通知书").click()
        preview = page.locator("#doc-preview")
        expect(preview).to_contain_text("本机关已予以办理")
        expect(preview).not_to_contain_text("行政复议")
        page.get_by_label("标题").fill(TITLE)
        expect(preview).to_contain_text(TITLE)  # htmx re-renders the preview while typing
        look(page, "documents-edit")
        page.get_by_role("button", name="保存为新版本").click()
        expect(page.get_by_text("文书模板已保存")).to_be_visible()
        page.get_by_role("link", name="返回文书模板").click()
        expect(page.get_by_role("link", name=f"准予决定：{TITLE}")).to_be_visible()
        expect(page.get_by_text(re.compile("本部门 · 第1版"))).to_be_visible()

    def test_template_tags_are_refused_in_chinese(self, open_as, shipped):
        page = open_as("rs_shixiang", "/staff/documents/")
        page.get_by_role("link", name="不予决定：办理结果通知书").click()
        page.get_by_label("正文（每行一段）").fill("{% load static %}{{ settings.SECRET_KEY }}")
        page.get_by_role("button", name="保存为新版本").click()
        expect(page.get_by_role("alert").first).to_contain_text("不是可用的占位符")
        look(page, "documents-refused")


class TestCitizenGetsAReceipt:
    def test_citizen_downloads_the_receipt_of_an_accepted_case(self, open_as, shipped):
        page = open_as("13800000001", "/my/cases/")
        for href in page.locator("a[href^='/my/cases/5']").evaluate_all("els => els.map(e => e.href)"):
            page.goto(href)
            if page.get_by_role("link", name=re.compile("受理回执")).count():
                break
        link = page.get_by_role("link", name=re.compile("受理回执"))
        with page.expect_download() as download:
            link.first.click()
        assert download.value.suggested_filename.endswith("受理回执.pdf")
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
