"""Every cross-check of DESIGN §5 (``ServiceItem.check_rules``) rejects its bad case.

Through the service the refusal is ``InvalidInput`` naming the field with the Chinese message,
and nothing is saved; through the model (admin, shell) it is a ``ValidationError``.
"""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import (
    DepartmentFactory,
    ServiceItemFactory,
    SuperUserFactory,
    login_verified,
    region_chain,
)
from tongban.catalog import services
from tongban.catalog.models import ItemChange, ServiceItem
from tongban.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(region=region_chain("511602"))


def base_data(department, **overrides):
    data = {
        "code": "511A0138000000-511602000000-000-TEST-1-00",
        "name": "适龄儿童延缓入学审批",
        "item_type": "01",
        "service_objects": ["1"],
        "department": department,
        "legal_basis": "《中华人民共和国义务教育法》第十一条",
        "case_kind": "2",
        "legal_limit": 20,
        "legal_limit_unit": "G",
        "promised_limit": 10,
        "promised_limit_unit": "G",
        "consult_phone": "0826-2220001",
        "complaint_phone": "0826-12345",
        "channels": ["1", "2"],
    }
    data.update(overrides)
    return data


# (overrides that break one rule, field named, words of the message, overrides that fix it)
CASES = {
    "即办 ⇒ 即办件": (
        {"promised_limit": 0, "case_kind": "2"},
        "case_kind",
        "“办件类型”必须为即办件",
        {"promised_limit": 0, "case_kind": "1"},
    ),
    "即办件 ⇒ 承诺时限 0": (
        {"case_kind": "1", "promised_limit": 5},
        "promised_limit",
        "即办件的“承诺办结时限”应为 0",
        {"case_kind": "1", "promised_limit": 0},
    ),
    "网办深度 Ⅳ ⇒ 零跑动": (
        {"online_depth": 4, "visits_required": 1},
        "visits_required",
        "“到办事现场次数”必须为 0",
        {"online_depth": 4, "visits_required": 0},
    ),
    "收费 ⇒ 收费依据": (
        {"is_charged": True, "fee_basis": "  "},
        "fee_basis",
        "收费事项必须填写“收费依据”",
        {"is_charged": True, "fee_basis": "《不动产登记收费标准》"},
    ),
    "咨询电话 ≠ 投诉电话": (
        {"consult_phone": "0826-2220001", "complaint_phone": "(0826) 222 0001"},
        "complaint_phone",
        "“投诉电话”不能与“咨询电话”相同",
        {"consult_phone": "0826-2220001", "complaint_phone": "12345"},
    ),
    "承诺件须有法定时限": (
        {"legal_limit": 0, "promised_limit": 5, "case_kind": "2"},
        "legal_limit",
        "承诺件必须填写“法定办结时限”",
        {"legal_limit": 20, "promised_limit": 10},
    ),
    "承诺时限不长于法定时限": (
        {"legal_limit": 10, "promised_limit": 15},
        "promised_limit",
        "“承诺办结时限”不能长于“法定办结时限”",
        {"legal_limit": 10, "promised_limit": 10},
    ),
    "事项名称必填": ({"name": " "}, "name", "“事项名称”不能为空", {"name": "事项"}),
    "事项类型为国家编号": (
        {"item_type": "11"},
        "item_type",
        "“事项类型”必须是国家标准编号",
        {"item_type": "20"},
    ),
    "服务对象编号": (
        {"service_objects": ["1", "9"]},
        "service_objects",
        "“服务对象”编号无效：9",
        {"service_objects": ["1", "7"]},
    ),
    "办理渠道编号": ({"channels": ["1", "4"]}, "channels", "“办理渠道”编号无效：4", {"channels": ["1", "3"]}),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_create_rejects_each_bad_case_and_saves_nothing(department, case):
    bad, field, words, _fix = CASES[case]
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=base_data(department, **bad))
    assert info.value.field == field
    assert words in info.value.message
    assert any(words in m for m in info.value.errors[field])
    assert not ServiceItem.objects.exists()
    assert not ItemChange.objects.exists()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_create_accepts_the_corrected_case(department, case):
    _bad, _field, _words, fix = CASES[case]
    item = services.create_item(actor=None, data=base_data(department, **fix))
    assert ServiceItem.objects.filter(pk=item.pk).exists()


def test_department_must_belong_to_the_item_region(department):
    elsewhere = region_chain("330106")
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=base_data(department, region=elsewhere))
    assert info.value.field == "department"
    assert "“实施主体”不属于该事项所在区划" in info.value.message
    # A county department may implement an item registered for its township (region below it).
    township = region_chain("511602001", name="浓洄街道")
    item = services.create_item(actor=None, data=base_data(department, region=township))
    assert item.region_code == "511602001"


@pytest.mark.parametrize("case", ["网办深度 Ⅳ ⇒ 零跑动", "收费 ⇒ 收费依据", "咨询电话 ≠ 投诉电话"])
def test_update_rejects_bad_case_and_keeps_the_stored_item(department, case):
    bad, field, words, _fix = CASES[case]
    item = services.create_item(actor=None, data=base_data(department))
    with pytest.raises(InvalidInput) as info:
        services.update_item(actor=None, item=item, data=bad)
    assert info.value.field == field
    assert words in info.value.message
    stored = ServiceItem.objects.get(pk=item.pk)
    assert stored.version == 1
    assert stored.complaint_phone == "0826-12345"
    assert stored.online_depth == 3
    assert ItemChange.objects.filter(item=item).count() == 1


def test_model_save_enforces_the_rules_for_every_path(department):
    item = ServiceItemFactory(department=department)
    item.online_depth = 4
    item.visits_required = 2
    with pytest.raises(ValidationError) as info:
        item.save()
    assert "visits_required" in info.value.message_dict
    item.refresh_from_db()
    assert item.online_depth == 3


def test_material_and_fee_rules_name_their_row_and_field(department):
    with pytest.raises(InvalidInput) as info:
        services.create_item(
            actor=None,
            data=base_data(
                department, materials=[{"name": "身份证"}, {"name": "户口簿", "forms": ["paper"]}]
            ),
        )
    assert info.value.field == "materials.2.forms"
    assert "“材料形式”无效：paper" in info.value.message
    with pytest.raises(InvalidInput) as info:
        services.create_item(
            actor=None,
            data=base_data(
                department,
                is_charged=True,
                fee_basis="《收费标准》",
                fees=[{"name": "工本费", "standard": "10元", "basis": ""}],
            ),
        )
    assert info.value.field == "fees.1.basis"
    assert "收费项目必须填写“收费依据”" in info.value.message
    with pytest.raises(InvalidInput) as info:
        services.create_item(
            actor=None,
            data=base_data(department, fees=[{"name": "工本费", "standard": "10元", "basis": "《标准》"}]),
        )
    assert info.value.field == "is_charged"
    assert not ServiceItem.objects.exists()


class _FormValues(HTMLParser):
    """The values a browser would post from the admin change form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file", "button"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            default = "on" if attrs.get("type") == "checkbox" else ""
            self.values.setdefault(name, []).append(attrs.get("value") or default)
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += (
                data.lstrip("\n") if not self.values[self._textarea][0] else data
            )


def admin_post_data(client, url, **changes):
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    data = {k: v if len(v) != 1 else v[0] for k, v in parser.values.items()}
    data.update(changes)
    return data


def test_admin_edit_shows_the_chinese_message_and_saves_nothing(client, department):
    item = ServiceItemFactory(department=department)
    login_verified(client, SuperUserFactory())
    url = reverse("admin:catalog_serviceitem_change", args=[item.pk])
    response = client.post(url, admin_post_data(client, url, online_depth="4", visits_required="2"))
    assert response.status_code == 200
    assert "网办深度为Ⅳ级（全程网办）的事项，“到办事现场次数”必须为 0。" in response.content.decode()
    item.refresh_from_db()
    assert (item.online_depth, item.version) == (3, 1)
    assert not ItemChange.objects.filter(item=item).exists()


def test_admin_edit_is_recorded_with_a_new_version(client, department):
    item = ServiceItemFactory(department=department)
    login_verified(client, SuperUserFactory())
    url = reverse("admin:catalog_serviceitem_change", args=[item.pk])
    response = client.post(url, admin_post_data(client, url, online_depth="4", visits_required="0"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.online_depth, item.visits_required, item.version) == (4, 0, 2)
    change = ItemChange.objects.get(item=item)
    assert change.action == "update"
    assert set(change.changes) == {"online_depth", "visits_required"}


def test_admin_actions_run_the_lifecycle(client, department):
    item = ServiceItemFactory(department=department)
    login_verified(client, SuperUserFactory())
    url = reverse("admin:catalog_serviceitem_changelist")
    client.post(url, {"action": "publish", "_selected_action": [item.pk]})
    assert ServiceItem.objects.get(pk=item.pk).status == "published"
    response = client.post(url, {"action": "return_to_draft", "_selected_action": [item.pk]}, follow=True)
    assert ServiceItem.objects.get(pk=item.pk).status == "draft"
    response = client.post(url, {"action": "withdraw", "_selected_action": [item.pk]}, follow=True)
    assert "不能执行该操作" in response.content.decode()
    assert ServiceItem.objects.get(pk=item.pk).status == "draft"
    assert client.get(reverse("admin:catalog_itemchange_changelist")).status_code == 200
    change = ItemChange.objects.filter(item=item).first()
    assert client.post(reverse("admin:catalog_itemchange_delete", args=[change.pk])).status_code == 403


def test_admin_add_with_checkbox_lists_and_material_inline(client, department):
    login_verified(client, SuperUserFactory())
    url = reverse("admin:catalog_serviceitem_add")
    data = admin_post_data(
        client,
        url,
        name="再生育审批",
        code="ADMIN-1",
        item_type="01",
        service_objects=["1"],
        channels=["1", "2"],
        department=str(department.pk),
        region=str(department.region.pk),
        consult_phone="0826-1",
        complaint_phone="0826-2",
        **{
            "materials-TOTAL_FORMS": "1",
            "materials-0-name": "户口簿",
            "materials-0-forms": ["original", "copy"],
            "materials-0-copies": "1",
            "materials-0-order": "1",
            "materials-0-necessity": "required",
            "materials-0-source": "applicant",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item = ServiceItem.objects.get(code="ADMIN-1")
    assert (item.service_objects, item.channels) == (["1"], ["1", "2"])
    assert item.materials.get().forms == ["original", "copy"]
    assert ItemChange.objects.get(item=item).action == "create"
