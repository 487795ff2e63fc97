"""预约取号 on the shipped demo: 张晓明 books a slot at 广安区政务服务中心 from the guide of
失业保险金申领, checks in at the hall's kiosk with his booking number and code, the 人社 window
clerk (rs_shouli) calls the number, the hall's call screen shows it, the clerk serves and
finishes, and 张晓明 rates the visit (好差评, from his booking page).

The demo adds 延时服务 slots for the rest of the day it is loaded (src/tongban/demo/appointments.py),
so this runs at any hour. Every page is checked with axe and photographed at 1280 and 390 px
(screenshots/shipped/appointments-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CITIZEN = "13800000001"
CLERK = "rs_shouli"
ITEM = "失业保险金申领"
HALL = "guangan-district"


class TestAppointmentJourney:
    state: dict = {}

    def test_01_citizen_books_a_slot_from_the_guide(self, open_as):
        page = open_as(CITIZEN)
        box = page.get_by_role("searchbox", name="搜索办事服务")
        box.fill(ITEM)
        box.press("Enter")
        page.locator(".item-list li", has_text="人力资源和社会保障局").first.get_by_role(
            "link", name=ITEM
        ).click()
        expect(page.get_by_role("heading", level=1, name=ITEM)).to_be_visible()
        page.get_by_role("link", name="预约到大厅办理").click()
        expect(page.get_by_role("heading", level=1, name=re.compile("预约办理"))).to_be_visible()
        look(page, "appointments-01-choose-time")
        page.locator("input[name=slot]:not([disabled])").first.check()
        page.get_by_role("button", name="确认预约").click()
        expect(page.get_by_text("预约成功。")).to_be_visible()
        expect(page.get_by_role("img", name="签到二维码")).to_be_visible()
        look(page, "appointments-02-booked")
        self.state["number"] = page.locator("#booking-number").inner_text().strip()
        self.state["code"] = page.locator("#check-code").inner_text().strip()

    def test_02_checks_in_at_the_kiosk(self, open_as):
        page = open_as(None, f"/halls/{HALL}/")
        expect(page.get_by_role("heading", level=1, name=re.compile("签到取号"))).to_be_visible()
        look(page, "appointments-03-kiosk")
        page.get_by_label("预约号").fill(self.state["number"])
        page.get_by_label("签到码").fill(self.state["code"])
        page.get_by_role("button", name="签到", exact=True).click()
        ticket = page.locator("#ticket-number")
        expect(ticket).to_have_text(re.compile(r"^Y\d{3}$"))
        look(page, "appointments-04-ticket")
        self.state["ticket"] = ticket.inner_text().strip()

    def test_03_the_window_calls_the_number_and_the_screen_shows_it(self, open_as):
        page = open_as(CLERK)
        page.get_by_role("link", name=re.compile("^窗口叫号")).first.click()
        page.get_by_role("link", name=re.compile("1号窗口")).click()
        expect(page.get_by_role("heading", level=1, name=re.compile("1号窗口"))).to_be_visible()
        look(page, "appointments-05-window-idle")
        page.get_by_role("button", name="叫下一个号").click()
        expect(page.locator("#current-number")).to_have_text(self.state["ticket"])
        look(page, "appointments-06-window-called")

        screen = open_as(None, f"/halls/{HALL}/screen/")
        expect(screen.locator(".latest-number")).to_have_text(self.state["ticket"])
        expect(screen.locator(".latest-window")).to_have_text("1号窗口")
        look(screen, "appointments-07-call-screen")

        page.get_by_role("button", name="开始办理").click()
        page.get_by_role("button", name="办结").click()
        expect(page.get_by_role("img", name="评价二维码")).to_be_visible()
        look(page, "appointments-08-window-finished")

    def test_04_citizen_rates_the_visit(self, open_as):
        page = open_as(CITIZEN, f"/my/appointments/{self.state['number']}/")
        expect(page.get_by_role("heading", name=re.compile(self.state["ticket"]))).to_be_visible()
        look(page, "appointments-09-booking-done")
        page.get_by_role("link", name="评价本次服务").click()
        expect(page.get_by_role("heading", level=1, name="评价窗口服务")).to_be_visible()
        page.get_by_label("非常满意").check()
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_role("heading", level=1, name="感谢您的评价")).to_be_visible()
        look(page, "appointments-10-rated")
