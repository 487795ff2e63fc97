"""Certificate type pages in the shared authorization table: only 事项管理 staff of the issuing
department (``staff`` holds every role there) may read, change or preview a type."""

from django.urls import reverse

from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test, without_role_test
from tongban.certificates.models import CertificateType


def _type(w: World) -> int:
    ctype, _ = CertificateType.objects.get_or_create(
        code="11100000000000009",
        defaults={
            "name": "食品经营许可证",
            "department": w.department,
            "field_schema": {"properties": {"scope": {"title": "经营项目", "x-source": "data.request"}}},
        },
    )
    return ctype.pk


def _form(w: World) -> dict:
    return {
        "name": "食品经营许可证（新版）",
        "code": "11100000000000009",
        "holder_kind": "person",
        "template": "licence",
        "validity": "none",
        "validity_count": "0",
        "registry_source": "",
        "is_active": "on",
        "field-0-key": "scope",
        "field-0-title": "经营项目",
        "field-0-kind": "data",
        "field-0-name": "request",
    }


ROWS = [
    ObjectURL(
        "page: certificate type",
        "get",
        lambda w: reverse("certificates:type_edit", args=[_type(w)]),
        "staff",
        shows=lambda w: "经营项目",
    ),
    ObjectURL(
        "page: change a certificate type",
        "post",
        lambda w: reverse("certificates:type_edit", args=[_type(w)]),
        "staff",
        data=_form,
    ),
    ObjectURL(
        "page: certificate type preview",
        "get",
        lambda w: reverse("certificates:type_preview", args=[_type(w)]),
        "staff",
        shows=lambda w: "样本",
    ),
    ObjectURL(
        "page: certificate type preview PDF",
        "get",
        lambda w: reverse("certificates:type_preview_pdf", args=[_type(w)]),
        "staff",
        shows=lambda w: b"%PDF",
    ),
]

WITHOUT_ROLE = [("page: change a certificate type", "issuer")]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
