import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, UserFactory
from tongban.identity.models import StaffMembership

_ids = itertools.count(1)
# Whole files (one blank A4 page; one grey pixel): uploads are parsed and decoded (issue 19).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000053 00000 n \n0000000103 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n167\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)


def make_id_number(serial: int) -> str:
    """Valid GB 11643 number; 511602 exists only from 1998, so birth years start there."""
    body = f"511602{1998 + serial % 8}{1 + serial % 9:02d}{10 + serial % 10:02d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def citizen(name: str = "张三", **extra):
    n = next(_ids)
    return UserFactory(
        username=f"citizen{n}",
        kind="citizen",
        real_name=name,
        id_number=make_id_number(n),
        mobile=f"139{n:08d}",
        real_name_level=2,
        **extra,
    )


def staff(department, *roles, name: str = "工作人员"):
    n = next(_ids)
    user = UserFactory(username=f"staff{n}", kind="staff", real_name=f"{name}{n}")
    for role in roles:
        StaffMembership.objects.create(user=user, department=department, role=role)
    return user


def pdf_upload(name: str = "身份证.pdf", content: bytes = PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def world(db):
    """A department with every processing role, a promised item with one required material."""
    department = DepartmentFactory(name="区行政审批局")
    item = PublishedItemFactory(
        name="食品经营许可",
        department=department,
        legal_limit=20,
        promised_limit=10,
    )
    material = MaterialRequirementFactory(item=item, name="营业执照复印件")
    return {
        "department": department,
        "item": item,
        "material": material,
        "applicant": citizen("张三"),
        "other": citizen("李四"),
        "intake": staff(department, "intake", name="受理员"),
        "reviewer": staff(department, "review", name="审查员"),
        "decider": staff(department, "decide", name="决定人"),
        "issuer": staff(department, "issue", name="制证员"),
        "outsider": staff(DepartmentFactory(name="区民政局"), "intake", "review", "decide", "issue"),
    }


def fill(application):
    """Valid answers for the default form of a person item."""
    return {
        "applicant_name": application.applicant.real_name,
        "applicant_id_number": application.applicant.id_number,
        "mobile": application.applicant.mobile,
        "address": {"region": application.item.region_code, "detail": "建设路 1 号"},
        "request": "申请开办餐饮店",
    }


__all__ = ["PDF", "PNG", "citizen", "fill", "io", "pdf_upload", "staff"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Accounts here are scaffolding; argon2's deliberate slowness is tested in identity."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
