import pytest

from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, region_chain
from tongban.cases import services as cases


@pytest.fixture
def cw(db):
    """Two departments of 广安区, the city's and another county's supervisors, a promised item."""
    department = DepartmentFactory(name="区行政审批局", region=region_chain("511602"))
    other = DepartmentFactory(name="区民政局", region=region_chain("511602"))
    city = DepartmentFactory(name="市政务服务管理局", region=region_chain("5116"))
    elsewhere = DepartmentFactory(name="岳池县行政审批局", region=region_chain("511621"))
    item = PublishedItemFactory(name="食品经营许可", department=department, legal_limit=20, promised_limit=10)
    material = MaterialRequirementFactory(item=item, name="营业执照复印件")
    return {
        "department": department,
        "item": item,
        "material": material,
        "applicant": citizen("张三"),
        "intake": staff(department, "intake", name="受理员"),
        "reviewer": staff(department, "review", name="审查员"),
        "decider": staff(department, "decide", name="决定人"),
        "supervisor": staff(department, "supervisor", name="区监察"),
        "city": staff(city, "supervisor", name="市监察"),
        "elsewhere": staff(elsewhere, "supervisor", name="县监察"),
        "other_decider": staff(other, "decide", "review", name="他局决定人"),
    }


def submit(w, item=None):
    item = item or w["item"]
    application = cases.start_application(user=w["applicant"], item=item)
    cases.save_draft(user=w["applicant"], application=application, data=fill(application), step=1)
    for requirement in cases.missing_materials(application):
        cases.attach_file(
            user=w["applicant"], application=application, requirement=requirement, upload=pdf_upload()
        )
    return cases.submit_application(user=w["applicant"], application=application)


def accepted(w):
    case = submit(w)
    return cases.accept_case(actor=w["intake"], case=case)
