"""The catalogue workspace (事项管理): services' refusals, cross-check errors and pages."""

import pytest
from django.urls import reverse

from tests.cases.conftest import citizen, staff
from tests.factories import (
    DepartmentFactory,
    FAQFactory,
    FeeItemFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
    ServiceItemFactory,
    login_verified,
)
from tongban.catalog import selectors, services
from tongban.catalog.models import ItemChange, MaterialRequirement, ServiceItem
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop():
    department = DepartmentFactory(name="市场监督管理局")
    item = PublishedItemFactory(name="食品经营许可", department=department)
    return {
        "department": department,
        "item": item,
        "admin": staff(department, "catalogue", name="事项管理员"),
        "clerk": staff(department, "intake", name="受理员"),
        "outsider": staff(DepartmentFactory(name="人社局"), "catalogue", name="外单位"),
        "citizen": citizen("张三"),
    }


# -- services: who may write


@pytest.mark.parametrize("who", ["clerk", "outsider", "citizen"])
def test_only_catalogue_staff_of_the_department_edit_child_rows(shop, who):
    item = shop["item"]
    with pytest.raises(PermissionDenied):
        services.save_child(
            actor=shop[who], item=item, kind="materials", data={"name": "身份证", "forms": ["original"]}
        )
    material = MaterialRequirementFactory(item=item)
    with pytest.raises(PermissionDenied):
        services.remove_child(actor=shop[who], item=item, kind="materials", row_id=material.pk)
    with pytest.raises(PermissionDenied):
        services.move_child(actor=shop[who], item=item, kind="materials", row_id=material.pk, direction="up")
    with pytest.raises(PermissionDenied):
        services.update_item(actor=shop[who], item=item, data={"name": "改名"})
    assert MaterialRequirement.objects.filter(item=item).count() == 1
    assert ServiceItem.objects.get(pk=item.pk).name == "食品经营许可"


def test_anonymous_is_refused(shop):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.save_child(
            actor=AnonymousUser(), item=shop["item"], kind="faqs", data={"question": "问", "answer": "答"}
        )


def test_material_added_edited_moved_and_removed_in_place(shop):
    item, admin = shop["item"], shop["admin"]
    first = MaterialRequirementFactory(item=item, name="营业执照", order=1)
    version = item.version
    services.save_child(
        actor=admin, item=item, kind="materials", data={"name": "健康证明", "forms": ["copy"], "copies": 2}
    )
    second = MaterialRequirement.objects.get(item=item, name="健康证明")
    assert second.order == 2
    services.save_child(
        actor=admin, item=item, kind="materials", data={"name": "营业执照副本"}, row_id=first.pk
    )
    first.refresh_from_db()
    assert first.name == "营业执照副本"  # same row: attachments and certificate links keep it
    services.move_child(actor=admin, item=item, kind="materials", row_id=second.pk, direction="up")
    assert list(item.materials.order_by("order").values_list("name", flat=True)) == [
        "健康证明",
        "营业执照副本",
    ]
    services.remove_child(actor=admin, item=item, kind="materials", row_id=first.pk)
    assert list(item.materials.values_list("name", "order")) == [("健康证明", 1)]
    item.refresh_from_db()
    assert item.version == version + 4
    change = ItemChange.objects.filter(item=item, action="update").first()
    assert "materials" in change.changes


def test_row_of_another_item_is_not_found(shop):
    other = MaterialRequirementFactory(item=ServiceItemFactory(department=shop["department"]))
    with pytest.raises(NotFound):
        services.save_child(
            actor=shop["admin"], item=shop["item"], kind="materials", data={"name": "x"}, row_id=other.pk
        )


def test_fee_needs_basis_and_a_charging_item(shop):
    item, admin = shop["item"], shop["admin"]
    with pytest.raises(InvalidInput, match="是否收费"):
        services.save_child(
            actor=admin, item=item, kind="fees", data={"name": "工本费", "standard": "10元", "basis": "依据"}
        )
    services.update_item(actor=admin, item=item, data={"is_charged": True, "fee_basis": "《收费标准》"})
    with pytest.raises(InvalidInput, match="收费依据") as exc:
        services.save_child(
            actor=admin, item=item, kind="fees", data={"name": "工本费", "standard": "10元", "basis": " "}
        )
    assert "basis" in exc.value.errors
    services.save_child(
        actor=admin,
        item=item,
        kind="fees",
        data={"name": "工本费", "standard": "10元", "basis": "《收费标准》"},
    )
    assert item.fees.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"promised_limit": 0, "case_kind": "2"}, "case_kind", "即办件"),
        ({"online_depth": 4, "visits_required": 1}, "visits_required", "到办事现场次数"),
        ({"is_charged": True, "fee_basis": ""}, "fee_basis", "收费依据"),
        ({"consult_phone": "0826-2220001", "complaint_phone": "08262220001"}, "complaint_phone", "投诉电话"),
    ],
)
def test_cross_checks_are_chinese_errors_and_change_nothing(shop, data, field, message):
    item = shop["item"]
    with pytest.raises(InvalidInput) as exc:
        services.update_item(actor=shop["admin"], item=item, data=data)
    assert field in exc.value.errors
    assert message in "".join(exc.value.errors[field])
    assert ServiceItem.objects.get(pk=item.pk).version == item.version


def test_selectors_list_only_own_department_items(shop):
    ServiceItemFactory(name="别人的事项")
    names = set(selectors.workspace_items(shop["admin"]).values_list("name", flat=True))
    assert names == {"食品经营许可"}
    assert not selectors.workspace_items(shop["clerk"]).exists()
    assert not selectors.workspace_items(shop["citizen"]).exists()
    with pytest.raises(NotFound):
        selectors.workspace_item(shop["outsider"], shop["item"].pk)


# -- pages


def test_workspace_lists_searches_and_paginates(client, shop):
    for n in range(22):
        ServiceItemFactory(department=shop["department"], name=f"个体工商户登记{n:02d}")
    login_verified(client, shop["admin"])
    page = client.get(reverse("catalog:workspace"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "共 23 个事项" in text
    assert "下一页" in text
    found = client.get(reverse("catalog:workspace"), {"q": "食品"}).content.decode()
    assert "食品经营许可" in found and "个体工商户登记" not in found
    drafts = client.get(reverse("catalog:workspace"), {"status": "published"}).content.decode()
    assert "共 1 个事项" in drafts


@pytest.mark.parametrize("who", ["clerk", "citizen"])
def test_workspace_is_hidden_from_others(client, shop, who):
    login_verified(client, shop[who]) if who == "clerk" else client.force_login(shop[who])
    assert client.get(reverse("catalog:workspace")).status_code == 404


def test_anonymous_is_sent_to_staff_login(client):
    response = client.get(reverse("catalog:workspace"))
    assert response.status_code == 302
    assert reverse("identity:staff_login") in response["Location"]


def test_other_departments_item_is_404(client, shop):
    login_verified(client, shop["outsider"])
    assert client.get(reverse("catalog:item", args=[shop["item"].pk])).status_code == 404
    response = client.post(reverse("catalog:item_edit", args=[shop["item"].pk]), {"name": "x"})
    assert response.status_code == 404


def test_element_page_shows_cross_check_errors_in_chinese(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    url = reverse("catalog:item_edit", args=[item.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": item.name,
        "item_type": item.item_type,
        "service_objects": ["1"],
        "case_kind": "2",
        "legal_limit": 20,
        "legal_limit_unit": "G",
        "promised_limit": 10,
        "promised_limit_unit": "G",
        "channels": ["1", "2"],
        "consult_phone": "0826-2220001",
        "complaint_phone": "0826-2220001",
        "visits_required": 1,
        "online_depth": 4,
        "result_type": "approval",
        "is_charged": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "“投诉电话”不能与“咨询电话”相同。" in text
    assert "收费事项必须填写“收费依据”。" in text
    assert "“到办事现场次数”必须为 0" in text
    data.update(
        complaint_phone="0826-12345",
        online_depth=3,
        fee_basis="《收费标准》",
        handling_hours="工作日 9:00-17:00",
    )
    response = client.post(url, data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_charged and item.handling_hours == "工作日 9:00-17:00"


def test_material_fee_and_faq_pages(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    response = client.post(
        reverse("catalog:materials_new", args=[item.pk]),
        {
            "name": "身份证",
            "forms": ["original", "copy"],
            "copies": 1,
            "necessity": "required",
            "source": "applicant",
        },
    )
    assert response.status_code == 302
    material = item.materials.get()
    assert material.forms == ["original", "copy"]
    faq = FAQFactory(item=item)
    response = client.post(
        reverse("catalog:faqs_edit", args=[item.pk, faq.pk]),
        {"question": "要多久？", "answer": "10 个工作日。"},
    )
    assert response.status_code == 302
    faq.refresh_from_db()
    assert faq.question == "要多久？"
    page = client.get(reverse("catalog:item", args=[item.pk])).content.decode()
    assert "身份证" in page and "要多久？" in page and "/admin/" not in page
    assert reverse("forms:editor", args=[item.pk]) in page
    assert reverse("workflow:process_detail", args=[item.pk]) in page
    # A fee on an item that does not charge: the page says what to do first.
    response = client.post(
        reverse("catalog:fees_new", args=[item.pk]), {"name": "工本费", "standard": "10元", "basis": "依据"}
    )
    assert response.status_code == 400
    assert "是否收费" in response.content.decode()
    client.post(reverse("catalog:faqs_remove", args=[item.pk, faq.pk]))
    assert not item.faqs.exists()


def test_fee_page_requires_basis(client, shop):
    fee = FeeItemFactory(
        item=ServiceItemFactory(department=shop["department"], is_charged=True, fee_basis="依据")
    )
    login_verified(client, shop["admin"])
    response = client.post(
        reverse("catalog:fees_edit", args=[fee.item.pk, fee.pk]),
        {"name": "工本费", "standard": "10元", "basis": ""},
    )
    assert response.status_code == 400
    assert "收费项目必须填写“收费依据”。" in response.content.decode()


def test_publish_and_withdraw_from_the_item_page(client, shop):
    item = ServiceItemFactory(department=shop["department"])
    login_verified(client, shop["admin"])
    client.post(reverse("catalog:item_status", args=[item.pk]), {"action": "publish"})
    item.refresh_from_db()
    assert item.status == "published"
    response = client.post(
        reverse("catalog:item_status", args=[item.pk]), {"action": "withdraw", "reason": ""}, follow=True
    )
    assert "请填写撤回原因" in response.content.decode()
    client.post(reverse("catalog:item_status", args=[item.pk]), {"action": "withdraw", "reason": "依据废止"})
    item.refresh_from_db()
    assert item.status == "withdrawn"


def test_process_steps_are_edited_and_reordered(client, shop):
    item = shop["item"]
    login_verified(client, shop["admin"])
    for name in ("受理", "审查"):
        response = client.post(
            reverse("catalog:steps_new", args=[item.pk]),
            {"name": name, "description": f"{name}环节", "time_limit": "1个工作日"},
        )
        assert response.status_code == 302
    review = item.steps.get(name="审查")
    client.post(reverse("catalog:steps_move", args=[item.pk, review.pk]), {"direction": "up"})
    assert list(item.steps.order_by("order").values_list("name", flat=True)) == ["审查", "受理"]
    page = client.get(reverse("catalog:item", args=[item.pk])).content.decode()
    assert "审查环节" in page


def test_catalogue_staff_never_reach_the_django_admin(client, shop):
    """The JSON/XML admin pages are for platform administrators only."""
    login_verified(client, shop["admin"])
    for url in ("/admin/", "/admin/catalog/serviceitem/", "/admin/forms/formdefinition/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert "login" in response.get("Location", "login"), url
    assert "/admin/" not in client.get(reverse("catalog:workspace")).content.decode()
