import datetime as dt
import json

import pytest

from tests.certificates.conftest import conclude, make_type, submitted_case
from tongban.cases import services as case_services
from tongban.cases.models import Case
from tongban.certificates import identifiers
from tongban.certificates.models import Certificate, CertificateEvent, CertificateType, add_months
from tongban.certificates.services import issue_for_case, issue_pending


def test_concluding_with_chu_zheng_issues_the_certificate_from_the_case_data(world, issued):
    certificate = issued
    case = certificate.case
    assert certificate.origin == Certificate.Origin.CASE
    assert certificate.holder_user == world["applicant"] and certificate.holder_name == "张三"
    assert certificate.holder_number == world["applicant"].id_number
    assert certificate.fields == {
        "operator": "张三",
        "address": "四川省广安市广安区建设路 1 号",
        "scope": "申请开办餐饮店",
        "case_number": case.number,
    }
    assert identifiers.is_valid(certificate.identifier)
    parsed = identifiers.parse(certificate.identifier)
    assert parsed.issuer_uscc == world["department"].uscc and parsed.version == 1 and parsed.serial == 1
    five_years = add_months(certificate.valid_from, 60) - dt.timedelta(days=1)
    assert certificate.valid_until == five_years
    content = json.loads(certificate.payload)
    assert content["identifier"] == certificate.identifier
    assert content["issuer"] == {"name": world["department"].name, "uscc": world["department"].uscc}
    assert content["verify_url"].endswith(f"/certificates/verify/{certificate.identifier}/")
    assert certificate.events.get().action == CertificateEvent.Action.ISSUED


def test_a_case_issues_at_most_one_certificate_per_type(world, issued):
    again = issue_for_case(issued.case)
    assert [c.pk for c in again] == [issued.pk]
    assert Certificate.objects.count() == 1


def test_an_item_with_two_types_gets_both_with_their_own_serials(
    world, licence_type, django_capture_on_commit_callbacks
):
    make_type(world["department"], world["item"], name="食品经营许可证（副本）", code="11100000000000002")
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    issued = Certificate.objects.filter(case=case).order_by("type__code")
    assert [c.type.code for c in issued] == ["11100000000000001", "11100000000000002"]
    assert len({c.identifier for c in issued}) == 2


def test_other_results_issue_nothing(world, licence_type, django_capture_on_commit_callbacks):
    w = world
    case = submitted_case(w)
    case_services.accept_case(actor=w["intake"], case=case)
    case_services.review_case(actor=w["reviewer"], case=case, opinion="符合")
    case_services.decide_case(actor=w["decider"], case=case, grant=True, reason="符合条件")
    with django_capture_on_commit_callbacks(execute=True):
        case_services.conclude_case(actor=w["issuer"], case=case, result=Case.Result.OTHER)
    assert not Certificate.objects.exists()
    assert issue_for_case(case) == []


def test_a_failed_issue_leaves_the_case_concluded_and_is_retried(
    world, django_capture_on_commit_callbacks, settings
):
    """A required field without data: the case concludes, a retry is queued, the sweep issues later."""
    ctype = make_type(
        world["department"],
        world["item"],
        field_schema={
            "type": "object",
            "properties": {"licence_no": {"title": "许可证编号", "x-source": "data.licence_no"}},
            "required": ["licence_no"],
        },
    )
    from django_tasks_db.models import DBTaskResult

    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    assert case.status == Case.Status.CONCLUDED
    assert not Certificate.objects.exists()
    assert DBTaskResult.objects.filter(task_path__endswith="issue_case_certificates").count() == 1
    # the catalogue admin fixes the type; the periodic sweep issues what is missing
    ctype.field_schema = {
        "type": "object",
        "properties": {"licence_no": {"title": "许可证编号", "x-source": "case.number"}},
    }
    ctype.save()
    assert issue_pending() == 1
    assert Certificate.objects.get().fields == {"licence_no": case.number}
    assert issue_pending() == 0


def test_type_validation_rules(world):
    from django.core.exceptions import ValidationError

    ctype = CertificateType(
        name="x", code="abc", department=world["department"], validity="years", validity_count=0
    )
    with pytest.raises(ValidationError) as exc:
        ctype.full_clean()
    assert {"code", "validity_count"} <= set(exc.value.message_dict)
