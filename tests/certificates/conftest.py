import pytest

from tests.cases import conftest as case_fixtures
from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.cases.test_flow import submitted_case
from tongban.cases import services as case_services
from tongban.cases.models import Case
from tongban.certificates.models import CertificateType
from tongban.certificates.services import issue_for_case

world = case_fixtures.world  # the cases fixture: department, item, applicant and staff

FOOD_LICENCE_SCHEMA = {
    "type": "object",
    "properties": {
        "operator": {"title": "经营者", "x-source": "holder.name"},
        "address": {"title": "经营场所", "x-source": "data.address"},
        "scope": {"title": "经营项目", "x-source": "data.request"},
        "case_number": {"title": "办件编号", "x-source": "case.number"},
    },
    "required": ["operator", "scope"],
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


def make_type(department, item=None, **extra) -> CertificateType:
    values = {
        "name": "食品经营许可证",
        "code": "11100000000000001",
        "department": department,
        "field_schema": FOOD_LICENCE_SCHEMA,
        "validity": CertificateType.Validity.YEARS,
        "validity_count": 5,
    }
    values.update(extra)
    ctype = CertificateType.objects.create(**values)
    if item is not None:
        ctype.issued_by_items.add(item)
    return ctype


def conclude(world, case, capture) -> Case:
    """Take a submitted case through accept, review, decision and 出证, running after-commit hooks."""
    w = world
    case_services.accept_case(actor=w["intake"], case=case)
    case_services.review_case(actor=w["reviewer"], case=case, opinion="材料齐全")
    case_services.decide_case(actor=w["decider"], case=case, grant=True, reason="符合条件")
    with capture(execute=True):
        case_services.conclude_case(actor=w["issuer"], case=case, result=Case.Result.ISSUED)
    case.refresh_from_db()
    return case


@pytest.fixture
def licence_type(world):
    return make_type(world["department"], world["item"])


@pytest.fixture
def issued(world, licence_type, django_capture_on_commit_callbacks):
    """A food licence issued to 张三 by concluding a real case with 出证."""
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    (certificate,) = issue_for_case(case)
    return certificate


__all__ = ["citizen", "conclude", "fill", "make_type", "pdf_upload", "staff", "submitted_case"]
