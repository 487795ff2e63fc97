import pytest

from tests.certificates.conftest import fill, pdf_upload
from tests.factories import MaterialRequirementFactory, PublishedItemFactory, login_verified
from tongban.cases import services as case_services
from tongban.cases.models import Attachment
from tongban.certificates import services
from tongban.certificates.models import CertificateEvent
from tongban.core.errors import InvalidInput


@pytest.fixture
def renewal(world, licence_type):
    """A second item that asks for the food licence as a material, which the licence type stands in for."""
    item = PublishedItemFactory(name="食品经营许可延续", department=world["department"])
    material = MaterialRequirementFactory(item=item, name="食品经营许可证")
    licence_type.accepted_for.add(material)
    return item, material


def test_applying_with_a_wallet_certificate_skips_the_upload_and_records_the_identifier(
    client, world, issued, renewal
):
    item, material = renewal
    applicant = world["applicant"]
    application = case_services.start_application(user=applicant, item=item)
    attachment = application.attachments.get(requirement=material, replaced=False)
    assert attachment.certificate_identifier == issued.identifier
    assert attachment.display_name == "食品经营许可证（电子证照·已核验）.pdf"
    assert attachment.content_type == "application/pdf" and attachment.file.read(4) == b"%PDF"
    assert case_services.missing_materials(application) == []
    # the materials page shows it as provided, the applicant never uploads it
    client.force_login(applicant)
    page = client.get(f"/apply/{application.public_id}/materials/").content.decode()
    assert "食品经营许可证（电子证照·已核验）.pdf" in page
    case_services.save_draft(user=applicant, application=application, data=fill(application))
    case = case_services.submit_application(user=applicant, application=application)
    recorded = Attachment.objects.filter(application=case.application, replaced=False).values_list(
        "certificate_identifier", flat=True
    )
    assert list(recorded) == [issued.identifier]
    assert issued.events.filter(action=CertificateEvent.Action.ATTACHED).count() == 1
    # staff see the material as a verified electronic licence
    login_verified(client, world["intake"])
    staff_page = client.get(f"/staff/cases/{case.number}/").content.decode()
    assert "电子证照·已核验" in staff_page


def test_the_hook_counts_a_held_certificate_even_before_anything_is_attached(world, issued, renewal):
    item, material = renewal
    application = case_services.start_application(user=world["applicant"], item=item)
    Attachment.objects.filter(application=application).update(replaced=True)
    assert case_services.missing_materials(application) == []
    case_services.save_draft(user=world["applicant"], application=application, data=fill(application))
    case = case_services.submit_application(user=world["applicant"], application=application)
    current = Attachment.objects.get(application=case.application, replaced=False)
    assert current.certificate_identifier == issued.identifier  # attached inside the submission


def test_without_a_valid_certificate_the_upload_is_asked_for(world, issued, renewal):
    item, material = renewal
    other = case_services.start_application(user=world["other"], item=item)
    assert not other.attachments.exists()
    assert case_services.missing_materials(other) == [material]
    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="违法经营")
    mine = case_services.start_application(user=world["applicant"], item=item)
    assert case_services.missing_materials(mine) == [material]


def test_a_certificate_revoked_after_attaching_stops_the_submission(world, issued, renewal):
    item, material = renewal
    applicant = world["applicant"]
    application = case_services.start_application(user=applicant, item=item)
    case_services.save_draft(user=applicant, application=application, data=fill(application))
    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="违法经营")
    with pytest.raises(InvalidInput, match="电子证照已失效"):
        case_services.submit_application(user=applicant, application=application)
    assert application.attachments.get(replaced=False).certificate_identifier == issued.identifier
    # uploading a paper copy instead lets the application through
    case_services.attach_file(
        user=applicant, application=application, requirement=material, upload=pdf_upload()
    )
    case = case_services.submit_application(user=applicant, application=application)
    assert Attachment.objects.get(application=case.application, replaced=False).certificate_identifier == ""
