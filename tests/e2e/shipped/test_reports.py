"""定期通报, 办件公示 and the audit anchors on the shipped demo: the city supervisor (shi_jiancha)
generates this month's report from the staff home, waits for the worker, downloads the PDF and
the XLSX (the PDF's first page is rendered to PNG beside the screenshots); a visitor follows the
departments page to 办件公示 and on to the published audit anchors and their JSON. Every page is
checked with axe and photographed at 1280 and 390 px (screenshots/shipped/reports-*)."""

import io
import json
import shutil
import subprocess
import urllib.request

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, SHOTS, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

WAIT_ROUNDS = 90  # the worker renders the PDF in seconds; the page is reloaded once a second


def _reload_until(page, locator, rounds: int = WAIT_ROUNDS) -> None:
    for _ in range(rounds):
        if locator.count():
            return
        page.wait_for_timeout(1000)
        page.reload()
    expect(locator.first).to_be_visible()


def test_city_supervisor_generates_and_downloads_this_months_report(open_as):
    page = open_as("shi_jiancha")
    page.get_by_role("link", name="定期通报").click()
    expect(page.get_by_role("heading", level=1, name="定期通报")).to_be_visible()
    page.get_by_role("button", name="生成本月通报").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("已开始生成")
    expect(status).to_contain_text("广安市")
    title = status.inner_text().split("广安市", 1)[1].split("通报", 1)[0]  # e.g. 2026年12月
    row = page.locator("li.report").filter(has_text=f"广安市 {title}月报")
    _reload_until(page, row.filter(has_text="已生成"))
    look(page, "reports-01-list")

    with page.expect_download() as pdf_download:
        row.get_by_role("link", name="PDF").click()
    assert pdf_download.value.suggested_filename.endswith(f"{title}通报.pdf")
    pdf_path = SHOTS / "reports-city.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):  # a page to look at, as a reader of the PDF sees it
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "2",
                str(pdf_path),
                str(SHOTS / "reports-pdf-page"),
            ],
            check=True,
            timeout=60,
        )

    with page.expect_download() as xlsx_download:
        row.get_by_role("link", name="XLSX").click()
    book = load_workbook(io.BytesIO(open(xlsx_download.value.path(), "rb").read()))
    assert book.sheetnames[:2] == ["总体指标", "部门"]
    assert book["总体指标"]["A3"].value == "收件"

    row.get_by_role("link", name=f"广安市 {title}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{title}通报")
    expect(page.get_by_role("region", name="总体指标")).to_be_visible()
    look(page, "reports-02-detail")


def test_visitor_reads_the_publicity_page_and_the_audit_anchors(open_as, shipped):
    page = open_as(None, "/departments/")
    page.get_by_role("link", name="办件公示：各部门本月办件情况").click()
    expect(page.get_by_role("heading", level=1, name="办件公示")).to_be_visible()
    table = page.get_by_role("region", name="各部门办件情况").locator("table")
    expect(table).to_be_visible()
    cells = table.locator("tbody td:nth-child(2)").all_inner_texts()
    # Published counts are at least 5; the rest are marked and explained.
    assert all(c.strip() == "*" or int(c) >= 5 for c in cells), cells
    expect(page.get_by_text("少于 5 件的数字不予公布")).to_be_visible()
    look(page, "reports-03-publicity")

    page.get_by_role("link", name="审计锚点（留痕）").click()
    expect(page.get_by_role("heading", level=1, name="审计锚点（留痕）")).to_be_visible()
    # tongban tick (started by tongban serve) signs the first anchor of the day.
    _reload_until(page, page.get_by_role("list", name="已公布的锚点"))
    look(page, "reports-04-anchors")

    with urllib.request.urlopen(f"{shipped.url}/opendata/audit-anchors/anchors.json", timeout=30) as response:
        document = json.load(response)
    assert document["anchors"] and document["keys"]["keys"]
    assert document["anchors"][0]["kid"] in {k["kid"] for k in document["keys"]["keys"]}
