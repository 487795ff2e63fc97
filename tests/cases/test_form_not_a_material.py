"""The application form is filled in online, so it is not asked for as an upload online; at the
window it stays a material (printed and signed at the counter)."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from tests.cases.conftest import fill, pdf_upload
from tests.factories import MaterialRequirementFactory
from tongban.cases import services
from tongban.cases.forms import is_application_form
from tongban.cases.models import Application


@pytest.mark.parametrize(
    ("name", "is_form"),
    [
        ("食品经营许可申请表", True),
        ("市场主体登记（备案）申请书", True),
        ("失业保险金申领登记表", True),
        ("出生医学证明自填单", True),
        ("门诊费用报销申请表（县级）", True),
        ("营业执照复印件", False),
        ("申请人居民身份证", False),
        ("与申请事项有关的证明材料", False),
        ("环境影响评价文件或排污许可申请表", False),  # an alternative, not the form itself
    ],
)
def test_which_materials_are_the_application_form(name, is_form):
    assert is_application_form(SimpleNamespace(name=name)) is is_form


@pytest.fixture
def with_form_material(world):
    form = MaterialRequirementFactory(item=world["item"], name="食品经营许可申请表")
    return {**world, "form_material": form}


def test_online_the_form_is_neither_uploaded_nor_missing(client, with_form_material):
    w = with_form_material
    client.force_login(w["applicant"])
    client.post(reverse("cases:apply", args=[w["item"].code]))
    application = Application.objects.get(applicant=w["applicant"])
    services.save_draft(user=w["applicant"], application=application, data=fill(application), step=2)
    page = client.get(reverse("cases:apply_materials", args=[application.public_id])).content.decode()
    assert "营业执照复印件" in page and "食品经营许可申请表" not in page
    assert services.missing_materials(application) == [w["material"]]
    services.attach_file(
        user=w["applicant"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    assert services.missing_materials(application) == []
    case = services.submit_application(user=w["applicant"], application=application)
    assert case.number


def test_the_notice_says_the_form_is_filled_in_online(client, with_form_material):
    w = with_form_material
    client.force_login(w["applicant"])
    page = client.get(reverse("cases:apply", args=[w["item"].code])).content.decode()
    assert "食品经营许可申请表" in page
    assert "网上办理时在下一步在线填写，无需另行上传" in page
    assert page.count("无需另行上传") == 1  # only beside the form, not beside 营业执照复印件


def test_at_the_window_the_form_stays_a_material(with_form_material):
    w = with_form_material
    application = services.start_window_application(
        staff=w["intake"], item=w["item"], applicant=w["applicant"]
    )
    assert set(services.missing_materials(application)) == {w["material"], w["form_material"]}
