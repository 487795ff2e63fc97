"""The 一件事 figures of docs/joint.md: computed from the bundle plan and the items' forms."""

import io

import pytest
from django.core.management import call_command

from tests.catalog.bundle_data import restaurant_bundle
from tests.factories import MaterialRequirementFactory
from tongban.catalog.selectors import bundle_plan, get_bundle
from tongban.forms.figures import bundle_figures, section_pages

pytestmark = pytest.mark.django_db


def test_figures_of_a_bundle_count_what_the_applicant_provides():
    setup = restaurant_bundle()
    items = setup["items"]
    for key in ("licence", "food", "tax", "sign"):
        MaterialRequirementFactory(item=items[key], name="居民身份证")
    MaterialRequirementFactory(item=items["food"], name="营业执照")  # issued by the licence item
    MaterialRequirementFactory(item=items["sign"], name="设置位置示意图")
    figures = bundle_figures(bundle_plan(get_bundle("canyin")))
    assert (figures.items, figures.departments) == (4, 3)
    assert (figures.joint_materials, figures.separate_materials) == (2, 6)
    # default forms of four person items: name, ID number, mobile, address and a request each
    assert figures.separate_fields == 4 * 5
    assert figures.joint_fields == 4 + 4  # the four shared fields once, each item's own request
    # pages: separately 5 fixed + 2 sections per item; jointly 4 fixed + the applicant section
    # once + one request section per item
    assert figures.separate_pages == 4 * (5 + 2)
    assert figures.joint_pages == 4 + 1 + 4
    assert figures.field_ratio <= 0.5 and figures.page_ratio <= 0.5


def test_section_pages_count_unplaced_fields_once():
    schema = {"properties": {"a": {}, "b": {}, "c": {}}}
    assert section_pages(schema, {"sections": [{"fields": ["a"]}, {"fields": ["a"]}]}) == 2
    assert section_pages(schema, {}) == 1


def test_the_command_refuses_a_region_without_shipped_bundles():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有随系统提供的一件事"):
        call_command("bundle_figures", "--region", "110101", stdout=io.StringIO())
