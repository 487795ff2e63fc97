"""A service offered in many counties lists its nearest few other regions and counts the rest.

At province scale a service such as 居民身份证补领 exists in every one of 183 counties; listing
every other implementation under each hit made a search page ten times its size (and loaded
thousands of items to render it).
"""

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, PublishedItemFactory, region_chain
from tongban.catalog.search import search_items
from tongban.catalog.search.engine import OTHER_REGIONS_SHOWN

pytestmark = pytest.mark.django_db

COUNTIES = [f"5116{n:02d}" for n in range(2, 2 + OTHER_REGIONS_SHOWN + 4)]


@pytest.fixture
def everywhere():
    return {
        code: PublishedItemFactory(
            name="居民身份证补领", department=DepartmentFactory(region=region_chain(code))
        )
        for code in COUNTIES
    }


def test_a_hit_keeps_a_few_other_regions_and_counts_them_all(everywhere):
    page = search_items("身份证补领", group_regions=True, prefer_region=COUNTIES[0])
    assert len(page.hits) == 1
    hit = page.hits[0]
    assert hit.item == everywhere[COUNTIES[0]]
    assert len(hit.other_regions) == OTHER_REGIONS_SHOWN
    assert hit.other_regions_total == len(COUNTIES) - 1
    assert hit.more_regions == len(COUNTIES) - 1 - OTHER_REGIONS_SHOWN


def test_the_page_says_how_many_regions_and_offers_choosing_one(client, everywhere):
    body = client.get(reverse("web:search"), {"q": "身份证补领"}).content.decode()
    assert f"其他地区（{len(COUNTIES) - 1} 个）" in body
    assert body.count('class="item-meta">') >= OTHER_REGIONS_SHOWN
    assert reverse("web:region_choose") in body
    shown = sum(1 for item in everywhere.values() if f"{item.code}" in body)
    assert shown == 1 + OTHER_REGIONS_SHOWN
