"""The shared factories build valid rows (other apps' tests rely on them)."""

import pytest

from tests.factories import (
    DepartmentFactory,
    FAQFactory,
    FeeItemFactory,
    LifeEventFactory,
    MaterialRequirementFactory,
    ProcessStepFactory,
    PublishedItemFactory,
    RegionFactory,
    ServiceItemFactory,
    SuperUserFactory,
    make_uscc,
    region_chain,
)
from tongban.departments.validators import is_valid_uscc

pytestmark = pytest.mark.django_db


def test_region_chain_creates_ancestors_once():
    county = region_chain("511602000000")
    assert county.code == "511602"
    assert county.parent.code == "5116"
    assert county.parent.parent.code == "51"
    assert county.full_name == "四川省广安市广安区"
    assert region_chain("511602") == county


def test_region_factory_makes_a_county_with_parents():
    region = RegionFactory()
    assert region.level == 3
    assert region.parent.level == 2


def test_factories_build_consistent_rows():
    assert is_valid_uscc(make_uscc())
    department = DepartmentFactory()
    assert is_valid_uscc(department.uscc)
    item = ServiceItemFactory(department=department)
    assert item.region == department.region
    assert item.region_code == "511602"
    MaterialRequirementFactory(item=item)
    ProcessStepFactory(item=item)
    FAQFactory(item=item)
    fee = FeeItemFactory()
    assert fee.item.is_charged
    published = PublishedItemFactory()
    assert published.status == "published"
    event = LifeEventFactory(items=[item, published])
    assert event.items.count() == 2
    assert SuperUserFactory().is_superuser
