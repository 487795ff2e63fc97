import csv
import io

from openpyxl import load_workbook

from tests.cases.conftest import staff
from tests.factories import DepartmentFactory, login_verified
from tests.ratings.test_ratings import concluded_case
from tongban.ratings.models import Rating


def sign_in(client, user):
    client.logout()
    if user.kind == "staff":
        login_verified(client, user)
    else:
        client.force_login(user)


def test_rate_follow_up_and_public_figures(client, world):
    w = world
    case = concluded_case(w)
    url = f"/api/v1/cases/{case.number}/rating"
    assert client.post(url, {"level": 5}, content_type="application/json").status_code == 401
    sign_in(client, w["other"])
    assert client.post(url, {"level": 5}, content_type="application/json").status_code == 404
    sign_in(client, w["applicant"])
    response = client.post(
        url, {"level": 1, "comment": '=HYPERLINK("x")', "tags": ["等待太久"]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rectification"]["status"] == "open"
    again = client.post(url, {"level": 5}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    bad = client.post(url, {"level": 9}, content_type="application/json")
    assert bad.status_code in (400, 409)
    figures = client.get(f"/api/v1/departments/{w['department'].pk}/ratings").json()
    assert figures["total"] == 1 and figures["bad_rate"] == 1.0
    ranking = client.get("/api/v1/ratings/rankings?region=511602000000").json()
    assert ranking[0]["department"] == w["department"].name
    assert client.get("/api/v1/ratings/rankings?region=abc").status_code == 400


def test_department_follows_up_and_supervisor_exports(client, world):
    w = world
    case = concluded_case(w)
    sign_in(client, w["applicant"])
    client.post(
        f"/api/v1/cases/{case.number}/rating",
        {"level": 2, "comment": "=cmd|x"},
        content_type="application/json",
    )
    rect_id = Rating.objects.get().rectification.pk
    sign_in(client, w["outsider"])
    assert client.get("/api/v1/staff/rectifications").json() == []
    assert (
        client.post(
            f"/api/v1/staff/rectifications/{rect_id}/callback", {"text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    sign_in(client, w["intake"])
    tasks = client.get("/api/v1/staff/rectifications").json()
    assert [t["id"] for t in tasks] == [rect_id]
    assert (
        client.post(
            f"/api/v1/staff/rectifications/{rect_id}/callback",
            {"text": "已回访"},
            content_type="application/json",
        ).json()["status"]
        == "called_back"
    )
    assert (
        client.post(
            f"/api/v1/staff/rectifications/{rect_id}/complete",
            {"text": "已整改"},
            content_type="application/json",
        ).json()["status"]
        == "rectified"
    )
    assert client.get("/api/v1/staff/ratings/export").status_code == 404  # not a supervisor
    supervisor = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor")
    sign_in(client, supervisor)
    response = client.get("/api/v1/staff/ratings/export?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "评价时间" and rows[1][5] == "2" and rows[1][10] == "'=cmd|x"
    response = client.get("/api/v1/staff/ratings/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=7).value == "不满意"
    assert client.get("/api/v1/staff/ratings/export?format=pdf").status_code == 422


def test_window_visit_rating_without_login(client, world):
    from tongban.ratings import services

    visit = services.open_window_visit(clerk=world["intake"], department=world["department"])
    url = f"/api/v1/ratings/visits/{visit.token}"
    assert (
        client.post(url, {"level": 5, "scores": {"attitude": 5}}, content_type="application/json").status_code
        == 201
    )
    assert client.post(url, {"level": 5}, content_type="application/json").status_code == 409
    assert (
        client.post(
            "/api/v1/ratings/visits/00000000-0000-0000-0000-000000000000",
            {"level": 5},
            content_type="application/json",
        ).status_code
        == 404
    )
