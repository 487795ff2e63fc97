"""The catalogue workspace's and the form editor's object URLs in the shared authorization table:
only 事项管理 staff of the item's department (``staff`` holds every role there) may read or
change an item's elements, its child rows (materials, steps, fees, FAQs) and its application form."""

import json

from django.forms.models import model_to_dict
from django.urls import reverse

from tests.factories import FAQFactory, FeeItemFactory, MaterialRequirementFactory, ProcessStepFactory
from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test, without_role_test
from tongban.catalog.forms import ELEMENT_FIELDS
from tongban.catalog.models import ServiceItem


def _item(w: World) -> int:
    return w.item.pk


def _elements(w: World) -> dict:
    """The item's elements as the edit page posts them, with the handling hours changed."""
    data = {
        name: value
        for name, value in model_to_dict(w.item, fields=ELEMENT_FIELDS).items()
        if value is not None and value is not False
    }
    return data | {"handling_hours": "工作日 9:00-17:00"}


def _charging(w: World) -> ServiceItem:
    """Fees belong only to an item that charges."""
    ServiceItem.objects.filter(pk=w.item.pk).update(is_charged=True, fee_basis="《收费标准》")
    w.item.refresh_from_db()
    return w.item


def _fee(w: World) -> int:
    return FeeItemFactory(item=_charging(w), name="工本费").pk


def _step(w: World) -> int:
    return ProcessStepFactory(item=w.item, name="受理", order=1).pk


def _second_step(w: World) -> int:
    """A step below the first, so moving it up changes the order."""
    _step(w)
    return ProcessStepFactory(item=w.item, name="审查", order=2).pk


def _faq(w: World) -> int:
    return FAQFactory(item=w.item, question="要多久？", order=1).pk


def _second_faq(w: World) -> int:
    _faq(w)
    return FAQFactory(item=w.item, question="要带什么？", order=2).pk


def _second_material(w: World) -> int:
    w.material.order = 1
    w.material.save(update_fields=["order"])
    return MaterialRequirementFactory(item=w.item, name="身份证", order=2).pk


CATALOGUE = [
    ObjectURL(
        "page: catalogue item",
        "get",
        lambda w: reverse("catalog:item", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: edit an item's elements (form)",
        "get",
        lambda w: reverse("catalog:item_edit", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: edit an item's elements",
        "post",
        lambda w: reverse("catalog:item_edit", args=[_item(w)]),
        "staff",
        data=_elements,
    ),
    ObjectURL(
        "page: withdraw an item",
        "post",
        lambda w: reverse("catalog:item_status", args=[_item(w)]),
        "staff",
        data=lambda w: {"action": "withdraw", "reason": "依据废止"},
    ),
    # Materials
    ObjectURL(
        "page: new material (form)",
        "get",
        lambda w: reverse("catalog:materials_new", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: add a material",
        "post",
        lambda w: reverse("catalog:materials_new", args=[_item(w)]),
        "staff",
        data=lambda w: {
            "name": "身份证",
            "forms": ["original", "copy"],
            "copies": 1,
            "necessity": "required",
            "source": "applicant",
        },
    ),
    ObjectURL(
        "page: material (form)",
        "get",
        lambda w: reverse("catalog:materials_edit", args=[_item(w), w.material.pk]),
        "staff",
        shows=lambda w: w.material.name,
    ),
    ObjectURL(
        "page: change a material",
        "post",
        lambda w: reverse("catalog:materials_edit", args=[_item(w), w.material.pk]),
        "staff",
        data=lambda w: {
            "name": "营业执照副本",
            "forms": ["copy"],
            "copies": 2,
            "necessity": "required",
            "source": "applicant",
        },
    ),
    ObjectURL(
        "page: remove a material",
        "post",
        lambda w: reverse("catalog:materials_remove", args=[_item(w), w.material.pk]),
        "staff",
    ),
    ObjectURL(
        "page: move a material",
        "post",
        lambda w: reverse("catalog:materials_move", args=[_item(w), _second_material(w)]),
        "staff",
        data=lambda w: {"direction": "up"},
    ),
    # Process steps (办理流程)
    ObjectURL(
        "page: new step (form)",
        "get",
        lambda w: reverse("catalog:steps_new", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: add a step",
        "post",
        lambda w: reverse("catalog:steps_new", args=[_item(w)]),
        "staff",
        data=lambda w: {"name": "审查", "description": "审查环节", "time_limit": "1个工作日"},
    ),
    ObjectURL(
        "page: step (form)",
        "get",
        lambda w: reverse("catalog:steps_edit", args=[_item(w), _step(w)]),
        "staff",
        shows=lambda w: "窗口人员核对申请材料。",
    ),
    ObjectURL(
        "page: change a step",
        "post",
        lambda w: reverse("catalog:steps_edit", args=[_item(w), _step(w)]),
        "staff",
        data=lambda w: {"name": "受理", "description": "窗口人员当场核对。", "time_limit": "即时"},
    ),
    ObjectURL(
        "page: remove a step",
        "post",
        lambda w: reverse("catalog:steps_remove", args=[_item(w), _step(w)]),
        "staff",
    ),
    ObjectURL(
        "page: move a step",
        "post",
        lambda w: reverse("catalog:steps_move", args=[_item(w), _second_step(w)]),
        "staff",
        data=lambda w: {"direction": "up"},
    ),
    # Fees
    ObjectURL(
        "page: new fee (form)",
        "get",
        lambda w: reverse("catalog:fees_new", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: add a fee",
        "post",
        lambda w: reverse("catalog:fees_new", args=[_charging(w).pk]),
        "staff",
        data=lambda w: {"name": "工本费", "standard": "10元", "basis": "《收费标准》"},
    ),
    ObjectURL(
        "page: fee (form)",
        "get",
        lambda w: reverse("catalog:fees_edit", args=[_item(w), _fee(w)]),
        "staff",
        shows=lambda w: "10元/件",
    ),
    ObjectURL(
        "page: change a fee",
        "post",
        lambda w: reverse("catalog:fees_edit", args=[_item(w), _fee(w)]),
        "staff",
        data=lambda w: {"name": "工本费", "standard": "20元/件", "basis": "《收费标准》"},
    ),
    ObjectURL(
        "page: remove a fee",
        "post",
        lambda w: reverse("catalog:fees_remove", args=[_item(w), _fee(w)]),
        "staff",
    ),
    # FAQs
    ObjectURL(
        "page: new FAQ (form)",
        "get",
        lambda w: reverse("catalog:faqs_new", args=[_item(w)]),
        "staff",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: add a FAQ",
        "post",
        lambda w: reverse("catalog:faqs_new", args=[_item(w)]),
        "staff",
        data=lambda w: {"question": "可以网上办吗？", "answer": "可以，全程网办。"},
    ),
    ObjectURL(
        "page: FAQ (form)",
        "get",
        lambda w: reverse("catalog:faqs_edit", args=[_item(w), _faq(w)]),
        "staff",
        shows=lambda w: "要多久？",
    ),
    ObjectURL(
        "page: change a FAQ",
        "post",
        lambda w: reverse("catalog:faqs_edit", args=[_item(w), _faq(w)]),
        "staff",
        data=lambda w: {"question": "要多久？", "answer": "10 个工作日。"},
    ),
    ObjectURL(
        "page: remove a FAQ",
        "post",
        lambda w: reverse("catalog:faqs_remove", args=[_item(w), _faq(w)]),
        "staff",
    ),
    ObjectURL(
        "page: move a FAQ",
        "post",
        lambda w: reverse("catalog:faqs_move", args=[_item(w), _second_faq(w)]),
        "staff",
        data=lambda w: {"direction": "up"},
    ),
]

# The application form of ``w.item``: its default fields until a draft or version exists.
FORM_EDITOR = [
    ObjectURL(
        "page: form editor",
        "get",
        lambda w: reverse("forms:editor", args=[_item(w)]),
        "staff",
        shows=lambda w: "申请事项说明",
    ),
    ObjectURL(
        "page: form preview",
        "get",
        lambda w: reverse("forms:preview", args=[_item(w)]),
        "staff",
        shows=lambda w: "申请事项说明",
    ),
    ObjectURL(
        "page: rename the form draft",
        "post",
        lambda w: reverse("forms:draft", args=[_item(w)]),
        "staff",
        data=lambda w: {"action": "rename", "title": "食品经营许可申请书"},
    ),
    ObjectURL(
        "page: reorder the form",
        "post",
        lambda w: reverse("forms:reorder", args=[_item(w)]),
        "staff",
        data=lambda w: {
            "order": json.dumps([["address", "mobile", "applicant_id_number", "applicant_name"], ["request"]])
        },
    ),
    ObjectURL(
        "page: new form field (form)",
        "get",
        lambda w: reverse("forms:field_new", args=[_item(w)]),
        "staff",
        shows=lambda w: "申请内容",
    ),
    ObjectURL(
        "page: add a form field",
        "post",
        lambda w: reverse("forms:field_new", args=[_item(w)]),
        "staff",
        data=lambda w: {"title": "经营场所面积", "widget": "number", "section": "申请内容"},
    ),
    ObjectURL(
        "page: form field (form)",
        "get",
        lambda w: reverse("forms:field_edit", args=[_item(w), "request"]),
        "staff",
        shows=lambda w: "申请事项说明",
    ),
    ObjectURL(
        "page: change a form field",
        "post",
        lambda w: reverse("forms:field_edit", args=[_item(w), "request"]),
        "staff",
        data=lambda w: {
            "title": "申请事项详细说明",
            "widget": "textarea",
            "section": "申请内容",
            "name": "request",
        },
    ),
    ObjectURL(
        "page: remove a form field",
        "post",
        lambda w: reverse("forms:field_remove", args=[_item(w), "request"]),
        "staff",
    ),
    ObjectURL(
        "page: move a form field",
        "post",
        lambda w: reverse("forms:field_move", args=[_item(w), "mobile"]),
        "staff",
        data=lambda w: {"direction": "up"},
    ),
]

ROWS = CATALOGUE + FORM_EDITOR

# Processing roles of the same department do not maintain the catalogue or its forms.
WITHOUT_ROLE = [
    ("page: edit an item's elements", "intake"),
    ("page: withdraw an item", "reviewer"),
    ("page: add a material", "intake"),
    ("page: remove a material", "decider"),
    ("page: move a step", "reviewer"),
    ("page: change a fee", "issuer"),
    ("page: remove a FAQ", "intake"),
    ("page: rename the form draft", "reviewer"),
    ("page: add a form field", "intake"),
    ("page: remove a form field", "decider"),
    ("page: reorder the form", "issuer"),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
