"""一表申请: forms merged by the fields' x-semantic keys, and split back per item."""

import pytest

from tests.factories import PublishedItemFactory
from tongban.forms.models import FormDefinition
from tongban.forms.schema import validate_data
from tongban.forms.selectors import merged_form
from tongban.forms.services import default_schema_for

pytestmark = pytest.mark.django_db


def text(title, semantic="", **extra):
    prop = {"type": "string", "x-widget": "text", "title": title, **extra}
    if semantic:
        prop["x-semantic"] = semantic
    return prop


def form(name, properties, sections, required=(), conditions=None):
    item = PublishedItemFactory(name=name)
    layout = {"sections": sections}
    if conditions:
        layout["conditions"] = conditions
    return FormDefinition.objects.create(
        item=item,
        version=1,
        title=f"{name}申请表",
        schema={"type": "object", "properties": properties, "required": list(required)},
        layout=layout,
        status=FormDefinition.Status.ACTIVE,
    )


@pytest.fixture
def three():
    licence = form(
        "个体工商户设立登记",
        {"applicant_name": text("经营者姓名", "applicant.name"), "shop_name": text("字号")},
        [{"title": "经营者", "fields": ["applicant_name", "shop_name"]}],
        required=["applicant_name"],
    )
    food = form(
        "食品经营许可",
        {
            "operator": text("经营者", "applicant.name", **{"x-prefill": "person.name"}),
            "shop_name": text("店名"),
            "has_cold": {"type": "string", "x-widget": "choice", "title": "冷食", "enum": ["是", "否"]},
            "cold_area": text("冷食间面积"),
        },
        [
            {"title": "基本信息", "fields": ["operator", "shop_name"]},
            {"title": "经营项目", "fields": ["has_cold", "cold_area"]},
        ],
        required=["operator", "shop_name"],
        conditions={"cold_area": {"field": "has_cold", "equals": "是"}},
    )
    tax = form(
        "税务登记",
        {"name": text("纳税人姓名", "applicant.name"), "bank": text("开户银行")},
        [{"title": "纳税人", "fields": ["name", "bank"]}],
    )
    return [licence, food, tax]


def test_a_field_asked_by_three_items_is_asked_once_and_reaches_all_three(three):
    licence, food, tax = three
    merged = merged_form(three)
    names = [p.get("x-semantic") for p in merged.schema["properties"].values()]
    assert names.count("applicant.name") == 1
    assert merged.sources["applicant_name"] == [
        (licence.item_id, "applicant_name"),
        (food.item_id, "operator"),
        (tax.item_id, "name"),
    ]
    # placed where the first form asks it, with a prefill source taken from a later form
    assert merged.layout["sections"][0] == {"title": "经营者", "fields": ["applicant_name", "shop_name"]}
    assert merged.schema["properties"]["applicant_name"]["x-prefill"] == "person.name"
    parts = merged.split(
        {"applicant_name": "张三", "shop_name": "张记", f"shop_name_{food.item_id}": "张记面馆"}
    )
    assert parts[licence.item_id] == {"applicant_name": "张三", "shop_name": "张记"}
    assert parts[food.item_id] == {"operator": "张三", "shop_name": "张记面馆"}
    assert parts[tax.item_id] == {"name": "张三"}
    assert merged.field_count == 6  # name once, two shop names, cold food, its area, bank
    assert merged.separate_field_count == 8


def test_same_names_without_a_semantic_key_stay_separate_questions(three):
    licence, food, _tax = three
    merged = merged_form(three)
    assert "shop_name" in merged.schema["properties"]
    assert f"shop_name_{food.item_id}" in merged.schema["properties"]
    assert merged.names_for(food.item_id)["shop_name"] == f"shop_name_{food.item_id}"


def test_required_conditions_and_section_titles_follow_the_items(three):
    _licence, food, tax = three
    merged = merged_form(three)
    assert merged.schema["required"] == ["applicant_name", f"shop_name_{food.item_id}"]
    assert merged.layout["conditions"] == {"cold_area": {"field": "has_cold", "equals": "是"}}
    titles = [s["title"] for s in merged.layout["sections"]]
    assert titles == ["经营者", "食品经营许可：基本信息", "食品经营许可：经营项目", "税务登记：纳税人"]
    # the merged form validates like any form: the shared required field is asked once
    errors = validate_data(merged.schema, merged.layout, {f"shop_name_{food.item_id}": "面馆"})
    assert list(errors.fields) == ["applicant_name"]


def test_join_is_the_inverse_of_split(three):
    merged = merged_form(three)
    data = {"applicant_name": "李四", "bank": "农业银行"}
    assert merged.join(merged.split(data)) == data


def test_default_forms_share_the_applicant_and_enterprise_fields():
    person = PublishedItemFactory(service_objects=["1"])
    firms = [PublishedItemFactory(service_objects=["2"]) for _ in range(2)]
    forms = []
    for item in [person, *firms]:
        schema, layout = default_schema_for(item)
        forms.append(FormDefinition(item=item, version=0, title="表", schema=schema, layout=layout))
    merged = merged_form(forms)
    keys = [p.get("x-semantic", "") for p in merged.schema["properties"].values()]
    for key in (
        "applicant.name",
        "applicant.id_number",
        "applicant.mobile",
        "enterprise.name",
        "enterprise.uscc",
    ):
        assert keys.count(key) == 1, key
    # each item's own request stays its own question
    assert sum(1 for name in merged.schema["properties"] if name.startswith("request")) == 3
