"""好差评 in a real browser, with the citizen, the department and the supervisor side by side
(three browser contexts, three sessions): the citizen rates a concluded case with one star →
the department sees the rectification task with its deadlines → calls back and records the
outcome → the supervisor sees it closed and the ranking's rectification rate updated → the
citizen rates again from the inbox. A second test rates a window visit through its QR page
without signing in. Every page is checked with axe (no serious or critical violations) and
photographed at 390 px and 1280 px into ``tests/e2e/screenshots/``.

Playwright is started and stopped for each test by the function-scoped ``browser`` fixture
(``tests/e2e/conftest.py``, a ``with sync_playwright()`` block), so no event loop outlives it.
"""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.e2e.conftest import assert_accessible, new_page, photograph, sign_in, sign_in_staff, totp_token
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory
from tongban.cases import services as case_services
from tongban.cases.models import Case
from tongban.ratings.models import Rating, Rectification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # the shared UserFactory's password


def concluded_case(item, material, applicant, officer) -> Case:
    """A case taken through the whole process to 办结（出证） by the services, as staff would."""
    application = case_services.start_application(user=applicant, item=item)
    case_services.save_draft(user=applicant, application=application, data=fill(application), step=1)
    case_services.attach_file(
        user=applicant, application=application, requirement=material, upload=pdf_upload()
    )
    case = case_services.submit_application(user=applicant, application=application)
    case_services.accept_case(actor=officer, case=case)
    case_services.review_case(actor=officer, case=case, opinion="材料齐全，符合条件。")
    case_services.decide_case(actor=officer, case=case, grant=True, reason="符合条件。")
    case_services.conclude_case(actor=officer, case=case, result=Case.Result.ISSUED)
    case.refresh_from_db()
    assert case.status == Case.Status.CONCLUDED
    return case


def test_one_star_is_followed_up_closed_and_ranked(live_server, browser, screenshot):
    department = DepartmentFactory(name="区市场监督管理局")
    item = PublishedItemFactory(name="食品经营许可", department=department, legal_limit=20, promised_limit=10)
    material = MaterialRequirementFactory(item=item, name="营业执照复印件")
    applicant = citizen("张三")
    officer = staff(department, "intake", "review", "decide", "issue", name="王审批")
    supervisor = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor", name="李监察")
    officer_device = TOTPDevice.objects.create(user=officer, name="test", confirmed=True)
    supervisor_device = TOTPDevice.objects.create(user=supervisor, name="test", confirmed=True)
    case = concluded_case(item, material, applicant, officer)
    base = live_server.url
    problems: list[str] = []
    contexts = []
    try:
        citizen_context, me = new_page(browser, problems)
        staff_context, desk = new_page(browser, problems)
        watch_context, watch = new_page(browser, problems)
        contexts = [citizen_context, staff_context, watch_context]

        # --- the citizen finds the invitation on the case page: voluntary, nothing withheld
        sign_in(me, base, applicant.username, PASSWORD, next_url=f"/my/cases/{case.number}/")
        expect(me.get_by_role("heading", name="服务评价")).to_be_visible()
        expect(me.get_by_text("评价是自愿的，不影响查看和下载办理结果。")).to_be_visible()
        assert_accessible(me, "case page with the rating invitation")
        photograph(me, screenshot, "ratings-1-case")
        me.get_by_role("link", name="评价本次服务").click()

        # --- one star, a tag and a reason
        expect(me.get_by_role("heading", level=1, name="评价本次服务")).to_be_visible()
        for name in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
            expect(me.get_by_role("radio", name=name, exact=True)).to_have_count(1)
        assert_accessible(me, "rate page")
        photograph(me, screenshot, "ratings-2-rate")
        me.get_by_role("button", name="提交评价").click()
        expect(me.get_by_role("heading", name="请修改以下内容")).to_be_visible()
        expect(me.get_by_role("link", name="请选择 1 到 5 星的评价。")).to_be_visible()
        assert_accessible(me, "rate page with an error")
        me.get_by_role("radio", name="非常不满意", exact=True).check()
        me.get_by_role("group", name="办事效率").get_by_role("radio", name="1 分").check()
        me.get_by_role("checkbox", name="等待太久").check()
        me.get_by_label("评价内容").fill("材料交了三次才收下，每次都说不清缺什么。")
        me.get_by_role("button", name="提交评价").click()

        expect(me.get_by_role("heading", level=1, name="感谢您的评价")).to_be_visible()
        rating = Rating.objects.get(case=case)
        rect = Rectification.objects.get(rating=rating)
        assert (rating.level, rating.scores, rating.tags) == (1, {"efficiency": 1}, ["等待太久"])
        expect(me.get_by_text(re.compile(f"{rect.callback_due:%Y-%m-%d} 前与您联系回访"))).to_be_visible()
        assert_accessible(me, "thank-you page")
        photograph(me, screenshot, "ratings-3-thanks")

        # --- the department sees the task with its deadlines, calls back, then rectifies
        sign_in_staff(
            desk, base, officer.username, PASSWORD, lambda: totp_token(officer_device), next_url="/staff/"
        )
        expect(desk.get_by_role("heading", name="工作台")).to_be_visible()
        desk.get_by_role("main").get_by_role("link", name=re.compile("^好差评任务")).click()
        expect(desk.get_by_role("heading", level=1, name="差评整改")).to_be_visible()
        row = desk.get_by_role("listitem").filter(has_text=case.number)
        expect(row.get_by_text("待回访")).to_be_visible()
        expect(row.get_by_text(re.compile(f"期限 {rect.callback_due:%Y-%m-%d}"))).to_be_visible()
        expect(row.get_by_text(re.compile(f"期限 {rect.rectify_due:%Y-%m-%d}"))).to_be_visible()
        expect(row.locator(".deadline").first).to_have_text(re.compile("正常|即将到期|今日到期"))
        assert_accessible(desk, "department task list")
        photograph(desk, screenshot, "ratings-4-tasks")
        row.get_by_role("link").first.click()

        expect(desk.get_by_role("heading", level=1, name="差评整改任务")).to_be_visible()
        expect(desk.get_by_text("材料交了三次才收下，每次都说不清缺什么。")).to_be_visible()
        expect(desk.get_by_role("link", name=applicant.mobile)).to_have_count(0)  # masked
        desk.get_by_role("button", name="查看完整号码（用于回访）").click()
        expect(desk.get_by_role("link", name=applicant.mobile)).to_be_visible()
        assert_accessible(desk, "task page")
        photograph(desk, screenshot, "ratings-5-task")
        desk.get_by_label("回访情况").fill("已电话联系申请人，致歉并说明了材料要求。")
        desk.get_by_role("button", name="保存回访记录").click()
        expect(desk.get_by_text("回访已记录，请在整改期限内完成整改。")).to_be_visible()
        expect(desk.locator(".case-status").get_by_text("已回访，整改中")).to_be_visible()
        assert_accessible(desk, "task page after the call-back")
        desk.get_by_label("整改结果").fill("在指南中补充了材料样例，窗口实行一次性告知。")
        desk.get_by_role("button", name="提交整改结果").click()
        expect(desk.get_by_text("整改已完成，已邀请评价人再次评价。")).to_be_visible()
        expect(desk.locator(".case-status").get_by_text("已整改")).to_be_visible()
        assert_accessible(desk, "task page when rectified")
        photograph(desk, screenshot, "ratings-6-rectified")

        # --- the supervisor sees it closed and the ranking's rectification rate at 100 %
        sign_in_staff(
            watch,
            base,
            supervisor.username,
            PASSWORD,
            lambda: totp_token(supervisor_device),
            next_url="/staff/ratings/supervision/",
        )
        expect(watch.get_by_role("heading", level=1, name="好差评监督")).to_be_visible()
        expect(watch.get_by_text("没有逾期的回访或整改。")).to_be_visible()
        closed = watch.get_by_role("region", name="最近完成的整改").first
        expect(
            closed.get_by_role("listitem").filter(has_text=case.number).get_by_text("已整改")
        ).to_be_visible()
        ranking = watch.get_by_role("region", name=re.compile("部门排名$")).first
        ranked = ranking.get_by_role("row").filter(has_text="区市场监督管理局")
        expect(ranked.locator("td").last).to_have_text(re.compile(r"^100\.0%\s*1/1$"))  # 整改率
        assert_accessible(watch, "supervision page")
        photograph(watch, screenshot, "ratings-7-supervision")
        watch.get_by_role("link", name="查看公开排名页和计算方法").first.click()
        expect(watch.get_by_role("heading", level=1, name="部门好差评排名")).to_be_visible()
        expect(watch.get_by_role("heading", name="计算方法")).to_be_visible()
        public_row = watch.get_by_role("row").filter(has_text="区市场监督管理局")
        expect(public_row.locator("td").last).to_have_text(re.compile(r"^100\.0%\s*1/1$"))
        assert_accessible(watch, "public rankings")
        photograph(watch, screenshot, "ratings-8-rankings")

        # --- the citizen is invited to rate again (the inbox link) and the shop page shows it
        me.goto(f"{base}/ratings/re-rate/{rect.pk}/")
        expect(me.get_by_text("在指南中补充了材料样例，窗口实行一次性告知。")).to_be_visible()
        assert_accessible(me, "re-rate page")
        me.get_by_role("radio", name="满意", exact=True).check()
        me.get_by_role("button", name="提交评价").click()
        expect(me.get_by_role("heading", level=1, name="感谢您的评价")).to_be_visible()
        assert_accessible(me, "re-rate thanks")
        rect.refresh_from_db()
        assert rect.re_rating_level == 4
        me.goto(f"{base}/departments/{department.pk}/")
        summary = me.get_by_role("region", name="好差评")
        expect(summary.get_by_text("材料交了三次才收下，每次都说不清缺什么。")).to_be_visible()
        expect(summary.get_by_text("*三")).to_be_visible()
        assert_accessible(me, "department shop page")
        photograph(me, screenshot, "ratings-9-shop")
        me.goto(f"{base}/items/{item.code}/")
        expect(
            me.get_by_role("region", name="办事评价").get_by_text("满意率 0.0%（1 条评价，平均 1.00 / 5）")
        ).to_be_visible()
        assert_accessible(me, "guide page with the item's rating")
        # The one failed load is the rate page answering 400 with the error message, as intended.
        assert problems == [
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        ]
    finally:
        for context in contexts:
            context.close()


def test_window_visit_rated_from_its_qr_page(live_server, browser, screenshot):
    department = DepartmentFactory(name="区行政审批局")
    clerk = staff(department, "intake", name="赵窗口")
    device = TOTPDevice.objects.create(user=clerk, name="test", confirmed=True)
    base = live_server.url
    problems: list[str] = []
    contexts = []
    try:
        desk_context, desk = new_page(browser, problems)
        phone_context, phone = new_page(browser, problems)
        contexts = [desk_context, phone_context]
        sign_in_staff(
            desk,
            base,
            clerk.username,
            PASSWORD,
            lambda: totp_token(device),
            next_url="/staff/ratings/window/",
        )
        expect(desk.get_by_role("heading", level=1, name="窗口服务评价")).to_be_visible()
        assert_accessible(desk, "open a window visit")
        desk.get_by_role("button", name="发起评价，显示二维码").click()
        expect(desk.get_by_role("img", name=re.compile("评价二维码"))).to_be_visible()
        expect(desk.get_by_text("等待评价")).to_be_visible()
        assert_accessible(desk, "QR page")
        photograph(desk, screenshot, "ratings-w1-qr")
        address = desk.locator(".qr-url").inner_text().strip()
        assert "/ratings/visit/" in address

        # The person's phone: no account, a small screen, elderly mode on.
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(address)
        phone.get_by_role("button", name="长辈版").click()
        expect(phone.locator("html.elderly")).to_have_count(1)
        expect(phone.get_by_role("heading", level=1, name="评价窗口服务")).to_be_visible()
        assert_accessible(phone, "evaluator page (elderly mode)")
        photograph(phone, screenshot, "ratings-w2-evaluator")
        phone.get_by_role("radio", name="非常满意", exact=True).check()
        phone.get_by_role("group", name="态度").get_by_role("radio", name="5 分").check()
        phone.get_by_role("button", name="提交评价").click()
        expect(phone.get_by_role("heading", level=1, name="感谢您的评价")).to_be_visible()
        assert_accessible(phone, "evaluator thanks")
        rating = Rating.objects.get()
        assert (rating.channel, rating.level, rating.scores, rating.rater) == (
            "window",
            5,
            {"attitude": 5},
            None,
        )

        desk.get_by_role("link", name="刷新状态").click()
        expect(desk.locator("dd").get_by_text("已评价", exact=True)).to_be_visible()
        assert problems == []
    finally:
        for context in contexts:
            context.close()
