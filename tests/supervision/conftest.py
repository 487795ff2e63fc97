"""A small world for 电子监察: a county department with every role in a city, a second county,
a supervisor of the city and one of the other county, driven through the real services."""

import pytest

from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, region_chain
from tongban.cases import services
from tongban.catalog.models import OnlineDepth


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def world(db):
    city = region_chain("511600", "广安市")
    county = region_chain("511602", "广安区")
    other_county = region_chain("511621", "岳池县")
    department = DepartmentFactory(name="广安区行政审批局", region=county)
    second = DepartmentFactory(name="广安区民政局", region=county)
    far = DepartmentFactory(name="岳池县行政审批局", region=other_county)
    city_office = DepartmentFactory(name="广安市监察办", region=city)
    item = PublishedItemFactory(
        name="食品经营许可", department=department, legal_limit=20, promised_limit=10, visits_required=1
    )
    online_item = PublishedItemFactory(
        name="社会救助申请",
        department=second,
        legal_limit=20,
        promised_limit=5,
        visits_required=0,
        online_depth=OnlineDepth.IV,
    )
    far_item = PublishedItemFactory(
        name="岳池食品经营许可", department=far, legal_limit=20, promised_limit=10
    )
    for each in (item, online_item, far_item):
        MaterialRequirementFactory(item=each, name="营业执照复印件")
    roles = ("intake", "review", "decide", "issue")
    return {
        "city": city,
        "county": county,
        "department": department,
        "second": second,
        "far": far,
        "item": item,
        "online_item": online_item,
        "far_item": far_item,
        "staff": staff(department, *roles, name="审批员"),
        "second_staff": staff(second, *roles, name="民政员"),
        "far_staff": staff(far, *roles, name="岳池员"),
        "supervisor": staff(city_office, "supervisor", name="市监察"),
        "far_supervisor": staff(far, "supervisor", name="岳池监察"),
        "applicant": citizen("张三"),
    }


def submit(item, applicant, channel: str = "2"):
    """A case through the real services: draft, answers, the one material, submit."""
    application = services.start_application(user=applicant, item=item)
    if channel != "2":
        application.channel = channel
        application.save(update_fields=["channel"])
    services.save_draft(user=applicant, application=application, data=fill(application))
    material = item.materials.first()
    services.attach_file(user=applicant, application=application, requirement=material, upload=pdf_upload())
    return services.submit_application(user=applicant, application=application)


def grant(case, actor):
    """受理 → 审查 → 准予 → 办结 (出证)."""
    case = services.accept_case(actor=actor, case=case)
    case = services.review_case(actor=actor, case=case, opinion="材料齐全。")
    case = services.decide_case(actor=actor, case=case, grant=True, reason="符合法定条件。")
    return services.conclude_case(actor=actor, case=case, result="issued")
