import pytest

from tests.factories import ServiceItemFactory, region_chain
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.forms.models import FormDefinition
from tongban.forms.schema import FormSchemaError, check_definition, clean_data, validate_data
from tongban.forms.selectors import active_form
from tongban.forms.services import activate_form, default_schema_for, save_form_version

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "x-widget": "text", "title": "姓名", "maxLength": 10},
        "id_number": {"type": "string", "x-widget": "id_number", "title": "身份证号码"},
        "uscc": {"type": "string", "x-widget": "uscc", "title": "统一社会信用代码"},
        "mobile": {"type": "string", "x-widget": "mobile", "title": "手机号码"},
        "born": {"type": "string", "x-widget": "date", "title": "出生日期"},
        "area": {"type": "number", "x-widget": "number", "title": "面积", "minimum": 1},
        "kind": {"type": "string", "x-widget": "choice", "title": "类型", "enum": ["新办", "变更"]},
        "old_number": {"type": "string", "x-widget": "text", "title": "原证号"},
        "address": {
            "type": "object",
            "x-widget": "address",
            "title": "住所",
            "properties": {"region": {"type": "string"}, "detail": {"type": "string"}},
        },
        "staff": {
            "type": "array",
            "x-widget": "rows",
            "title": "从业人员",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "x-widget": "text", "title": "姓名"},
                    "id_number": {"type": "string", "x-widget": "id_number", "title": "身份证号码"},
                },
                "required": ["name"],
            },
        },
        "licence": {"type": "string", "x-widget": "file", "title": "原许可证扫描件"},
    },
    "required": ["name", "kind", "old_number"],
}
LAYOUT = {
    "sections": [{"title": "基本信息", "fields": ["name", "id_number", "kind", "old_number"]}],
    "conditions": {"old_number": {"field": "kind", "equals": "变更"}},
}
GOOD_ID = "11010519491231002X"
GOOD_USCC = "91110000600037341L"


def test_definition_is_checked():
    check_definition(SCHEMA, LAYOUT)
    bad = {"type": "object", "properties": {"x": {"type": "string", "x-widget": "colour"}}}
    with pytest.raises(FormSchemaError, match="控件类型"):
        check_definition(bad)
    with pytest.raises(FormSchemaError, match="没有定义"):
        check_definition(SCHEMA, {"sections": [{"title": "s", "fields": ["missing"]}]})
    with pytest.raises(FormSchemaError, match="enum"):
        check_definition(
            {"type": "object", "properties": {"k": {"type": "string", "x-widget": "choice", "title": "k"}}}
        )
    with pytest.raises(FormSchemaError, match="JSON Schema"):
        check_definition({"type": "object", "properties": {"k": {"type": 5}}})


def test_valid_data_passes_and_conditional_field_is_required_only_when_shown():
    region_chain("511602")
    data = {
        "name": "张三",
        "id_number": GOOD_ID,
        "uscc": GOOD_USCC,
        "mobile": "13800138000",
        "born": "1949-12-31",
        "area": 12.5,
        "kind": "新办",
        "address": {"region": "511602000000", "detail": "建设路 1 号"},
        "staff": [{"name": "李四", "id_number": GOOD_ID}],
    }
    assert not validate_data(SCHEMA, LAYOUT, data)
    errors = validate_data(SCHEMA, LAYOUT, {**data, "kind": "变更"})
    assert errors.fields == {"old_number": ["请填写“原证号”。"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "110105194912310021", "不是有效的身份证号码"),
        ("uscc", "91110000600037341X", "不是有效的统一社会信用代码"),
        ("mobile", "1380013800", "11 位手机号码"),
        ("born", "1949-13-01", "应为日期"),
        ("area", 0, "不能小于 1"),
        ("kind", "注销", "请从给定选项中选择"),
        ("name", "一二三四五六七八九十十", "最多 10 个字"),
        ("address", {"region": "999999", "detail": "x"}, "有效的行政区划"),
    ],
)
def test_each_bad_value_gets_its_chinese_message(field, value, message):
    data = {"name": "张三", "kind": "新办", field: value}
    errors = validate_data(SCHEMA, LAYOUT, data)
    assert any(message in m for m in errors.fields[field]), errors.fields


def test_rows_are_checked_per_row():
    data = {
        "name": "张三",
        "kind": "新办",
        "staff": [{"name": "甲", "id_number": "123"}, {"id_number": GOOD_ID}],
    }
    errors = validate_data(SCHEMA, LAYOUT, data)
    assert "staff.0.id_number" in errors.fields
    assert errors.fields["staff.1.name"] == ["请填写“姓名”。"]


def test_partial_validation_skips_required_and_unknown_fields_are_refused():
    assert not validate_data(SCHEMA, LAYOUT, {"mobile": "13800138000"}, partial=True)
    errors = validate_data(SCHEMA, LAYOUT, {"name": "a", "kind": "新办", "hack": 1})
    assert "表单中有未定义的字段。" in errors.fields["__all__"]


def test_clean_data_drops_hidden_and_blank_fields():
    cleaned = clean_data(SCHEMA, LAYOUT, {"name": " 张三 ", "kind": "新办", "old_number": "X1", "mobile": ""})
    assert cleaned == {"name": "张三", "kind": "新办"}


def test_versions_are_kept_and_one_is_active(admin_user):
    item = ServiceItemFactory()
    schema, layout = default_schema_for(item)
    first = save_form_version(
        actor=admin_user, item=item, title="申请表", schema=schema, layout=layout, activate=True
    )
    second = save_form_version(actor=None, item=item, title="申请表（修订）", schema=schema, layout=layout)
    assert (first.version, second.version) == (1, 2)
    assert active_form(item) == first
    activate_form(actor=None, form=second)
    first.refresh_from_db()
    assert first.status == FormDefinition.Status.RETIRED
    assert active_form(item) == second
    assert first.schema == schema  # an old version is never rewritten


def test_bad_definition_and_unauthorised_editor_change_nothing(django_user_model):
    item = ServiceItemFactory()
    with pytest.raises(InvalidInput):
        save_form_version(actor=None, item=item, title="表", schema={"type": "object", "properties": {}})
    nobody = django_user_model.objects.create_user(username="nobody", password="Strong-pass-123")
    schema, layout = default_schema_for(item)
    with pytest.raises(PermissionDenied):
        save_form_version(actor=nobody, item=item, title="表", schema=schema, layout=layout)
    assert not FormDefinition.objects.exists()


def test_enterprise_items_get_enterprise_fields():
    item = ServiceItemFactory(service_objects=["2"])
    schema, layout = default_schema_for(item)
    assert "enterprise_uscc" in schema["required"]
    check_definition(schema, layout)


def test_admin_checks_definitions_and_numbers_versions(staff_admin_client):
    admin_client = staff_admin_client
    import json

    item = ServiceItemFactory()
    data = {
        "item": item.pk,
        "title": "表",
        "schema": json.dumps({"type": "object", "properties": {}}),
        "layout": "{}",
        "status": "draft",
    }
    response = admin_client.post("/admin/forms/formdefinition/add/", data)
    assert response.status_code == 200 and "至少需要一个字段" in response.content.decode()
    schema, layout = default_schema_for(item)
    data.update(schema=json.dumps(schema), layout=json.dumps(layout), status="active")
    assert admin_client.post("/admin/forms/formdefinition/add/", data).status_code == 302
    assert admin_client.post("/admin/forms/formdefinition/add/", data).status_code == 302
    assert list(FormDefinition.objects.filter(item=item).values_list("version", "status")) == [
        (2, "active"),
        (1, "retired"),
    ]
