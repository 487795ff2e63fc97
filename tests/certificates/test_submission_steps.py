"""Certificates in the submission path through cases' extension points (``cases.steps``), and
work after a case event always in a task: with the production task settings (nothing runs at
once) a submission renders no PDF and a 出证 conclusion issues nothing in the request; the
worker does both. The test settings run these two tasks at once (``RUN_AT_ONCE``), which the
older tests in this folder rely on."""

import pytest
from django.urls import reverse

from tests.cases.audit_last import check_audit_last, transactions
from tests.certificates.conftest import conclude, fill, submitted_case
from tests.factories import MaterialRequirementFactory, PublishedItemFactory, login_verified
from tests.notifications.conftest import run_tasks
from tongban.cases import services as case_services
from tongban.cases import steps
from tongban.cases.models import Attachment
from tongban.certificates import reuse
from tongban.certificates.models import Certificate, CertificateEvent

RENDER = "tongban.certificates.tasks.render_wallet_attachment"
ISSUE = "tongban.certificates.tasks.issue_case_certificates"


@pytest.fixture
def production_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "tongban.core.taskbackends.DatabaseBackend", "OPTIONS": {"RUN_AT_ONCE": []}}
    }


@pytest.fixture
def renewal(world, licence_type):
    item = PublishedItemFactory(name="食品经营许可延续", department=world["department"])
    material = MaterialRequirementFactory(item=item, name="食品经营许可证")
    licence_type.accepted_for.add(material)
    return item, material


def queued(path):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=path).count()


def test_certificates_register_by_name_and_a_second_registration_is_refused():
    assert steps.material_providers["certificates.wallet"] is reuse.WALLET
    assert steps.submission_steps["certificates.wallet_still_valid"] is reuse.WALLET_STILL_VALID
    before = (list(steps.material_providers), list(steps.submission_steps))
    with pytest.raises(ValueError, match="already registered"):
        steps.material_providers.register(reuse.WALLET)
    with pytest.raises(ValueError, match="already registered"):
        steps.submission_steps.register(
            steps.SubmissionStep(name="certificates.wallet_still_valid", run=lambda *a: None)
        )
    # The refused registrations added nothing (other apps — sharing, decisions — register their own).
    assert (list(steps.material_providers), list(steps.submission_steps)) == before
    assert [p.name for p in steps.material_providers].count("certificates.wallet") == 1


def test_a_new_registry_takes_entries_and_refuses_duplicates():
    registry = steps.Registry("submission step")
    first = registry.register(steps.SubmissionStep(name="x.one", run=lambda *a: None))
    assert registry["x.one"] is first and "x.one" in registry and list(registry) == [first]
    with pytest.raises(ValueError):
        registry.register(steps.SubmissionStep(name="x.one", run=lambda *a: None))
    with pytest.raises(KeyError):
        registry["x.two"]


def test_the_wallet_attachment_is_written_pending_and_the_worker_renders_it(
    client, world, issued, renewal, production_tasks
):
    item, material = renewal
    applicant = world["applicant"]
    application = case_services.start_application(user=applicant, item=item)
    attachment = application.attachments.get(requirement=material, replaced=False)
    assert attachment.certificate_identifier == issued.identifier
    assert not attachment.file and reuse.is_pending(attachment)  # nothing rendered in the request
    assert queued(RENDER) == 1
    assert not issued.events.filter(action=CertificateEvent.Action.ATTACHED).exists()
    assert case_services.missing_materials(application) == []
    case_services.save_draft(user=applicant, application=application, data=fill(application))
    case = case_services.submit_application(user=applicant, application=application)
    # a download before the worker ran gets the PDF rendered for it
    login_verified(client, world["intake"])
    staff_page = client.get(f"/staff/cases/{case.number}/").content.decode()
    assert "电子证照·已核验" in staff_page and "正在生成" in staff_page
    response = client.get(reverse("cases:file", args=[attachment.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:4] == b"%PDF"
    attachment.refresh_from_db()
    assert not attachment.file
    assert run_tasks().count(RENDER) == 1
    attachment.refresh_from_db()
    assert attachment.file.read(4) == b"%PDF" and attachment.size > 0 and len(attachment.sha256) == 64
    assert issued.events.filter(action=CertificateEvent.Action.ATTACHED).count() == 1
    assert "正在生成" not in client.get(f"/staff/cases/{case.number}/").content.decode()
    # the task is idempotent: run again, it finds its work done
    from tongban.certificates.tasks import render_wallet_attachment

    assert render_wallet_attachment.call(attachment.pk) is False
    assert issued.events.filter(action=CertificateEvent.Action.ATTACHED).count() == 1
    assert Attachment.objects.filter(application=case.application, replaced=False).count() == 1


def test_attaching_inside_the_submission_keeps_the_audit_append_last(
    world, issued, renewal, production_tasks
):
    """The wallet step attaches what the draft lacks inside the submission; with the old
    post_save hook the PDF was rendered and the certificate's audited event written there,
    before the case's own writes."""
    item, material = renewal
    application = case_services.start_application(user=world["applicant"], item=item)
    Attachment.objects.filter(application=application).update(replaced=True)
    case_services.save_draft(user=world["applicant"], application=application, data=fill(application))
    with transactions() as found:
        case = case_services.submit_application(user=world["applicant"], application=application)
    check_audit_last(found)
    current = Attachment.objects.get(application=case.application, replaced=False)
    assert current.certificate_identifier == issued.identifier and reuse.is_pending(current)


def test_a_refused_wallet_submission_changes_nothing(world, issued, renewal, production_tasks):
    from tongban.cases.models import Case
    from tongban.certificates import services
    from tongban.core.errors import InvalidInput

    item, material = renewal
    applicant = world["applicant"]
    application = case_services.start_application(user=applicant, item=item)
    case_services.save_draft(user=applicant, application=application, data=fill(application))
    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="违法经营")
    cases_before = Case.objects.count()
    with pytest.raises(InvalidInput, match="电子证照已失效"):
        case_services.submit_application(user=applicant, application=application)
    assert Case.objects.count() == cases_before
    application.refresh_from_db()
    assert application.status == application.Status.DRAFT
    assert application.attachments.get(replaced=False).certificate_identifier == issued.identifier


def test_concluding_with_chu_zheng_queues_the_issuing_for_the_worker(
    world, licence_type, django_capture_on_commit_callbacks, production_tasks
):
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    assert not Certificate.objects.filter(case=case).exists()  # nothing issued in the request
    assert queued(ISSUE) == 1
    assert ISSUE in run_tasks()
    certificate = Certificate.objects.get(case=case)
    issued = certificate.events.get(action=CertificateEvent.Action.ISSUED)
    assert issued.actor == world["issuer"]  # the staff member who concluded, as before
