"""GET /api/v1/themes, /life-events and /life-events/{slug}."""

import pytest

from tests.factories import LifeEventFactory, PublishedItemFactory, ServiceItemFactory, region_chain
from tongban.catalog.themes import ENTERPRISE_THEMES, PERSON_THEMES

pytestmark = pytest.mark.django_db


def test_person_themes_in_national_order(api, db):
    response = api.get("/themes", audience="person")
    assert response.status_code == 200
    assert [t["name"] for t in response.data["items"]] == PERSON_THEMES
    assert response.data["total"] == len(PERSON_THEMES)
    first = response.data["items"][0]
    assert first["audience"] == "person"
    assert first["audience_name"] == "个人"
    assert first["slug"] == "shengyushouyang"


def test_enterprise_themes_and_all_themes(api, db):
    assert [t["name"] for t in api.get("/themes", audience="enterprise").data["items"]] == ENTERPRISE_THEMES
    assert api.get("/themes").data["total"] == len(PERSON_THEMES) + len(ENTERPRISE_THEMES)


def test_theme_item_counts_are_published_items_in_region(api, catalogue):
    ServiceItemFactory(department=catalogue["police"], themes=[catalogue["marriage"]])  # a draft
    elsewhere = PublishedItemFactory(
        department__region=region_chain("330106"), themes=[catalogue["marriage"]]
    )
    assert elsewhere.region.code == "330106"

    def marriage_count(**params):
        items = api.get("/themes", audience="person", **params).data["items"]
        return next(t["item_count"] for t in items if t["slug"] == "hunyindengji")

    assert marriage_count() == 2
    assert marriage_count(region="511602") == 1
    assert marriage_count(region="33") == 1
    assert marriage_count(region="511603") == 0


def test_theme_list_with_unknown_region_is_404(api, db):
    assert api.get("/themes", region="99").status_code == 404


@pytest.fixture
def events(catalogue):
    newborn = LifeEventFactory(
        name="出生一件事",
        slug="birth",
        summary="新生儿出生医学证明、户口登记、医保参保一次办。",
        items=[catalogue["id_card"], catalogue["pension"], catalogue["draft"]],
        order=1,
    )
    restaurant = LifeEventFactory(
        name="开办餐馆",
        slug="open-restaurant",
        audience="enterprise",
        region=catalogue["market"].region,
        items=[catalogue["food"], catalogue["company"]],
        order=2,
    )
    other_county = LifeEventFactory(
        name="前锋区一件事", slug="qianfeng", region=region_chain("511603"), order=3
    )
    city = LifeEventFactory(name="市级一件事", slug="city-event", region=region_chain("5116"), order=4)
    return {"newborn": newborn, "restaurant": restaurant, "other_county": other_county, "city": city}


def test_life_event_list_counts_published_items(api, events):
    response = api.get("/life-events")
    assert response.status_code == 200
    rows = {e["slug"]: e for e in response.data["items"]}
    assert [e["slug"] for e in response.data["items"]] == [
        "birth",
        "open-restaurant",
        "qianfeng",
        "city-event",
    ]
    assert rows["birth"]["item_count"] == 2  # the draft does not count
    assert rows["birth"]["region"] is None
    assert rows["birth"]["audience_name"] == "个人"
    assert rows["open-restaurant"]["region"]["code"] == "511602"


def test_life_event_list_by_audience(api, events):
    assert [e["slug"] for e in api.get("/life-events", audience="enterprise").data["items"]] == [
        "open-restaurant"
    ]


def test_life_event_list_by_region_shows_national_ancestor_and_own(api, events):
    slugs = [e["slug"] for e in api.get("/life-events", region="511602000000").data["items"]]
    assert slugs == ["birth", "open-restaurant", "city-event"]
    city_slugs = [e["slug"] for e in api.get("/life-events", region="5116").data["items"]]
    assert city_slugs == ["birth", "open-restaurant", "qianfeng", "city-event"]


def test_life_event_detail_lists_published_items(api, events):
    response = api.get("/life-events/birth")
    assert response.status_code == 200
    data = response.data
    assert data["name"] == "出生一件事"
    assert data["summary"].startswith("新生儿")
    assert data["item_count"] == 2
    assert [i["name"] for i in data["items"]] == ["居民身份证补领", "城乡居民养老保险参保登记"]
    assert data["items"][0]["department"]["name"] == "广安区公安分局"


def test_life_event_detail_unknown_is_404(api, events):
    response = api.get("/life-events/no-such-event")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


def test_theme_and_life_event_reads_take_few_queries(api, events, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        api.get("/themes", region="5116")
    with django_assert_max_num_queries(2):
        api.get("/life-events", region="5116")
    with django_assert_max_num_queries(2):
        api.get("/life-events/birth")
