"""Catalogue lifecycle: create, update with history and version, publish, withdraw, permissions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission

from tests.factories import (
    DepartmentFactory,
    MaterialRequirementFactory,
    ServiceItemFactory,
    StaffUserFactory,
    SuperUserFactory,
    UserFactory,
    region_chain,
)
from tongban.catalog import services
from tongban.catalog.models import (
    FAQ,
    FeeItem,
    ItemChange,
    MaterialRequirement,
    ProcessStep,
    ServiceItem,
    Theme,
)
from tongban.core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(region=region_chain("511602"))


@pytest.fixture
def indexed(monkeypatch):
    """Records the ids handed to the search indexer."""
    from tongban.catalog import search

    calls = []
    monkeypatch.setattr(search, "index_items", lambda ids: calls.append(list(ids)))
    return calls


def item_data(department, **overrides):
    data = {
        "code": "511A0077700002-511602000000-000-TEST-1-00",
        "base_code": "511A0077700002",
        "name": "食品经营许可",
        "item_type": "01",
        "service_objects": ["1", "2"],
        "department": department,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "conditions": "有与经营的食品品种、数量相适应的经营场所。",
        "legal_limit": 20,
        "promised_limit": 10,
        "consult_phone": "0826-2220001",
        "complaint_phone": "12315",
        "materials": [
            {"name": "食品经营许可申请书", "forms": ["original", "electronic"], "copies": 1},
            {"name": "营业执照", "forms": ["copy"], "necessity": "optional"},
        ],
        "steps": [{"name": "受理", "time_limit": "1个工作日"}, {"name": "审查"}, {"name": "决定"}],
        "faqs": [{"question": "需要现场核查吗？", "answer": "仅经营场所变化时需要。"}],
    }
    data.update(overrides)
    return data


def editor_with_perm():
    user = StaffUserFactory()
    user.user_permissions.add(Permission.objects.get(codename="change_serviceitem"))
    return get_user_model().objects.get(pk=user.pk)


def test_create_item_writes_elements_history_and_indexes(department, indexed):
    themes = list(Theme.objects.filter(audience="enterprise")[:2])
    item = services.create_item(actor=None, data=item_data(department, themes=themes))
    item.refresh_from_db()
    assert (item.status, item.version, item.region_code) == ("draft", 1, "511602")
    assert item.for_person and item.for_enterprise
    assert [m.name for m in item.materials.all()] == ["食品经营许可申请书", "营业执照"]
    assert [m.order for m in item.materials.all()] == [1, 2]
    assert item.materials.get(name="营业执照").necessity == "optional"
    assert [s.name for s in item.steps.all()] == ["受理", "审查", "决定"]
    assert item.faqs.count() == 1
    assert set(item.themes.all()) == set(themes)
    change = ItemChange.objects.get(item=item)
    assert (change.action, change.actor, change.to_status, change.version) == ("create", "system", "draft", 1)
    assert indexed == [[item.pk]]


def test_create_item_refuses_duplicate_code_unknown_fields_and_missing_department(department):
    services.create_item(actor=None, data=item_data(department))
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=item_data(department, name="另一个"))
    assert info.value.field == "code"
    assert "已存在" in info.value.message
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=item_data(department, code="X-1", colour="red"))
    assert info.value.field == "colour"
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=item_data(None, code="X-2"))
    assert info.value.field == "department"
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=item_data(department, code=" "))
    assert info.value.field == "code"
    with pytest.raises(InvalidInput) as info:
        services.create_item(actor=None, data=item_data(department, code="X-3", materials=[{"title": "x"}]))
    assert info.value.field == "materials"
    assert ServiceItem.objects.count() == 1


def test_update_item_bumps_version_and_records_the_diff(department, indexed):
    item = services.create_item(actor=None, data=item_data(department))
    editor = editor_with_perm()
    updated = services.update_item(
        actor=editor,
        item=item,
        data={
            "promised_limit": 5,
            "legal_basis": "《中华人民共和国食品安全法》第三十五条、《食品经营许可管理办法》",
            "steps": [{"name": "受理"}, {"name": "决定"}],
        },
    )
    assert updated.version == 2
    stored = ServiceItem.objects.get(pk=item.pk)
    assert stored.version == 2
    assert stored.promised_limit == 5
    assert [s.name for s in stored.steps.all()] == ["受理", "决定"]
    assert ProcessStep.objects.filter(item=item).count() == 2
    change = ItemChange.objects.get(item=item, action="update")
    assert change.actor == editor.username
    assert change.version == 2
    assert set(change.changes) == {"promised_limit", "legal_basis", "steps"}
    assert change.changes["promised_limit"] == {"from": 10, "to": 5}
    assert len(change.changes["steps"]["from"]) == 3
    assert indexed[-1] == [item.pk]


def test_update_with_equal_data_changes_nothing(department, indexed):
    item = services.create_item(actor=None, data=item_data(department))
    indexed.clear()
    same = item_data(department)
    services.update_item(actor=None, item=item, data=same)
    assert ServiceItem.objects.get(pk=item.pk).version == 1
    assert ItemChange.objects.filter(item=item).count() == 1
    assert not any(indexed)


def test_update_replaces_children_and_keeps_uploaded_files_of_same_named_materials(department):
    item = ServiceItemFactory(department=department)
    MaterialRequirementFactory(item=item, name="身份证", blank_form="catalog/forms/id.pdf")
    MaterialRequirementFactory(item=item, name="旧材料")
    FeeItem.objects.create(item=item, name="x", standard="1元", basis="依据")
    services.update_item(
        actor=None,
        item=item,
        data={
            "materials": [{"name": "身份证", "forms": ["original"]}, {"name": "新材料"}],
            "is_charged": True,
            "fee_basis": "《收费依据》",
            "fees": [{"name": "工本费", "standard": "10元", "basis": "《收费依据》"}],
            "faqs": [],
        },
    )
    names = list(MaterialRequirement.objects.filter(item=item).values_list("name", "blank_form"))
    assert names == [("身份证", "catalog/forms/id.pdf"), ("新材料", "")]
    assert list(FeeItem.objects.filter(item=item).values_list("name", flat=True)) == ["工本费"]
    assert not FAQ.objects.filter(item=item).exists()


def test_update_code_must_stay_unique_and_department_moves_are_checked(department):
    first = services.create_item(actor=None, data=item_data(department))
    second = services.create_item(actor=None, data=item_data(department, code="OTHER-1"))
    with pytest.raises(InvalidInput) as info:
        services.update_item(actor=None, item=second, data={"code": first.code})
    assert info.value.field == "code"
    other = DepartmentFactory(region=department.region)
    services.update_item(actor=None, item=second, data={"department": other})
    assert ServiceItem.objects.get(pk=second.pk).department == other


def test_lifecycle_publish_withdraw_return_to_draft_with_history(department, indexed):
    item = services.create_item(actor=None, data=item_data(department))
    admin = SuperUserFactory()
    item = services.publish_item(actor=admin, item=item)
    assert item.status == "published"
    assert item.published_at is not None
    item = services.withdraw_item(actor=admin, item=item, reason="法律依据已废止")
    assert item.status == "withdrawn"
    item = services.publish_item(actor=admin, item=item)
    item = services.return_to_draft(actor=admin, item=item)
    assert ServiceItem.objects.get(pk=item.pk).status == "draft"
    history = list(
        ItemChange.objects.filter(item=item).order_by("id").values_list("action", "from_status", "to_status")
    )
    assert history == [
        ("create", "", "draft"),
        ("publish", "draft", "published"),
        ("withdraw", "published", "withdrawn"),
        ("publish", "withdrawn", "published"),
        ("return_to_draft", "published", "draft"),
    ]
    assert ItemChange.objects.get(item=item, action="withdraw").changes == {"reason": "法律依据已废止"}
    assert len(indexed) == 5


def test_lifecycle_refuses_wrong_states_and_missing_reason(department):
    item = services.create_item(actor=None, data=item_data(department))
    with pytest.raises(InvalidInput) as info:
        services.withdraw_item(actor=None, item=item, reason="无")
    assert info.value.code == "invalid_status"
    assert "草稿" in info.value.message
    with pytest.raises(InvalidInput) as info:
        services.return_to_draft(actor=None, item=item)
    assert info.value.code == "invalid_status"
    services.publish_item(actor=None, item=item)
    with pytest.raises(InvalidInput) as info:
        services.publish_item(actor=None, item=item)
    assert info.value.code == "invalid_status"
    with pytest.raises(InvalidInput) as info:
        services.withdraw_item(actor=None, item=item, reason="  ")
    assert info.value.field == "reason"
    assert ServiceItem.objects.get(pk=item.pk).status == "published"
    assert ItemChange.objects.filter(item=item).count() == 2


@pytest.mark.parametrize("who", ["citizen", "staff_without_permission", "anonymous"])
def test_writes_refused_without_permission(department, who):
    actor = {
        "citizen": UserFactory,
        "staff_without_permission": StaffUserFactory,
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(PermissionDenied):
        services.create_item(actor=actor, data=item_data(department))
    assert not ServiceItem.objects.exists()
    item = ServiceItemFactory(department=department)
    with pytest.raises(PermissionDenied):
        services.update_item(actor=actor, item=item, data={"name": "改名"})
    for call in (
        lambda: services.publish_item(actor=actor, item=item),
        lambda: services.withdraw_item(actor=actor, item=item, reason="x"),
        lambda: services.return_to_draft(actor=actor, item=item),
    ):
        with pytest.raises(PermissionDenied):
            call()
    item.refresh_from_db()
    assert (item.name, item.status, item.version) != ("改名", "published", 2)
    assert not ItemChange.objects.filter(item=item).exists()


def test_writes_allowed_with_the_catalogue_permission(department):
    item = services.create_item(actor=editor_with_perm(), data=item_data(department))
    assert ItemChange.objects.get(item=item).actor.startswith("user")


def test_record_change_for_admin_edits(department, indexed):
    item = ServiceItemFactory(department=department)
    assert services.record_change(actor=None, item=item, before=None).action == "create"
    before = services.snapshot(item)
    assert services.record_change(actor=None, item=item, before=before) is None
    ServiceItem.objects.filter(pk=item.pk).update(name="新名称")
    change = services.record_change(actor=None, item=item, before=before)
    assert change.changes["name"] == {"from": item.name, "to": "新名称"}
    assert ServiceItem.objects.get(pk=item.pk).version == 2
