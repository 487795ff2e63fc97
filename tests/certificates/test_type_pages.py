"""Certificate and proof types maintained by 事项管理 staff in pages, with a sample preview."""

import pytest

from tests.cases.conftest import citizen, staff
from tests.cases.test_flow import submitted_case
from tests.certificates.conftest import conclude, make_type
from tests.factories import DepartmentFactory, ServiceItemFactory, login_verified
from tongban.certificates import rendering, services
from tongban.certificates.models import CertificateType
from tongban.core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db

FIELDS = [
    services.FieldSpec("operator", "经营者", "holder.name", required=True),
    services.FieldSpec("scope", "经营项目", "data.request", required=True),
    services.FieldSpec("case_number", "办件编号", "case.number"),
]
VALUES = {
    "name": "食品经营许可证",
    "code": "11100000000000001",
    "holder_kind": "person",
    "template": "licence",
    "validity": "years",
    "validity_count": 5,
    "registry_source": "",
    "is_active": True,
}


@pytest.fixture
def admin(world):
    return staff(world["department"], "catalogue", name="事项管理员")


def test_a_type_saved_by_the_admin_issues_on_the_next_case(world, admin, django_capture_on_commit_callbacks):
    ctype = services.save_certificate_type(
        actor=admin, department=world["department"], values=VALUES, fields=FIELDS, items=[world["item"]]
    )
    assert ctype.field_schema["properties"]["scope"] == {
        "type": "string",
        "title": "经营项目",
        "x-source": "data.request",
    }
    assert ctype.field_schema["required"] == ["operator", "scope"]
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    (certificate,) = services.issue_for_case(case)
    assert certificate.type == ctype and certificate.fields["case_number"] == case.number


@pytest.mark.parametrize(
    ("values", "fields", "message"),
    [
        ({"code": "abc"}, FIELDS, "证照类型代码只能由"),
        ({"name": " "}, FIELDS, "请填写证照名称"),
        ({"validity_count": 0}, FIELDS, "请填写有效期长度"),
        ({}, [services.FieldSpec("Bad Key", "x", "data.x")], "标识只能由小写字母"),
        ({}, [services.FieldSpec("x", "x", "somewhere")], "取值来源"),
        ({}, [services.FieldSpec("x", "", "data.x")], "缺少名称"),
        ({}, [services.FieldSpec("x", "甲", "data.x"), services.FieldSpec("x", "乙", "data.y")], "重复"),
        ({}, [services.FieldSpec("addr", "住址", "registry.address")], "只有网上开证明"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_saves_nothing(world, admin, values, fields, message):
    with pytest.raises(InvalidInput) as caught:
        services.save_certificate_type(
            actor=admin, department=world["department"], values=VALUES | values, fields=fields
        )
    assert message in caught.value.message
    assert not CertificateType.objects.exists()


def test_a_proof_type_takes_its_fields_from_the_registry(world, admin):
    proof = services.save_certificate_type(
        actor=admin,
        department=world["department"],
        values=VALUES
        | {"name": "户籍证明", "code": "PROOF01", "template": "proof", "registry_source": "population"},
        fields=[services.FieldSpec("address", "户籍地址", "registry.address", required=True)],
    )
    assert proof.field_schema["properties"]["address"]["x-source"] == "registry.address"
    with pytest.raises(InvalidInput, match="网上开证明的字段只能取自"):
        services.save_certificate_type(
            actor=admin,
            department=world["department"],
            values=VALUES | {"code": "PROOF02", "registry_source": "population"},
            fields=[services.FieldSpec("scope", "经营项目", "data.request")],
        )


def test_a_code_in_use_is_refused(world, admin):
    make_type(world["department"])
    with pytest.raises(InvalidInput, match="已被使用"):
        services.save_certificate_type(
            actor=admin, department=world["department"], values=VALUES, fields=FIELDS
        )


@pytest.mark.parametrize("who", ["citizen", "reviewer", "other_admin"])
def test_only_the_departments_catalogue_admin_may_save(world, who):
    actor = {
        "citizen": lambda: citizen("王五"),
        "reviewer": lambda: world["reviewer"],
        "other_admin": lambda: staff(DepartmentFactory(name="区卫健委"), "catalogue"),
    }[who]()
    with pytest.raises(PermissionDenied):
        services.save_certificate_type(
            actor=actor, department=world["department"], values=VALUES, fields=FIELDS
        )
    assert not CertificateType.objects.exists()


def test_items_of_another_department_are_refused(world, admin):
    foreign = ServiceItemFactory(department=DepartmentFactory(name="区卫健委"))
    with pytest.raises(InvalidInput, match="本部门的事项"):
        services.save_certificate_type(
            actor=admin, department=world["department"], values=VALUES, fields=FIELDS, items=[foreign]
        )
    assert not CertificateType.objects.exists()


def test_the_preview_uses_the_document_template_with_sample_values(world):
    ctype = make_type(world["department"])
    html = rendering.preview_html(ctype)
    assert "食品经营许可证" in html and "样本 · 仅供预览" in html and "（经营项目）" in html
    assert "张三（样本）" in html and world["department"].name in html
    # A sample carries no real identifier or verification address.
    assert "不可核验" in html and "/certificates/verify/" not in html
    assert rendering.preview_pdf(ctype).startswith(b"%PDF")


# --- pages ----------------------------------------------------------------------------------


def post_data(**extra):
    data = {k: v for k, v in VALUES.items() if k != "is_active"} | {"is_active": "on"}
    data |= {
        "field-0-key": "operator",
        "field-0-title": "经营者",
        "field-0-kind": "holder.name",
        "field-0-name": "",
        "field-0-required": "on",
        "field-1-key": "scope",
        "field-1-title": "经营项目",
        "field-1-kind": "data",
        "field-1-name": "request",
        "field-2-key": "",
        "field-2-title": "",
        "field-2-kind": "data",
        "field-2-name": "",
    }
    return data | extra


def test_creating_and_editing_a_type_in_the_page(client, world, admin):
    login_verified(client, admin)
    assert "新建证照类型" in client.get("/staff/certificate-types/").content.decode()
    form = client.get("/staff/certificate-types/new/").content.decode()
    assert world["item"].name in form and 'name="field-0-key"' in form
    response = client.post(
        "/staff/certificate-types/new/",
        post_data(department=world["department"].pk, items=[world["item"].pk]),
    )
    assert response.status_code == 302
    ctype = CertificateType.objects.get()
    assert ctype.field_schema["properties"]["scope"]["x-source"] == "data.request"
    assert ctype.field_schema["required"] == ["operator"]
    assert list(ctype.issued_by_items.all()) == [world["item"]]
    page = client.get(response["Location"]).content.decode()
    assert "版式预览" in page and "申请表字段：request" in page
    response = client.post(f"/staff/certificate-types/{ctype.pk}/", post_data(name="食品经营许可证（新版）"))
    assert response.status_code == 302
    ctype.refresh_from_db()
    assert ctype.name == "食品经营许可证（新版）" and not ctype.issued_by_items.exists()


def test_a_bad_page_post_shows_the_error_and_keeps_the_input(client, world, admin):
    login_verified(client, admin)
    response = client.post("/staff/certificate-types/new/", post_data(**{"field-1-key": "Scope!"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "未保存" in page and "标识只能由小写字母" in page and 'value="Scope!"' in page
    assert not CertificateType.objects.exists()


def test_preview_pages(client, world, admin):
    ctype = make_type(world["department"])
    login_verified(client, admin)
    html = client.get(f"/staff/certificate-types/{ctype.pk}/preview/")
    assert html.status_code == 200 and "样本 · 仅供预览" in html.content.decode()
    policy = html["Content-Security-Policy"]
    assert (
        "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    )
    pdf = client.get(f"/staff/certificate-types/{ctype.pk}/preview.pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )


@pytest.mark.parametrize("who", ["reviewer", "other_admin", "citizen"])
def test_other_people_get_not_found(client, world, who):
    ctype = make_type(world["department"])
    user = {
        "reviewer": lambda: world["reviewer"],
        "other_admin": lambda: staff(DepartmentFactory(name="区卫健委"), "catalogue"),
        "citizen": lambda: citizen("王五"),
    }[who]()
    login_verified(client, user)
    for url in ("", "preview/", "preview.pdf"):
        assert client.get(f"/staff/certificate-types/{ctype.pk}/{url}").status_code == 404
    assert client.post(f"/staff/certificate-types/{ctype.pk}/", post_data(name="改掉")).status_code == 404
    ctype.refresh_from_db()
    assert ctype.name == "食品经营许可证"
