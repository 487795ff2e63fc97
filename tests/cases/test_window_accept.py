"""一窗受理当场受理: the clerk submits at the counter, the case is accepted at once by the clerk
with the ordinary acceptance (clock, events, audit), and the done page is a printable receipt."""

import pytest
from django.urls import reverse

from tests.cases.conftest import fill, pdf_upload, staff
from tests.factories import DepartmentFactory, login_verified
from tongban.cases import services
from tongban.cases.models import Application, Case
from tongban.core.errors import InvalidInput, PermissionDenied


def window_draft(world, *, with_material: bool = True) -> Application:
    application = services.start_window_application(
        staff=world["intake"], item=world["item"], applicant=world["applicant"]
    )
    services.save_draft(user=world["intake"], application=application, data=fill(application), step=2)
    if with_material:
        services.attach_file(
            user=world["intake"], application=application, requirement=world["material"], upload=pdf_upload()
        )
    application.refresh_from_db()
    return application


def check_url(application) -> str:
    return reverse("cases:apply_check", args=[application.public_id])


def done_url(application) -> str:
    return reverse("cases:apply_done", args=[application.public_id])


def test_accept_now_submits_and_accepts_with_the_ordinary_acceptance(client, world):
    application = window_draft(world)
    login_verified(client, world["intake"])
    page = client.get(check_url(application)).content.decode()
    assert 'value="accept_now"' in page and "提交并当场受理" in page
    response = client.post(check_url(application), {"idempotency_key": "a" * 32, "action": "accept_now"})
    assert response.status_code == 302 and response.url == done_url(application)
    case = Case.objects.get(application=application)
    assert case.status == Case.Status.IN_REVIEW and case.accepted_at is not None
    assert case.promised_due is not None and case.legal_due is not None
    actions = list(case.events.order_by("at", "id").values_list("action", "actor_id"))
    assert [a for a, _ in actions] == ["submit", "accept"]
    assert actions[1][1] == world["intake"].pk  # accepted by the clerk at the counter
    # a second click returns the same accepted case, nothing doubled
    client.post(check_url(application), {"idempotency_key": "a" * 32, "action": "accept_now"})
    assert Case.objects.filter(application=application).count() == 1
    assert case.events.filter(action="accept").count() == 1


def test_the_done_page_is_a_printable_receipt_with_number_and_promised_date(client, world):
    application = window_draft(world)
    case = services.submit_at_window(staff=world["intake"], application=application)
    login_verified(client, world["intake"])
    body = client.get(done_url(application)).content.decode()
    assert "受理回执" in body and "已当场受理" in body
    assert case.number in body
    assert (
        case.promised_due.strftime("%Y年") in body
        and f"{case.promised_due.month}月{case.promised_due.day}日" in body
    )
    assert "承诺办结日期" in body and "营业执照复印件" in body and world["intake"].display_name in body
    assert world["applicant"].id_number not in body  # the ID number is masked on paper
    assert "data-print" in body and "继续窗口受理" in body


def test_receipt_links_the_pdf_receipt(client, world):
    application = window_draft(world)
    case = services.submit_at_window(staff=world["intake"], application=application)
    login_verified(client, world["intake"])
    body = client.get(done_url(application)).content.decode()
    pdf = reverse("case_documents:download", args=[case.number, "receipt"])
    assert pdf in body and "下载回执（PDF）" in body
    response = client.get(pdf)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_plain_window_submit_leaves_the_case_for_intake(client, world):
    application = window_draft(world)
    login_verified(client, world["intake"])
    client.post(check_url(application), {"idempotency_key": "b" * 32})
    case = Case.objects.get(application=application)
    assert case.status == Case.Status.PENDING_INTAKE and case.accepted_at is None
    body = client.get(done_url(application)).content.decode()
    assert "收件回执" in body and "受理回执" not in body


def test_accept_now_refused_while_materials_are_missing(client, world):
    application = window_draft(world, with_material=False)
    login_verified(client, world["intake"])
    response = client.post(check_url(application), {"idempotency_key": "c" * 32, "action": "accept_now"})
    assert response.status_code == 400
    assert not Case.objects.filter(application=application).exists()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_accept_now_is_only_for_window_applications(world):
    online = services.start_application(user=world["applicant"], item=world["item"])
    with pytest.raises(InvalidInput):
        services.submit_at_window(staff=world["intake"], application=online)
    assert not Case.objects.filter(application=online).exists()


def test_accept_now_needs_intake_in_the_items_department(world):
    application = window_draft(world)
    other = staff(DepartmentFactory(name="区教育局"), "intake")
    with pytest.raises(PermissionDenied):
        services.submit_at_window(staff=other, application=application)
    reviewer = world["reviewer"]
    with pytest.raises(PermissionDenied):
        services.submit_at_window(staff=reviewer, application=application)
    assert not Case.objects.filter(application=application).exists()


def test_an_online_applicant_cannot_use_accept_now(client, world):
    application = services.start_application(user=world["applicant"], item=world["item"])
    services.save_draft(user=world["applicant"], application=application, data=fill(application), step=2)
    services.attach_file(
        user=world["applicant"], application=application, requirement=world["material"], upload=pdf_upload()
    )
    client.force_login(world["applicant"])
    assert "accept_now" not in client.get(check_url(application)).content.decode()
    client.post(check_url(application), {"idempotency_key": "d" * 32, "action": "accept_now"})
    case = Case.objects.get(application=application)
    assert case.status == Case.Status.PENDING_INTAKE and case.accepted_at is None
    body = client.get(done_url(application)).content.decode()
    assert "受理回执" not in body
