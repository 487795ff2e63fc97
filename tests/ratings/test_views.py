"""好差评 pages: every page, every refusal (another citizen 404, another department's staff 404,
anonymous → login), and what each page shows."""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.cases.conftest import citizen, staff
from tests.cases.test_flow import submitted_case
from tests.factories import DepartmentFactory, login_verified, region_chain
from tests.ratings.test_ratings import concluded_case
from tongban.identity.models import StaffMembership
from tongban.notifications.models import Notification
from tongban.ratings import services, views
from tongban.ratings.models import Appeal, Rating, Rectification, WindowVisit
from tongban.registries.models import DataAccessLog

D = dt.date


def text(response) -> str:
    return response.content.decode()


def sign_in(client, user) -> None:
    client.logout()
    if user.kind == "staff":
        login_verified(client, user)
    else:
        client.force_login(user)


def bad_rating(w, level=1) -> Rating:
    case = concluded_case(w)
    return services.rate_case(
        user=w["applicant"], case=case, level=level, comment="等了很久", tags=["等待太久"]
    )


@pytest.fixture
def supervisor(world):
    """监察 of a department in the same county as the world's department."""
    return staff(DepartmentFactory(name="区政务服务管理局"), "supervisor", name="监察员")


@pytest.fixture
def far_supervisor(world):
    return staff(DepartmentFactory(name="西湖区政务服务管理局", region=region_chain("330106")), "supervisor")


# ---------------------------------------------------------------- citizen: rate a finished case


def test_anonymous_is_sent_to_login_from_every_citizen_page(client, world):
    case = concluded_case(world)
    for url in (
        reverse("ratings:rate", args=[case.number]),
        reverse("ratings:my_rating", args=[case.number]),
        reverse("ratings:re_rate", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_another_citizen_and_staff_get_404(client, world):
    w = world
    case = concluded_case(w)
    services.rate_case(user=w["applicant"], case=case, level=5)
    for user in (w["other"], w["intake"]):
        sign_in(client, user)
        assert client.get(reverse("ratings:rate", args=[case.number])).status_code == 404
        assert client.post(reverse("ratings:rate", args=[case.number]), {"level": 1}).status_code == 404
        assert client.get(reverse("ratings:my_rating", args=[case.number])).status_code == 404
    assert Rating.objects.count() == 1


def test_open_case_cannot_be_rated_and_its_page_has_no_rating_box(client, world):
    case = submitted_case(world)
    sign_in(client, world["applicant"])
    response = client.get(reverse("ratings:rate", args=[case.number]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:my_case", args=[case.number])
    assert "办件办结后才能评价。" in text(response)
    assert "评价本次服务" not in text(response)


def test_case_page_invites_a_rating_but_never_requires_one(client, world):
    case = concluded_case(world)
    sign_in(client, world["applicant"])
    page = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert reverse("ratings:rate", args=[case.number]) in page
    assert "不影响查看和下载" in page
    # Without rating, the case and its letters remain available.
    assert "办理进度" in page


def test_rate_page_has_five_labelled_levels_indicators_and_tags(client, world):
    case = concluded_case(world)
    sign_in(client, world["applicant"])
    page = text(client.get(reverse("ratings:rate", args=[case.number])))
    for value, label in ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")):
        assert f'id="level-{value}" name="level" value="{value}"' in page
        assert re.search(
            rf'<label for="level-{value}">.*?<span class="level-name">{label}</span></label>', page
        )
    assert page.index("非常满意") < page.index("非常不满意")
    for indicator in ("整体满意度", "办事效率", "指南准确度", "便捷度", "平台操作性"):
        assert f"<legend>{indicator}</legend>" in page
    assert 'name="score_usability" value="5"' in page
    assert all(tag in page for tag in services.TAGS)
    assert "<script>" not in page and "style=" not in page  # CSP: no inline scripts or styles


def test_bad_rating_without_reason_is_refused_and_shows_what_was_typed(client, world):
    case = concluded_case(world)
    sign_in(client, world["applicant"])
    response = client.post(reverse("ratings:rate", args=[case.number]), {"level": "1", "score_overall": "1"})
    assert response.status_code == 400
    page = text(response)
    assert "差评请写明原因或选择标签" in page
    assert 'value="1" required checked' in page  # the chosen level is kept
    assert 'id="score-overall-1" name="score_overall" value="1" checked' in page
    assert not Rating.objects.exists()


def test_rating_stores_everything_then_thanks_and_cannot_be_repeated(client, world):
    case = concluded_case(world)
    sign_in(client, world["applicant"])
    url = reverse("ratings:rate", args=[case.number])
    response = client.post(
        url,
        {
            "level": "1",
            "score_overall": "1",
            "score_efficiency": "2",
            "comment": "窗口让我跑了三次。",
            "tags": ["跑了多次", "等待太久"],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("ratings:my_rating", args=[case.number]) + "?thanks=1"
    rating = Rating.objects.get()
    assert (rating.level, rating.scores, rating.tags) == (
        1,
        {"overall": 1, "efficiency": 2},
        ["跑了多次", "等待太久"],
    )
    assert rating.rater == world["applicant"] and rating.channel == "online"
    page = text(client.get(response["Location"]))
    assert "感谢您的评价" in page and "窗口让我跑了三次。" in page
    rect = rating.rectification
    assert f"{rect.callback_due:%Y-%m-%d} 前与您联系回访" in page
    assert f"{rect.rectify_due:%Y-%m-%d} 前完成整改" in page
    # Once only: the form now leads to the rating, and a second post changes nothing.
    assert client.get(url)["Location"] == reverse("ratings:my_rating", args=[case.number])
    assert client.post(url, {"level": "5"}).status_code == 302
    assert Rating.objects.get().level == 1
    case_page = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert "您已评价：非常不满意。" in case_page


def test_default_rating_is_shown_as_such(client, world):
    case = concluded_case(world)
    type(case).objects.filter(pk=case.pk).update(concluded_at=timezone.now() - dt.timedelta(days=8))
    services.apply_default_ratings()
    sign_in(client, world["applicant"])
    assert "已默认为“基本满意”" in text(client.get(reverse("cases:my_case", args=[case.number])))
    page = text(client.get(reverse("ratings:my_rating", args=[case.number])))
    assert "默认为“基本满意”" in page and "提交追评" not in page


def test_one_follow_up_comment(client, world):
    case = concluded_case(world)
    services.rate_case(user=world["applicant"], case=case, level=4)
    sign_in(client, world["applicant"])
    url = reverse("ratings:my_rating", args=[case.number])
    assert "提交追评" in text(client.get(url))
    empty = client.post(url, {"text": "  "})
    assert empty.status_code == 400 and "请填写追评内容。" in text(empty)
    assert client.post(url, {"text": "后来打电话问，工作人员很耐心。"}).status_code == 302
    page = text(client.get(url))
    assert "后来打电话问，工作人员很耐心。" in page and "提交追评" not in page
    again = client.post(url, {"text": "再说一句"})
    assert again.status_code == 400 and "每条评价只能追评一次。" in text(again)


def test_re_rate_after_rectification_from_the_inbox_link(client, world, django_capture_on_commit_callbacks):
    w = world
    rect = bad_rating(w).rectification
    url = reverse("ratings:re_rate", args=[rect.pk])
    sign_in(client, w["applicant"])
    assert "部门完成整改后，您可以在这里再次评价。" in text(client.get(url))
    assert client.post(url, {"level": "4"}).status_code == 400
    services.record_callback(actor=w["reviewer"], rectification=rect, note="已电话联系，致歉。")
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_rectification(actor=w["reviewer"], rectification=rect, outcome="增设了预约窗口。")
    assert Notification.objects.get(user=w["applicant"], event="rectified").link == url
    case_page = text(client.get(reverse("ratings:my_rating", args=[rect.rating.case.number])))
    assert url in case_page and "增设了预约窗口。" in case_page
    sign_in(client, w["other"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"level": "1"}).status_code == 404
    sign_in(client, w["applicant"])
    page = text(client.get(url))
    assert "增设了预约窗口。" in page and 'name="level"' in page
    assert client.post(url, {"level": "9"}).status_code == 400
    response = client.post(url, {"level": "4"})
    assert response["Location"] == url + "?thanks=1"
    assert "感谢您的评价" in text(client.get(response["Location"]))
    rect.refresh_from_db()
    assert rect.re_rating_level == 4
    again = client.post(url, {"level": "5"})
    assert again.status_code == 400 and "当前不能再次评价" in text(again)


# ---------------------------------------------------------------- window: QR code and evaluator


def test_window_pages_are_for_intake_staff_only(client, world):
    url = reverse("ratings:window_open")
    response = client.get(url)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    sign_in(client, world["applicant"])
    assert client.get(url).status_code == 404
    sign_in(client, world["reviewer"])  # in the department, but not at the window
    assert client.get(url).status_code == 404
    sign_in(client, world["intake"])
    assert client.get(url).status_code == 200


def test_open_a_visit_and_show_its_qr_code(client, world):
    w = world
    sign_in(client, w["intake"])
    other_case = submitted_case(w)
    elsewhere = StaffMembership.objects.filter(user=w["outsider"]).first().department
    type(other_case).objects.filter(pk=other_case.pk).update(department=elsewhere)
    refused = client.post(
        reverse("ratings:window_open"), {"department": w["department"].pk, "case": other_case.number}
    )
    assert refused.status_code == 400 and "本部门没有编号为" in text(refused)
    case = submitted_case(w)
    response = client.post(
        reverse("ratings:window_open"), {"department": w["department"].pk, "case": case.number}
    )
    visit = WindowVisit.objects.get()
    assert response["Location"] == reverse("ratings:window_visit", args=[visit.token])
    assert visit.case == case and visit.clerk == w["intake"]
    page = text(client.get(response["Location"]))
    assert '<svg role="img" aria-label="评价二维码' in page
    assert f"http://127.0.0.1:8000/ratings/visit/{visit.token}/" in page  # TONGBAN_PUBLIC_URL
    assert "等待评价" in page
    sign_in(client, w["outsider"])
    assert client.get(response["Location"]).status_code == 404


def test_evaluator_page_needs_no_login_and_takes_one_rating(client, world):
    visit = services.open_window_visit(clerk=world["intake"], department=world["department"])
    url = reverse("ratings:visit", args=[visit.token])
    page = text(client.get(url))
    for indicator in ("整体满意度", "效率", "水平", "态度"):
        assert f"<legend>{indicator}</legend>" in page
    assert "指南准确度" not in page
    response = client.post(url, {"level": "5", "score_attitude": "5", "tags": ["态度好"]})
    assert response["Location"] == url
    rating = Rating.objects.get()
    assert (rating.channel, rating.scores, rating.rater) == ("window", {"attitude": 5}, None)
    assert "感谢您的评价" in text(client.get(url))
    assert client.post(url, {"level": "1", "comment": "再评一次"}).status_code == 200
    assert Rating.objects.count() == 1
    sign_in(client, world["intake"])
    assert "已评价" in text(client.get(reverse("ratings:window_visit", args=[visit.token])))


def test_evaluator_refuses_expired_unknown_and_own_staff(client, world):
    visit = services.open_window_visit(clerk=world["intake"], department=world["department"])
    url = reverse("ratings:visit", args=[visit.token])
    sign_in(client, world["reviewer"])
    response = client.post(url, {"level": "5"})
    assert response.status_code == 403 and "工作人员不能评价本部门的服务。" in text(response)
    client.logout()
    WindowVisit.objects.filter(pk=visit.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.get(url)
    assert expired.status_code == 410 and "评价二维码已过期" in text(expired)
    assert client.get("/ratings/visit/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert not Rating.objects.exists()


# ---------------------------------------------------------------- department staff


@pytest.mark.parametrize(
    ("today", "done", "colour", "label"),
    [
        (D(2026, 11, 2), None, "green", "正常"),
        (D(2026, 11, 10), None, "green", "正常"),  # three working days left
        (D(2026, 11, 11), None, "yellow", "即将到期"),  # two left
        (D(2026, 11, 13), None, "yellow", "今日到期"),
        (D(2026, 11, 16), None, "red", "已超期"),
        (D(2026, 11, 16), dt.datetime(2026, 11, 12, 10, tzinfo=dt.UTC), "done", "已按期完成"),
        (D(2026, 11, 20), dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC), "red", "逾期完成"),
    ],
)
def test_deadline_colours_always_come_with_words(db, today, done, colour, label):
    state = views.due_state(D(2026, 11, 13), done, today)
    assert (state.colour, state.label) == (colour, label)


def test_staff_pages_refuse_anonymous_and_citizens(client, world):
    rect = bad_rating(world).rectification
    urls = [
        reverse("ratings:staff_tasks"),
        reverse("ratings:staff_task", args=[rect.pk]),
        reverse("ratings:staff_received"),
        reverse("ratings:staff_appeal", args=[rect.rating.pk]),
        reverse("ratings:supervision"),
        reverse("ratings:export"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    sign_in(client, world["applicant"])
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_department_sees_its_task_with_deadlines_and_others_do_not(client, world):
    w = world
    rect = bad_rating(w).rectification
    sign_in(client, w["issuer"])  # any role in the department
    page = text(client.get(reverse("ratings:staff_tasks")))
    assert reverse("ratings:staff_task", args=[rect.pk]) in page
    assert f"期限 {rect.callback_due:%Y-%m-%d}" in page and f"期限 {rect.rectify_due:%Y-%m-%d}" in page
    assert "待回访" in page
    sign_in(client, w["outsider"])
    page = text(client.get(reverse("ratings:staff_tasks")))
    assert reverse("ratings:staff_task", args=[rect.pk]) not in page and "没有符合条件的整改任务。" in page
    assert client.get(reverse("ratings:staff_task", args=[rect.pk])).status_code == 404
    assert (
        client.post(
            reverse("ratings:staff_task", args=[rect.pk]), {"action": "callback", "text": "x"}
        ).status_code
        == 404
    )
    assert Rectification.objects.get().status == "open"


def test_overdue_task_is_red_with_text(client, world):
    rect = bad_rating(world).rectification
    Rectification.objects.filter(pk=rect.pk).update(
        callback_due=timezone.localdate() - dt.timedelta(days=3),
        rectify_due=timezone.localdate() - dt.timedelta(days=1),
    )
    sign_in(client, world["intake"])
    page = text(client.get(reverse("ratings:staff_tasks")))
    assert 'class="task task-red"' in page and '<span class="deadline deadline-red">已超期</span>' in page


def test_call_back_then_outcome(client, world, django_capture_on_commit_callbacks):
    w = world
    rect = bad_rating(w).rectification
    url = reverse("ratings:staff_task", args=[rect.pk])
    sign_in(client, w["reviewer"])
    page = text(client.get(url))
    assert w["applicant"].mobile not in page  # masked until revealed with its purpose
    assert "查看完整号码（用于回访）" in page
    assert "记录回访" in page and "完成整改" not in page
    early = client.post(url, {"action": "complete", "text": "已整改"})
    assert early.status_code == 400 and "请先完成回访。" in text(early)
    empty = client.post(url, {"action": "callback", "text": ""})
    assert empty.status_code == 400 and "请填写回访情况。" in text(empty)
    assert client.post(url, {"action": "callback", "text": "已致电，说明了原因。"}).status_code == 302
    page = text(client.get(url))
    assert "已致电，说明了原因。" in page and "提交整改结果" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "complete", "text": "开通了网上预约。"}).status_code == 302
    rect.refresh_from_db()
    assert (
        rect.status == "rectified" and rect.outcome == "开通了网上预约。" and rect.handled_by == w["reviewer"]
    )
    assert Notification.objects.filter(user=w["applicant"], event="rectified").exists()
    page = text(client.get(url))
    assert "已邀请，等待评价人评价" in page and "提交整改结果" not in page
    assert url in text(client.get(reverse("ratings:staff_tasks") + "?status=rectified"))
    assert url not in text(client.get(reverse("ratings:staff_tasks")))  # no longer pending


def test_supervisor_sees_task_masked_and_cannot_act(client, world, supervisor):
    rect = bad_rating(world).rectification
    url = reverse("ratings:staff_task", args=[rect.pk])
    sign_in(client, supervisor)
    page = text(client.get(url))
    assert world["applicant"].mobile not in page and "*三" in page
    assert "记录回访" not in page
    assert client.post(url, {"action": "callback", "text": "监察代为回访"}).status_code == 404


def test_department_appeals_a_rating(client, world):
    w = world
    rating = bad_rating(w)
    url = reverse("ratings:staff_appeal", args=[rating.pk])
    sign_in(client, w["outsider"])
    assert client.get(url).status_code == 404
    assert url not in text(client.get(reverse("ratings:staff_received")))
    sign_in(client, w["intake"])
    listing = text(client.get(reverse("ratings:staff_received")))
    assert url in listing and "非常不满意" in listing
    short = client.post(url, {"reason": "恶意"})
    assert short.status_code == 400 and "至少 10 个字" in text(short)
    assert client.post(url, {"reason": "评价人承认填错了办件，评价内容与本部门无关。"}).status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.status == "pending" and appeal.submitted_by == w["intake"]
    page = text(client.get(url))
    assert "待审核" in page and "提交申诉" not in page
    assert "待审核" in text(client.get(reverse("ratings:staff_received")))


# ---------------------------------------------------------------- supervisors


def test_supervision_is_for_supervisors(client, world, supervisor):
    sign_in(client, world["decider"])
    assert client.get(reverse("ratings:supervision")).status_code == 404
    assert client.get(reverse("ratings:export")).status_code == 404
    sign_in(client, supervisor)
    page = text(client.get(reverse("ratings:supervision")))
    assert "没有逾期的回访或整改。" in page and "没有待审核的申诉。" in page


def test_supervisor_sees_overdue_closed_appeals_and_ranking(client, world, supervisor, far_supervisor):
    w = world
    late = bad_rating(w).rectification
    Rectification.objects.filter(pk=late.pk).update(callback_due=timezone.localdate() - dt.timedelta(days=2))
    done = bad_rating(w, level=2).rectification
    services.record_callback(actor=w["intake"], rectification=done, note="已回访")
    services.complete_rectification(actor=w["intake"], rectification=done, outcome="已整改")
    appeal = services.file_appeal(
        actor=w["intake"], rating=late.rating, reason="评价人承认填错了办件，与本部门无关。"
    )
    sign_in(client, supervisor)
    page = text(client.get(reverse("ratings:supervision")))
    overdue = page[page.index("逾期未处理的差评") : page.index("待审核的申诉")]
    assert reverse("ratings:staff_task", args=[late.pk]) in overdue
    assert reverse("ratings:staff_task", args=[done.pk]) not in overdue
    closed = page[page.index("最近完成的整改") : page.index("部门排名")]
    assert reverse("ratings:staff_task", args=[done.pk]) in closed and "已按期完成" in closed
    assert reverse("ratings:appeal_decide", args=[appeal.pk]) in page
    ranking = page[page.index("部门排名") :]
    assert w["department"].name in ranking and "50.0%" in ranking  # 1 of 2 bad ratings rectified
    sign_in(client, far_supervisor)
    page = text(client.get(reverse("ratings:supervision")))
    assert reverse("ratings:appeal_decide", args=[appeal.pk]) not in page
    assert client.get(reverse("ratings:appeal_decide", args=[appeal.pk])).status_code == 404


def test_supervisor_decides_an_appeal(client, world, supervisor):
    w = world
    rating = bad_rating(w)
    appeal = services.file_appeal(
        actor=w["intake"], rating=rating, reason="评价人承认填错了办件，与本部门无关。"
    )
    url = reverse("ratings:appeal_decide", args=[appeal.pk])
    sign_in(client, w["intake"])
    assert client.get(url).status_code == 404
    sign_in(client, supervisor)
    page = text(client.get(url))
    assert "评价人承认填错了办件" in page and "申诉成立：评价保留，不计入统计" in page
    missing = client.post(url, {"note": "核实"})
    assert missing.status_code == 400 and "请选择申诉是否成立。" in text(missing)
    no_note = client.post(url, {"upheld": "1"})
    assert no_note.status_code == 400 and "请填写审核意见。" in text(no_note)
    assert client.post(url, {"upheld": "1", "note": "经核实，评价与办件无关。"}).status_code == 302
    rating.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.status == "upheld" and rating.excluded
    page = text(client.get(url))
    assert "经核实，评价与办件无关。" in page and "提交审核结论" not in page


def test_export_csv_and_xlsx(client, world, supervisor):
    w = world
    bad_rating(w)
    sign_in(client, supervisor)
    response = client.get(reverse("ratings:export"), {"format": "csv", "start": "2000-01-01"})
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "评价时间" and len(rows) == 2
    assert rows[1][5] == "1" and rows[1][9] == "*三" and "张三" not in response.content.decode("utf-8-sig")
    today = timezone.localdate()
    xlsx = client.get(reverse("ratings:export"), {"format": "xlsx", "end": f"{today:%Y-%m-%d}"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 2 and sheet.cell(2, 2).value == w["department"].name
    before = client.get(reverse("ratings:export"), {"end": f"{today - dt.timedelta(days=1):%Y-%m-%d}"})
    assert len(list(csv.reader(io.StringIO(before.content.decode("utf-8-sig"))))) == 1


# ---------------------------------------------------------------- public


def test_rankings_page_explains_the_arithmetic(client, world):
    w = world
    second = DepartmentFactory(name="区民政局二")
    services.rate_case(user=w["applicant"], case=concluded_case(w), level=5)
    bad_rating(w)
    Rating.objects.create(department=second, region_code="511602", channel="online", level=5)
    page = text(client.get(reverse("ratings:rankings"), {"region": "511602", "period": "all"}))
    assert page.index("区民政局二") < page.index(w["department"].name)  # 100% before 50%
    assert "满意率 =（非常满意 + 满意 + 基本满意）÷ 评价总数" in page
    assert "差评率 =（不满意 + 非常不满意）÷ 评价总数" in page
    assert "整改率 = 已完成整改的差评 ÷ 差评总数" in page
    assert "50.0%" in page and "100.0%" in page
    region_chain("330106")
    elsewhere = text(client.get(reverse("ratings:rankings"), {"region": "330106", "period": "all"}))
    assert w["department"].name not in elsewhere and "该范围和周期内还没有评价。" in elsewhere
    odd = text(client.get(reverse("ratings:rankings"), {"region": "abc", "period": "nonsense"}))
    assert "统计周期“nonsense”无法识别" in odd and "找不到行政区划“abc”" in odd


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026", D(2026, 1, 1), D(2027, 1, 1)),
        ("2026-11", D(2026, 11, 1), D(2026, 12, 1)),
        ("2026-12", D(2026, 12, 1), D(2027, 1, 1)),
        ("2026-q4", D(2026, 10, 1), D(2027, 1, 1)),
        ("all", None, None),
    ],
)
def test_periods(value, start, end):
    period = views.parse_period(value, D(2026, 11, 20))
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("value", ["2026-13", "2026-Q5", "26", "last"])
def test_unreadable_periods(value):
    assert views.parse_period(value, D(2026, 11, 20)) is None


def test_department_page_shows_figures_and_masked_comments(client, world):
    w = world
    page = text(client.get(reverse("web:department", args=[w["department"].pk])))
    assert "好差评" in page and "暂无评价。" in page
    services.rate_case(user=w["applicant"], case=concluded_case(w), level=5, comment="很快就办好了")
    bad_rating(w)
    caches["default"].clear()  # public pages may be served from the page cache for a while
    page = text(client.get(reverse("web:department", args=[w["department"].pk])))
    figures = page[page.index('class="rating-figures"') :]
    assert "50.0%" in figures and "0.0%" in figures  # satisfaction and bad rate 50%, rectification 0%
    assert "很快就办好了" in page and "*三" in page and "张三" not in page
    assert reverse("ratings:rankings") + "?region=511602" in page


def test_guide_shows_the_items_rating(client, world):
    w = world
    url = reverse("web:item", args=[w["item"].code])
    assert "暂无评价" in text(client.get(url))
    services.rate_case(user=w["applicant"], case=concluded_case(w), level=5)
    services.rate_case(user=w["applicant"], case=concluded_case(w), level=4)
    caches["default"].clear()  # public pages may be served from the page cache for a while
    page = text(client.get(url))
    assert "满意率 100.0%（2 条评价，平均 4.50 / 5）" in page


def test_staff_home_links_to_ratings(client, world):
    sign_in(client, world["intake"])
    assert reverse("ratings:staff_tasks") in text(client.get(reverse("identity:staff_home")))


def test_a_second_citizen_is_not_offered_the_rating(client, world):
    case = concluded_case(world)
    stranger = citizen("王五")
    sign_in(client, stranger)
    assert client.get(reverse("cases:my_case", args=[case.number])).status_code == 404


def test_the_department_reveals_the_raters_number_with_one_logged_action(client, world):
    w = world
    rect = bad_rating(w).rectification
    url = reverse("ratings:staff_task", args=[rect.pk])
    sign_in(client, w["reviewer"])
    before = DataAccessLog.objects.count()
    assert (
        client.get(url).status_code == 200 and DataAccessLog.objects.count() == before
    )  # a look logs nothing
    page = text(client.post(url, {"action": "reveal"}))
    assert f'href="tel:{w["applicant"].mobile}"' in page and "查看完整号码（用于回访）" not in page
    log = DataAccessLog.objects.latest("id")
    assert DataAccessLog.objects.count() == before + 1
    assert log.accessor == w["reviewer"] and log.purpose == "差评回访：致电评价人"
    assert log.fields == ["手机号码"] and log.case_number == rect.rating.case.number
    assert w["applicant"].mobile not in text(client.get(url))  # shown for that answer only


def test_a_supervisor_cannot_reveal_the_raters_number(client, world, supervisor):
    rect = bad_rating(world).rectification
    url = reverse("ratings:staff_task", args=[rect.pk])
    sign_in(client, supervisor)
    before = DataAccessLog.objects.count()
    assert "查看完整号码" not in text(client.get(url))
    refused = client.post(url, {"action": "reveal"})
    assert refused.status_code == 404 and world["applicant"].mobile not in text(refused)
    assert DataAccessLog.objects.count() == before
