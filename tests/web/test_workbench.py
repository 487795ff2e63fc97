# ruff: noqa: F811  (the world fixture is imported from tests.cases.conftest)
"""工作台 (/staff/): links by role, the staff header, the own department's figures only, and the
supervisor's region overview with the department list as a secondary page."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.cases.conftest import citizen, fill, pdf_upload, staff, world  # noqa: F401  (fixture)
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified, region_chain
from tongban.cases import clock, services
from tongban.cases.models import Case
from tongban.ratings.models import Rating
from tongban.web import figures

STAFF_HEADER = "政务服务工作人员工作台"


def text(response) -> str:
    return response.content.decode()


def header(body: str) -> str:
    return re.search(r"<header.*?</header>", body, re.S).group(0)


def submit(world, item=None, applicant=None) -> Case:
    item = item or world["item"]
    applicant = applicant or world["applicant"]
    application = services.start_application(user=applicant, item=item)
    services.save_draft(user=applicant, application=application, data=fill(application), step=2)
    for material in item.materials.all():
        services.attach_file(
            user=applicant, application=application, requirement=material, upload=pdf_upload()
        )
    return services.submit_application(user=applicant, application=application)


def make_red(case: Case) -> None:
    today = clock.today()
    Case.objects.filter(pk=case.pk).update(
        due_date=today - dt.timedelta(days=3), warn_date=today - dt.timedelta(days=6)
    )


def make_yellow(case: Case) -> None:
    today = clock.today()
    Case.objects.filter(pk=case.pk).update(due_date=today + dt.timedelta(days=1), warn_date=today)


@pytest.fixture
def cases(world):
    red, yellow, plain = submit(world), submit(world), submit(world)
    make_red(red)
    make_yellow(yellow)
    Rating.objects.create(
        case=None, department=world["department"], region_code="511602", channel="window", level=5
    )
    Rating.objects.create(
        case=None, department=world["department"], region_code="511602", channel="window", level=1
    )
    return {"red": red, "yellow": yellow, "plain": plain}


def test_anonymous_is_sent_to_staff_login_and_a_citizen_gets_404(client, world):
    response = client.get(reverse("identity:staff_home"))
    assert response.status_code == 302 and reverse("identity:staff_login") in response["Location"]
    client.force_login(world["applicant"])
    assert client.get(reverse("identity:staff_home")).status_code == 404
    assert client.get(reverse("web:staff_departments")).status_code == 404


def test_intake_clerk_gets_queue_window_ratings_and_own_figures(client, world, cases):
    login_verified(client, world["intake"])
    body = text(client.get(reverse("identity:staff_home")))
    for name in ("cases:staff_queue", "cases:window", "ratings:staff_tasks", "identity:in_person_verify"):
        assert reverse(name) in body
    assert "本部门数据 · 区行政审批局" in body
    figures_html = body[body.index("本部门数据") :]
    assert re.search(r'<span class="figure">3</span> 在办件', figures_html)
    assert re.search(r'<span class="figure">1</span> 超期（红牌）', figures_html)
    assert re.search(r'<span class="figure">1</span> 临近期限（黄牌）', figures_html)
    assert re.search(r'<span class="figure">3.0</span> 平均评分', figures_html)
    assert reverse("admin:index") not in body  # not a platform admin
    assert "辖区总览" not in body


def test_staff_pages_wear_the_staff_header_not_the_citizens(client, world, cases):
    login_verified(client, world["intake"])
    for url in (
        reverse("identity:staff_home"),
        reverse("cases:staff_queue"),
        reverse("cases:window"),
        reverse("cases:staff_case", args=[cases["plain"].number]),
        reverse("ratings:staff_tasks"),
        reverse("identity:in_person_verify"),
    ):
        top = header(text(client.get(url)))
        assert STAFF_HEADER in top and "staff-header" in top, url
        assert "我的办件" not in top and reverse("web:my") not in top, url
        assert reverse("cases:staff_queue") in top and reverse("cases:window") in top


def test_reviewer_gets_no_window_link_and_supervisor_links_stay_hidden(client, world):
    login_verified(client, world["reviewer"])
    body = text(client.get(reverse("identity:staff_home")))
    assert reverse("cases:window") not in body and reverse("cases:staff_queue") in body
    assert reverse("web:staff_departments") not in body
    assert client.get(reverse("web:staff_departments")).status_code == 404


def test_staff_of_another_department_do_not_see_the_figures(client, world, cases):
    login_verified(client, world["outsider"])
    body = text(client.get(reverse("identity:staff_home")))
    assert "区行政审批局" not in body
    assert "本部门数据 · 区民政局" in body
    assert re.search(r'<span class="figure">0</span> 在办件', body)
    assert re.search(r'<span class="figure">0</span> 超期（红牌）', body)


def test_catalogue_admin_sees_the_workspace_section_and_only_platform_admins_the_django_admin(client, db):
    department = DepartmentFactory(name="区事项局")
    catalogue = staff(department, "catalogue")
    login_verified(client, catalogue)
    body = text(client.get(reverse("identity:staff_home")))
    assert "事项管理" in body and reverse("admin:index") not in body
    assert reverse("catalog:workspace") in body and reverse("workflow:process_list") in body
    assert reverse("catalog:workspace") in header(body)
    admin = staff(department, "platform_admin")
    login_verified(client, admin)
    assert reverse("admin:index") in text(client.get(reverse("identity:staff_home")))


@pytest.fixture
def city(world):
    """A city supervisor above the world's district, and a department in another city."""
    supervisor = staff(DepartmentFactory(name="市政务服务管理局", region=region_chain("5116")), "supervisor")
    elsewhere = DepartmentFactory(name="外市审批局", region=region_chain("511702"))
    far_item = PublishedItemFactory(name="外市事项", department=elsewhere, promised_limit=10)
    return {"supervisor": supervisor, "elsewhere": elsewhere, "far_item": far_item}


def test_supervisor_home_starts_from_the_region_overview(client, world, cases, city):
    far = submit(world, item=city["far_item"])
    make_red(far)  # red, but outside the supervisor's city
    login_verified(client, city["supervisor"])
    body = text(client.get(reverse("identity:staff_home")))
    overview = body[body.index("辖区总览") :]
    assert re.search(r'<span class="figure">3</span> 在办件', overview)
    assert re.search(r'<span class="figure">1</span> 超期（红牌）', overview)
    assert re.search(r'<span class="figure">1</span> 临近期限（黄牌）', overview)
    assert re.search(r'<span class="figure">50.0%</span> 好评率', overview)
    assert "区行政审批局：1 件超期" in overview and "外市审批局" not in overview
    assert reverse("ratings:supervision") in overview and reverse("web:staff_departments") in overview
    assert "查看有办件的 1 个部门" in overview
    assert "本部门数据" not in body  # a supervisor's figures are the region's


def test_overview_queries_do_not_grow_with_departments(
    client, world, cases, city, django_assert_max_num_queries
):
    for n in range(30):
        DepartmentFactory(name=f"市属局{n}", region=region_chain("511602"))
    login_verified(client, city["supervisor"])
    with django_assert_max_num_queries(25):
        client.get(reverse("identity:staff_home"))


def test_department_list_is_secondary_filtered_to_departments_with_cases(client, world, cases, city):
    for n in range(25):
        DepartmentFactory(name=f"无件局{n:02d}", region=region_chain("511602"))
    submit(world, item=city["far_item"])
    login_verified(client, city["supervisor"])
    body = text(client.get(reverse("web:staff_departments")))
    assert "区行政审批局" in body and "无件局" not in body and "外市审批局" not in body
    everything = text(client.get(reverse("web:staff_departments") + "?all=1"))
    assert "无件局" in everything and "第 1 / 2 页" in everything and "外市审批局" not in everything
    second = text(client.get(reverse("web:staff_departments") + "?all=1&page=2"))
    assert "无件局" in second


def test_region_overview_is_none_for_non_supervisors(world):
    assert figures.region_overview(world["intake"]) is None
    assert figures.department_figures(world["applicant"]) == []


def test_signed_in_staff_also_get_the_staff_header_on_public_pages(client, world):
    login_verified(client, world["intake"])
    assert STAFF_HEADER in header(text(client.get(reverse("web:home"))))
    client.logout()
    assert STAFF_HEADER not in header(text(client.get(reverse("web:home"))))
    # the staff login page is in the staff area
    assert STAFF_HEADER in header(text(client.get(reverse("identity:staff_login"))))


def test_citizen_unaffected(client, world):
    client.force_login(citizen("王五"))
    top = header(text(client.get(reverse("web:home"))))
    assert STAFF_HEADER not in top and reverse("web:my") in top
