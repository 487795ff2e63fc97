"""The city supervisor's 电子监察 dashboard on the shipped demo: from the workbench tile to the
region's figures (counted by the demo's rollups), the charts with their data tables, a number
drilled down to its cases and on to the staff case page; another county's supervisor is refused
the city. Every page is checked with axe and photographed at 1280 and 390 px
(screenshots/shipped/supervision-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]


class TestSupervisionDashboard:
    def test_from_the_workbench_to_the_cases_behind_a_number(self, open_as):
        page = open_as("shi_jiancha", "/staff/")
        page.get_by_role("link", name=re.compile("^电子监察")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("电子监察")
        figures = page.locator(".sv-figures")
        received = figures.get_by_role("link", name=re.compile(r"收件"))
        expect(received).to_be_visible()
        assert int(received.locator(".sv-value").inner_text()) > 0  # the demo's cases are counted
        expect(page.get_by_role("img", name=re.compile("每月收件与办结"))).to_be_visible()
        expect(page.get_by_role("table", name="每月数据")).to_be_visible()
        expect(page.get_by_role("heading", name="部门排名")).to_be_visible()
        look(page, "supervision-01-dashboard")
        received.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("收件")
        first = page.locator("table.sv-table tbody th a").first
        number = first.inner_text().strip()
        look(page, "supervision-02-drill-down")
        first.click()
        expect(page).to_have_url(re.compile(rf"/staff/cases/{number}/"))

    def test_a_county_supervisor_is_refused_the_city(self, open_as):
        page = open_as("rs_jiancha", "/staff/supervision/?region=5116")
        expect(page.get_by_text("您无权查看该地区的监察指标")).to_be_visible()
