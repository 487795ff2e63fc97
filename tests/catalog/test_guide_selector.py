"""``get_guide``: an item and every list of its guide page from one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    FAQFactory,
    FeeItemFactory,
    LifeEventFactory,
    MaterialRequirementFactory,
    ProcessStepFactory,
    PublishedItemFactory,
    ServiceItemFactory,
    ThemeFactory,
)
from tongban.catalog import selectors
from tongban.core.errors import NotFound

pytestmark = pytest.mark.django_db


def full_item():
    item = PublishedItemFactory(is_charged=True, fee_basis="《收费标准》")
    MaterialRequirementFactory(item=item, order=2, name="户口簿", forms=["original", "electronic"], copies=2)
    MaterialRequirementFactory(
        item=item, order=1, name="申请表", necessity="optional", blank_form="catalog/forms/a.pdf"
    )
    ProcessStepFactory(item=item, order=2, name="审查")
    ProcessStepFactory(item=item, order=1, name="受理")
    FeeItemFactory(item=item, name="工本费", may_reduce=True)
    FeeItemFactory(item=item, name="加急费", may_reduce=False)
    FAQFactory(item=item, order=5, question="第二问？")
    FAQFactory(item=item, order=1, question="第一问？")
    item.themes.set(
        [
            ThemeFactory(audience="person", slug="b", order=2),
            ThemeFactory(audience="person", slug="a", order=1),
        ]
    )
    LifeEventFactory(items=[item], name="我要开饭店", order=3)
    LifeEventFactory(items=[item], name="新生儿出生", order=1)
    return item


def test_guide_lists_match_the_items_own_relations_in_display_order():
    item = full_item()
    with CaptureQueriesContext(connection) as queries:
        guide = selectors.get_guide(item.code)
    assert len(queries) == 1
    assert guide.item.pk == item.pk and guide.item.department.name == item.department.name
    expected_materials = list(item.materials.order_by("order", "id"))
    assert [m.pk for m in guide.materials] == [m.pk for m in expected_materials]
    assert [m.name for m in guide.materials] == ["申请表", "户口簿"]
    first, second = guide.materials
    assert second.forms == ["original", "electronic"] and second.copies == 2
    assert first.necessity == "optional" and first.blank_form.name == "catalog/forms/a.pdf"
    assert not second.blank_form
    assert [s.name for s in guide.steps] == ["受理", "审查"]
    assert [(f.name, f.may_reduce) for f in guide.fees] == [("工本费", True), ("加急费", False)]
    assert [f.question for f in guide.faqs] == ["第一问？", "第二问？"]
    assert [t.slug for t in guide.themes] == ["a", "b"]
    assert [e.name for e in guide.life_events] == ["新生儿出生", "我要开饭店"]


def test_guide_of_a_bare_item_has_empty_lists():
    item = PublishedItemFactory()
    guide = selectors.get_guide(item.code)
    assert (guide.materials, guide.steps, guide.fees, guide.faqs, guide.themes, guide.life_events) == (
        [],
        [],
        [],
        [],
        [],
        [],
    )


def test_lists_of_other_items_are_not_mixed_in():
    item = full_item()
    other = PublishedItemFactory()
    MaterialRequirementFactory(item=other, name="别的材料")
    guide = selectors.get_guide(item.code)
    assert "别的材料" not in [m.name for m in guide.materials]
    assert [m.name for m in selectors.get_guide(other.code).materials] == ["别的材料"]


def test_unpublished_or_unknown_items_are_not_found():
    draft = ServiceItemFactory()
    for code in (draft.code, "NO-SUCH-CODE"):
        with pytest.raises(NotFound):
            selectors.get_guide(code)
