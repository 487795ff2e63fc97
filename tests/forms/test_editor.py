"""The form editor: editing functions, draft services, pages, and the apply flow's use of it."""

import dataclasses
import json

import pytest
from django.urls import reverse

from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified
from tongban.cases import services as cases
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.forms import editing, services
from tongban.forms.models import FormDefinition
from tongban.forms.schema import validate_data

pytestmark = pytest.mark.django_db

KIND = editing.FieldSpec(
    title="申请类型", widget="choice", name="kind", required=True, options=["新办", "变更"]
)
OLD = editing.FieldSpec(
    title="原证号", widget="text", name="old_number", required=True, max_length=20, pattern="^[A-Z0-9]+$"
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop():
    department = DepartmentFactory(name="市场监督管理局")
    item = PublishedItemFactory(name="食品经营许可", department=department)
    return {
        "item": item,
        "admin": staff(department, "catalogue", name="事项管理员"),
        "clerk": staff(department, "intake"),
        "outsider": staff(DepartmentFactory(name="人社局"), "catalogue"),
        "citizen": citizen("张三"),
    }


# -- editing functions


def _base():
    return {
        "type": "object",
        "properties": {"name": {"type": "string", "x-widget": "text", "title": "姓名"}},
    }, {}


def test_add_field_with_validation_and_condition():
    schema, layout = _base()
    schema, layout = editing.put_field(schema, layout, KIND)
    schema, layout = editing.put_field(
        schema, layout, dataclasses.replace(OLD, condition_field="kind", condition_value="变更")
    )
    assert schema["properties"]["old_number"] == {
        "type": "string",
        "x-widget": "text",
        "title": "原证号",
        "maxLength": 20,
        "pattern": "^[A-Z0-9]+$",
    }
    assert layout["conditions"] == {"old_number": {"field": "kind", "equals": "变更"}}
    assert editing.order_of(layout) == ["name", "kind", "old_number"]
    # Condition behaviour: required and validated only while shown.
    assert not validate_data(schema, layout, {"kind": "新办"}).fields.get("old_number")
    errors = validate_data(schema, layout, {"kind": "变更"}).fields
    assert errors["old_number"] == ["请填写“原证号”。"]
    errors = validate_data(schema, layout, {"kind": "变更", "old_number": "abc"}).fields
    assert errors["old_number"] == ["“原证号”的格式不正确。"]
    # The controller cannot be moved after the field it controls, nor removed.
    with pytest.raises(InvalidInput, match="必须排在"):
        editing.move_field(schema, layout, "kind", "down")
    with pytest.raises(InvalidInput, match="显示条件引用"):
        editing.remove_field(schema, layout, "kind")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (editing.FieldSpec(title="", widget="text"), "字段名称"),
        (editing.FieldSpec(title="类型", widget="choice", options=["甲"]), "两个选项"),
        (editing.FieldSpec(title="面积", widget="number", minimum=10, maximum=1), "最小值"),
        (editing.FieldSpec(title="编号", widget="text", pattern="[0-9"), "正则"),
        (editing.FieldSpec(title="编号", widget="text", name="Bad Key"), "字段标识"),
        (editing.FieldSpec(title="编号", widget="text", name="name"), "已有标识"),
        (editing.FieldSpec(title="颜色", widget="colour"), "控件类型"),
    ],
)
def test_bad_field_specs_are_refused(spec, message):
    schema, layout = _base()
    with pytest.raises(InvalidInput, match=message):
        editing.put_field(schema, layout, spec)


def test_move_and_reorder_keep_every_field():
    schema, layout = _base()
    schema, layout = editing.put_field(
        schema, layout, editing.FieldSpec(title="电话", widget="mobile", name="phone")
    )
    schema, layout = editing.put_field(
        schema, layout, editing.FieldSpec(title="住所", widget="address", name="home", section="地址")
    )
    assert [s["title"] for s in layout["sections"]] == ["申请信息", "地址"]
    schema, layout = editing.move_field(schema, layout, "phone", "up")
    assert editing.order_of(layout) == ["phone", "name", "home"]
    schema, layout = editing.move_field(schema, layout, "home", "up")  # across into the step above
    assert [s["title"] for s in layout["sections"]] == ["申请信息"]
    schema, layout = editing.reorder(schema, layout, [["home", "name", "phone"]])
    assert editing.order_of(layout) == ["home", "name", "phone"]
    with pytest.raises(InvalidInput, match="刷新"):
        editing.reorder(schema, layout, [["home", "name"]])


# -- services


@pytest.mark.parametrize("who", ["clerk", "outsider", "citizen"])
def test_only_the_departments_catalogue_staff_edit_forms(shop, who):
    with pytest.raises(PermissionDenied):
        services.change_draft(
            actor=shop[who], item=shop["item"], change=lambda s, lay: editing.put_field(s, lay, KIND)
        )
    with pytest.raises(PermissionDenied):
        services.publish_draft(actor=shop[who], item=shop["item"])
    assert not FormDefinition.objects.filter(item=shop["item"]).exists()


def test_publishing_makes_a_new_version_and_never_changes_the_old(shop):
    item, admin = shop["item"], shop["admin"]
    first = services.save_form_version(
        actor=None, item=item, title="申请表", schema=_base()[0], layout={}, activate=True
    )
    services.change_draft(actor=admin, item=item, change=lambda s, lay: editing.put_field(s, lay, KIND))
    draft = services.current_draft(item)
    assert draft.version == 2 and draft.status == "draft"
    first.refresh_from_db()
    assert list(first.schema["properties"]) == ["name"] and first.status == "active"
    published = services.publish_draft(actor=admin, item=item)
    first.refresh_from_db()
    assert published.pk == draft.pk and published.status == "active" and first.status == "retired"
    # Order lives in the layout (PostgreSQL's jsonb does not keep an object's key order).
    assert set(published.schema["properties"]) == {"name", "kind"}
    assert editing.order_of(published.layout) == ["name", "kind"]
    with pytest.raises(InvalidInput, match="没有待发布"):
        services.publish_draft(actor=admin, item=item)
    # The next change starts a new draft (version 3); version 2 stays as published.
    services.change_draft(actor=admin, item=item, change=lambda s, lay: editing.remove_field(s, lay, "kind"))
    published.refresh_from_db()
    assert "kind" in published.schema["properties"]
    assert services.current_draft(item).version == 3
    services.discard_draft(actor=admin, item=item)
    assert services.current_draft(item) is None


# -- pages and the apply flow


def test_editor_round_trip_reaches_the_next_application(client, shop):
    item, admin = shop["item"], shop["admin"]
    applicant = shop["citizen"]
    before = cases.start_application(user=applicant, item=item)
    login_verified(client, admin)
    editor = reverse("forms:editor", args=[item.pk])
    page = client.get(editor)
    assert page.status_code == 200 and "申请人姓名" in page.content.decode()
    response = client.post(
        reverse("forms:field_new", args=[item.pk]),
        {
            "title": "经营场所面积",
            "widget": "number",
            "required": "on",
            "minimum": "1",
            "maximum": "10000",
            "section": "申请内容",
        },
    )
    assert response.status_code == 302, response.content.decode()
    preview = client.get(reverse("forms:preview", args=[item.pk])).content.decode()
    assert "经营场所面积" in preview and 'inputmode="decimal"' in preview
    # Fields filled from the account look as they do to applicants: a masked sample, not a box.
    assert "已从您的实名信息自动填写" in preview and "11010519491231002X" not in preview
    # Not yet published: a new application still gets the old version.
    assert "经营场所面积" not in str(cases.start_application(user=citizen("李四"), item=item).form.schema)
    response = client.post(reverse("forms:draft", args=[item.pk]), {"action": "publish"}, follow=True)
    assert "之后的申请使用这个版本" in response.content.decode()
    after = cases.start_application(user=citizen("王五"), item=item)
    assert after.form.version > before.form.version
    name = next(n for n, p in after.form.schema["properties"].items() if p["title"] == "经营场所面积")
    assert name in after.form.schema["required"]
    assert after.form.schema["properties"][name]["minimum"] == 1
    # The earlier draft application keeps the version it started with.
    before.refresh_from_db()
    assert "经营场所面积" not in str(before.form.schema)
    client.force_login(after.applicant)
    steps = "".join(
        client.get(reverse("cases:apply_step", args=[after.public_id, n])).content.decode() for n in range(3)
    )
    assert "经营场所面积" in steps


def test_condition_set_in_the_page(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    new = reverse("forms:field_new", args=[item.pk])
    client.post(
        new,
        {
            "title": "申请类型",
            "widget": "choice",
            "options": "新办\n变更",
            "section": "申请内容",
            "name": "kind",
        },
    )
    page = client.get(new).content.decode()
    assert "当“申请类型”为“变更”时" in page
    response = client.post(
        new,
        {"title": "原证号", "widget": "text", "required": "on", "section": "申请内容", "condition": "kind:1"},
    )
    assert response.status_code == 302
    draft = services.current_draft(item)
    name = next(n for n, p in draft.schema["properties"].items() if p["title"] == "原证号")
    assert draft.layout["conditions"][name] == {"field": "kind", "equals": "变更"}
    editor = client.get(reverse("forms:editor", args=[item.pk])).content.decode()
    assert "仅当“申请类型”为“变更”时显示" in editor
    preview = client.get(reverse("forms:preview", args=[item.pk])).content.decode()
    assert "仅当“申请类型”为“变更”时填写" in preview


def test_bad_input_gets_chinese_errors_and_changes_nothing(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    response = client.post(
        reverse("forms:field_new", args=[item.pk]),
        {"title": "类型", "widget": "choice", "options": "只有一个"},
    )
    assert response.status_code == 400
    assert "至少需要两个选项" in response.content.decode()
    assert services.current_draft(item) is None or "类型" not in str(services.current_draft(item).schema)


def test_move_remove_and_drag_reorder_pages(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    client.post(reverse("forms:field_move", args=[item.pk, "mobile"]), {"direction": "up"})
    draft = services.current_draft(item)
    order = editing.order_of(draft.layout)
    assert order.index("mobile") < order.index("applicant_id_number")
    client.post(reverse("forms:field_remove", args=[item.pk, "request"]))
    draft.refresh_from_db()
    assert "request" not in draft.schema["properties"]
    sections = [list(reversed(s["fields"])) for s in draft.layout["sections"]]
    response = client.post(
        reverse("forms:reorder", args=[item.pk]),
        {"order": json.dumps(sections)},
        headers={"Accept": "application/json"},
    )
    assert response.json() == {"ok": True}
    draft.refresh_from_db()
    assert [s["fields"] for s in draft.layout["sections"]] == sections
    bad = client.post(
        reverse("forms:reorder", args=[item.pk]), {"order": "[[1]]"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("who", ["outsider", "clerk"])
def test_editor_pages_are_404_for_others(client, shop, who):
    login_verified(client, shop[who])
    assert client.get(reverse("forms:editor", args=[shop["item"].pk])).status_code == 404
    response = client.post(reverse("forms:draft", args=[shop["item"].pk]), {"action": "publish"})
    assert response.status_code == 404


def test_condition_hides_a_later_steps_field_on_the_apply_page(client, shop):
    """A field whose condition names a field of an earlier step is asked only when it holds."""
    item, admin = shop["item"], shop["admin"]
    choice = dataclasses.replace(KIND, section="申请人信息", required=False)
    services.change_draft(actor=admin, item=item, change=lambda s, lay: editing.put_field(s, lay, choice))
    dependent = dataclasses.replace(OLD, section="申请内容", condition_field="kind", condition_value="变更")
    services.change_draft(actor=admin, item=item, change=lambda s, lay: editing.put_field(s, lay, dependent))
    services.publish_draft(actor=admin, item=item)
    applicant = shop["citizen"]
    client.force_login(applicant)
    pages = {}
    for answer in ("新办", "变更"):
        application = cases.start_application(user=applicant, item=item)
        data = {"kind": answer, "request": "申请调解"}
        cases.save_draft(user=applicant, application=application, data=data, step=0)
        pages[answer] = client.get(
            reverse("cases:apply_step", args=[application.public_id, 1])
        ).content.decode()
    assert "原证号" not in pages["新办"]
    assert "原证号" in pages["变更"]
