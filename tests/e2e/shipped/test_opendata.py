"""The open-data portal on the shipped demo: a visitor follows the footer link to /opendata/,
opens the case statistics (small cells marked and explained), downloads its CSV and finds the
rows the page showed, with the suppressed counts left empty; then the service catalogue. Every
page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/opendata-*)."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]


def test_a_visitor_browses_the_portal_and_downloads_a_dataset(open_as, shipped):
    page = open_as(None)
    page.get_by_role("contentinfo").get_by_role("link", name="开放数据").click()
    expect(page.get_by_role("heading", level=1, name="开放数据")).to_be_visible()
    for title in ("政务服务事项目录", "部门好差评", "办件统计", "节假日安排"):
        expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_role("link", name="知识共享 署名 4.0 国际许可协议（CC BY 4.0）")).to_be_visible()
    look(page, "opendata-01-portal")

    page.get_by_role("link", name="办件统计").click()
    expect(page.get_by_role("heading", level=1, name="办件统计")).to_be_visible()
    expect(page.get_by_role("heading", name="小数抑制")).to_be_visible()
    table = page.get_by_role("region", name="办件统计（预览表格，可横向滚动）").locator("table")
    expect(table).to_be_visible()
    column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index("部门") + 1
    departments = {
        cell.strip() for cell in table.locator(f"tbody tr td:nth-child({column})").all_inner_texts()
    }
    assert departments, "the demo's statistics have rows"
    look(page, "opendata-02-statistics")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 CSV").click()
    assert download.value.suggested_filename == "case-statistics.csv"
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith("\ufeff".encode()), "UTF-8 with BOM for Excel"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and {r["department"] for r in rows} == departments
    counts = [
        r[m]
        for r in rows
        for m in ("received", "accepted", "concluded", "with_promised", "on_time", "online")
    ]
    # Published counts are 0 or at least 5; the rest are suppressed and left empty.
    assert all(c == "" or int(c) == 0 or int(c) >= 5 for c in counts)
    assert "" in counts, "the small demo has suppressed cells"

    page.goto(shipped.url + "/opendata/")
    expect(page.get_by_text("下载 1 次")).to_be_visible()
    page.get_by_role("link", name="政务服务事项目录").click()
    expect(page.get_by_role("heading", level=1, name="政务服务事项目录")).to_be_visible()
    expect(page.get_by_role("link", name="datapackage.json")).to_be_visible()
    look(page, "opendata-03-catalogue")
