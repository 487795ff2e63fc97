"""定期通报: periods, building the PDF and XLSX from the rollups, who is told, who may see and
download, the tick duty; and the public 办件公示 with small cells suppressed."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.cases.audit_last import check_audit_last, transactions
from tests.cases.conftest import citizen
from tests.factories import login_verified
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.models import AuditEntry
from tongban.notifications.models import Delivery, Notification
from tongban.supervision import rollups
from tongban.supervision.reports import periods, publicity, services
from tongban.supervision.reports.models import Report
from tongban.supervision.selectors import add_months

from ..conftest import grant, submit

pytestmark = pytest.mark.django_db


def _this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


@pytest.fixture
def filled(world):
    """Six cases of 审批局 (five concluded), two of 民政局, one in the other county."""
    staff, applicant = world["staff"], world["applicant"]
    for _ in range(5):
        grant(submit(world["item"], applicant), staff)
    submit(world["item"], applicant)
    grant(submit(world["online_item"], applicant), world["second_staff"])
    submit(world["online_item"], applicant)
    submit(world["far_item"], citizen("赵六"))
    rollups.drain()
    world["supervisor"].email = "jiancha@example.org"
    world["supervisor"].save(update_fields=["email"])
    return world


# ------------------------------------------------------------------ periods


def test_periods_parse_months_and_quarters():
    today = dt.date(2026, 12, 3)
    assert periods.parse("month", "2026-11", today) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert periods.parse("quarter", "2026-Q4", today) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert periods.parse("quarter", "2026q1", today) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("month", "2026/11", "月份格式应为"),
        ("month", "2026-13", "月份格式应为"),
        ("quarter", "2026-Q5", "季度格式应为"),
        ("month", "2027-01", "尚未开始"),
        ("week", "2026-11", "通报类型只能是"),
    ],
)
def test_bad_periods_get_a_chinese_error(kind, text, message):
    with pytest.raises(InvalidInput, match=message):
        periods.parse(kind, text, dt.date(2026, 12, 3))


# ------------------------------------------------------------------ building and telling


def test_city_report_is_built_from_the_rollups_and_the_supervisors_are_told(filled):
    report = services.request_report(
        actor=filled["supervisor"], region_code="5116", kind="month", period=_this_month()
    )
    assert report.status == Report.Status.QUEUED
    assert services.build_report(report.pk) == "ready"
    report.refresh_from_db()
    assert report.status == Report.Status.READY and report.generated_at
    totals = report.figures["totals"]
    assert totals["received"] == 9 and totals["concluded"] == 6
    names = [d["name"] for d in report.figures["departments"]]
    assert names[0] == "广安区行政审批局" and "岳池县行政审批局" in names
    assert report.figures["trend"][-1]["received"] == 9
    pdf = report.pdf.open("rb").read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "广安市" in text and "政务服务" in text and "总体指标" in text
    assert "近 12 个月收件与办结" in text and "各部门承诺时限内办结率" in text  # the charts' captions
    book = load_workbook(io.BytesIO(report.xlsx.open("rb").read()))
    assert book.sheetnames == ["总体指标", "部门", "承诺时限办结率最低的事项", "近12个月"]
    assert book["总体指标"]["B3"].value == 9  # 收件
    # The city supervisor hears of it (inbox and email); the other county's does not.
    assert Notification.objects.filter(user=filled["supervisor"], event="report_ready").count() == 1
    assert Delivery.objects.filter(user=filled["supervisor"], channel="email").count() == 1
    assert not Notification.objects.filter(user=filled["far_supervisor"], event="report_ready").exists()
    assert report.mailed_to == 1
    actions = list(
        AuditEntry.objects.filter(object_type="supervision_reports.report").values_list("action", flat=True)
    )
    assert sorted(actions) == ["report.generated", "report.requested"]
    # A second run of the same task changes nothing and tells nobody again.
    assert services.build_report(report.pk) == "skipped"
    assert Notification.objects.filter(event="report_ready").count() == 1


def test_requests_out_of_scope_or_malformed_change_nothing(filled):
    with pytest.raises(PermissionDenied):
        services.request_report(
            actor=filled["far_supervisor"], region_code="5116", kind="month", period=_this_month()
        )
    with pytest.raises(PermissionDenied):
        services.request_report(
            actor=filled["staff"], region_code="511602", kind="month", period=_this_month()
        )
    with pytest.raises(InvalidInput, match="月份格式"):
        services.request_report(actor=filled["supervisor"], region_code="5116", kind="month", period="11月")
    assert not Report.objects.exists()
    assert not AuditEntry.objects.filter(action="report.requested").exists()


def test_command_makes_a_report_now(filled):
    call_command("supervision_report", "--region", "511602", "--period", _this_month())
    report = Report.objects.get()
    assert (report.region_code, report.status, report.figures["totals"]["received"]) == ("511602", "ready", 8)
    with pytest.raises(CommandError, match="月份格式"):
        call_command("supervision_report", "--region", "511602", "--period", "bad")


def test_tick_makes_last_periods_reports_on_the_first_working_day(filled, monkeypatch):
    monkeypatch.setattr(services, "is_workday", lambda day: day.day != 1)
    first_of_january = dt.date(2027, 1, 1)
    assert services.due_reports(first_of_january) == 0  # a holiday: nothing yet
    made = services.due_reports(dt.date(2027, 1, 2))
    regions = {"5116", "511621"}  # the supervisors' regions
    assert made == 2 * len(regions)
    assert set(Report.objects.filter(kind="month").values_list("region_code", "period_start")) == {
        (code, dt.date(2026, 12, 1)) for code in regions
    }
    assert set(Report.objects.filter(kind="quarter").values_list("period_start", flat=True)) == {
        dt.date(2026, 10, 1)
    }
    assert services.due_reports(dt.date(2027, 1, 3)) == 0  # made once


# ------------------------------------------------------------------ pages


def test_supervisor_generates_lists_and_downloads(client, filled):
    login_verified(client, filled["supervisor"])
    page = client.get("/staff/supervision/reports/")
    assert page.status_code == 200 and "生成本月通报" in page.content.decode()
    response = client.post(
        "/staff/supervision/reports/generate/", {"kind": "month", "period": _this_month(), "region": "5116"}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    services.build_report(report.pk)
    listing = client.get("/staff/supervision/reports/").content.decode()
    assert "广安市" in listing and f"/staff/supervision/reports/{report.pk}/report.pdf" in listing
    pdf = client.get(f"/staff/supervision/reports/{report.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(f"/staff/supervision/reports/{report.pk}/report.xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    assert client.get(f"/staff/supervision/reports/{report.pk}/report.exe").status_code == 404
    detail = client.get(f"/staff/supervision/reports/{report.pk}/").content.decode()
    assert "总体指标" in detail and "下载 PDF" in detail


def test_bad_period_from_the_page_gives_a_chinese_error(client, filled):
    login_verified(client, filled["supervisor"])
    response = client.post(
        "/staff/supervision/reports/generate/",
        {"kind": "quarter", "period": "2026-11", "region": "5116"},
        follow=True,
    )
    assert "季度格式应为" in response.content.decode()
    assert not Report.objects.exists()


def test_other_regions_supervisor_and_outsiders_cannot_see_or_download(client, filled):
    report = services.make_report("5116", "month", _this_month())
    pdf_url = f"/staff/supervision/reports/{report.pk}/report.pdf"
    # Anonymous: sent to the staff login, for the list and the file alike.
    for url in ("/staff/supervision/reports/", pdf_url):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    # The other county's supervisor: the city's report does not exist for them.
    login_verified(client, filled["far_supervisor"])
    assert client.get(pdf_url).status_code == 404
    assert client.get(f"/staff/supervision/reports/{report.pk}/").status_code == 404
    assert (
        f"/staff/supervision/reports/{report.pk}/"
        not in client.get("/staff/supervision/reports/").content.decode()
    )
    response = client.post(
        "/staff/supervision/reports/generate/", {"kind": "month", "period": _this_month(), "region": "5116"}
    )
    assert response.status_code == 403
    # Processing staff (no 监察 role) are refused the list.
    login_verified(client, filled["staff"])
    assert client.get("/staff/supervision/reports/").status_code == 403
    assert client.get(pdf_url).status_code == 404
    assert Report.objects.count() == 1


def test_public_publicity_page_suppresses_small_cells_and_shows_no_person(client, filled):
    response = client.get("/gongshi/?region=5116")
    assert response.status_code == 200
    html = response.content.decode()
    rows = {d["name"]: d for d in publicity.department_figures("5116", timezone.localdate().replace(day=1))}
    assert rows["广安区行政审批局"]["received"] == 6 and rows["广安区行政审批局"]["concluded"] == 5
    assert rows["广安区民政局"]["received"] is None  # two cases: not shown
    assert rows["岳池县行政审批局"]["received"] is None
    assert rows["广安区行政审批局"]["on_time_rate"] == 1.0
    assert "广安区行政审批局" in html and "少于 5 件" in html
    assert filled["applicant"].real_name not in html and "赵六" not in html
    assert "/opendata/audit-anchors/" in html


def test_publicity_shows_nothing_without_the_open_data_rule(client, filled, monkeypatch):
    monkeypatch.setattr(publicity, "_rule", None)
    rows = publicity.department_figures("5116", timezone.localdate().replace(day=1))
    assert rows and all(d["received"] is None and d["on_time_rate"] is None for d in rows)


def test_publicity_bad_month_gets_a_chinese_error(client, filled):
    response = client.get("/gongshi/?month=2026-99")
    assert response.status_code == 400 and "月份格式应为" in response.content.decode()
    future = add_months(timezone.localdate(), 2)
    assert "只能查看已经开始的月份" in client.get(f"/gongshi/?month={future:%Y-%m}").content.decode()


def test_audit_append_is_the_last_write_of_requesting_and_building(filled):
    with transactions() as found:
        report = services.request_report(
            actor=filled["supervisor"], region_code="511602", kind="month", period=_this_month()
        )
    check_audit_last(found)
    with transactions() as found:
        assert services.build_report(report.pk) == "ready"
    check_audit_last(found)
