"""Search that understands people: concept dictionary, intents, partial matches, the nearest
items when nothing matches, one hit per service across regions, typed pinyin and initials."""

import csv
from pathlib import Path

import pytest

from tests.factories import DepartmentFactory, PublishedItemFactory, SearchSynonymFactory, region_chain
from tongban.catalog.models import SearchSynonym
from tongban.catalog.search import search_items
from tongban.catalog.search.dictionary import phrase_pinyin, shipped_synonyms, update_shipped
from tongban.catalog.search.engine import is_intent
from tongban.catalog.search.intent import CHANGE, CLOSE, NEW, REISSUE, RENEW, item_classes

pytestmark = pytest.mark.django_db

COUNTY_CSV = Path(__file__).resolve().parent / "data" / "sichuan-guangan-district-items.csv"


def names(query: str, **kwargs) -> list[str]:
    return [hit.item.name for hit in search_items(query, **kwargs).hits]


# ---------------------------------------------------------------------------------------------
# The shipped dictionary: concepts, not item names


def _catalogue_names() -> set[str]:
    from tongban.demo.catalog import POPULAR_ITEMS
    from tongban.demo.extras import CITY_ITEMS, EXTRA_ITEMS

    with COUNTY_CSV.open(encoding="utf-8") as fh:
        real = {row["name"] for row in csv.DictReader(fh)}
    demo = {row[0] for row in [*POPULAR_ITEMS, *EXTRA_ITEMS, *CITY_ITEMS]}
    return real | demo


def test_no_dictionary_target_is_the_whole_name_of_an_item():
    items = _catalogue_names()
    assert len(items) > 1100
    offending = [
        (phrase, term)
        for phrase, expansions in shipped_synonyms()
        for term in expansions.split()
        if term in items
    ]
    assert offending == []


def test_the_dictionary_maps_everyday_words_to_concept_words_and_intents():
    entries = dict(shipped_synonyms())
    assert len(entries) >= 300
    assert entries["低保"].split() == ["最低生活", "生活保障"]
    assert entries["狗"] == "犬"
    assert {"餐饮", "食品经营"} <= set(entries["饭店"].split())
    assert is_intent(entries["开"]) and {"新办", "设立", "核发"} <= set(entries["开"].split())
    assert is_intent(entries["到期"]) and "延续" in entries["到期"]
    assert is_intent(entries["不干了"]) and {"注销", "歇业"} <= set(entries["不干了"].split())
    assert not is_intent(entries["低保"])


def test_item_action_classes():
    assert item_classes("烟草专卖零售许可证新办") == {NEW}
    assert item_classes("烟草专卖零售许可证补办") == {REISSUE}
    assert item_classes("公共场所卫生许可延续（县级）") == {RENEW}
    assert item_classes("取水许可证变更审批") == {CHANGE}
    assert item_classes("个体工商户注销登记") == {CLOSE}
    assert item_classes("巡游出租汽车道路运输证核发（换发）") == {RENEW}  # 核发 is the outcome here
    assert item_classes("最低生活保障") == set()


# ---------------------------------------------------------------------------------------------
# Intents: the sibling doing what was asked comes first


@pytest.fixture
def tobacco():
    # The busiest sibling is the replacement: without intents it would lead.
    return {
        action: PublishedItemFactory(name=f"烟草专卖零售许可证{action}", popularity=popularity)
        for action, popularity in [("新办", 10), ("补办", 90), ("变更", 50), ("歇业", 40), ("延续", 30)]
    }


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("想开个小卖部卖烟", "烟草专卖零售许可证新办"),
        ("烟草证丢了", "烟草专卖零售许可证补办"),
        ("烟草证到期了", "烟草专卖零售许可证延续"),
        ("小卖部不开了", "烟草专卖零售许可证歇业"),
        ("烟草证改名字", "烟草专卖零售许可证变更"),
    ],
)
def test_intent_ranks_the_matching_action_first(tobacco, query, first):
    assert names(query)[0] == first
    assert len(names(query)) == 5  # the siblings stay, below


def test_without_an_intent_the_plain_service_leads_its_siblings():
    PublishedItemFactory(name="拖拉机联合收割机驾驶证补换证")
    PublishedItemFactory(name="拖拉机/联合收割机驾驶证初次申领")
    PublishedItemFactory(name="拖拉机/联合收割机驾驶证转出")
    assert names("拖拉机驾驶证")[0] == "拖拉机/联合收割机驾驶证初次申领"


# ---------------------------------------------------------------------------------------------
# Partial matches rank; nothing at all gives the nearest items


def test_a_query_with_an_unknown_word_still_finds_the_rest():
    PublishedItemFactory(name="犬类准养证核发")
    PublishedItemFactory(name="最低生活保障")
    assert names("养狗 喵喵叫 要办证吗")[0] == "犬类准养证核发"
    assert names("最低生活保障 火星基地")[0] == "最低生活保障"


def test_a_few_full_matches_do_not_hide_the_partial_ones():
    PublishedItemFactory(name="个体工商户设立登记")
    PublishedItemFactory(name="个体工商户注销登记")
    # 执照 → 设立登记 营业执照: only 设立登记 matches every word, yet the closure is what was asked.
    assert set(names("个体户执照不开了")) == {"个体工商户设立登记", "个体工商户注销登记"}


def test_a_single_known_character_is_enough_to_be_offered():
    PublishedItemFactory(name="古树名木认定")
    page = search_items("砍自家院子的树")
    assert "古树名木认定" in [hit.item.name for hit in page.hits + page.nearest]


def test_the_concept_is_found_inside_qualified_names():
    PublishedItemFactory(name="食品(含保健食品)经营许可核发")
    PublishedItemFactory(name="食品(含保健食品)经营许可注销")
    assert names("开饭店要办什么证")[0] == "食品(含保健食品)经营许可核发"


def test_no_match_gives_the_nearest_items_and_no_hits():
    PublishedItemFactory(name="居民身份证挂失申报、丢失招领", popularity=5)
    PublishedItemFactory(name="公民民族成份确认和变更（满十八岁）", popularity=50)
    PublishedItemFactory(name="结婚登记预约", popularity=90)
    page = search_items("火星移民签证")
    assert (page.total, page.hits) == (0, [])
    nearest = [hit.item.name for hit in page.nearest]
    # Sharing 民 and 证 beats sharing only 民, whatever the popularity; 结婚登记预约 shares nothing.
    assert nearest == ["居民身份证挂失申报、丢失招领", "公民民族成份确认和变更（满十八岁）"]
    assert search_items("结婚登记").nearest == []
    assert search_items("怎么办").nearest == []


def test_nearest_items_respect_the_filters():
    PublishedItemFactory(name="居民身份证挂失申报、丢失招领")
    page = search_items("火星移民签证", region_code="330106")
    assert page.nearest == []


# ---------------------------------------------------------------------------------------------
# Typed pinyin and initials of everyday words


@pytest.fixture
def social_security_card():
    return PublishedItemFactory(name="社会保障卡申领"), PublishedItemFactory(name="最低生活保障")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("sbk", "社会保障卡申领"),
        ("shebaoka", "社会保障卡申领"),
        ("dibao", "最低生活保障"),
        ("社保卡", "社会保障卡申领"),
    ],
)
def test_pinyin_and_initials_of_everyday_words(social_security_card, query, first):
    assert names(query)[0] == first


def test_synonyms_know_their_pinyin_and_initials():
    synonym = SearchSynonymFactory(phrase="医社保卡", expansions="社会保障卡")
    assert (synonym.pinyin, synonym.initials) == ("yishebaoka", "ysbk")
    assert SearchSynonym.objects.get(phrase="社保卡").initials == "sbk"
    assert phrase_pinyin("低保") == ("dibao", "")  # two letters stand for too much
    assert phrase_pinyin("ktv") == ("", "")


# ---------------------------------------------------------------------------------------------
# One hit per service across regions


@pytest.fixture
def three_counties():
    items = {}
    for code in ("511602", "511603", "511621"):
        department = DepartmentFactory(region=region_chain(code))
        items[code] = PublishedItemFactory(name="公共场所卫生许可新办审批（县级）", department=department)
    return items


def test_the_same_service_in_several_counties_is_one_hit(three_counties):
    page = search_items("开美容美发店卫生许可", group_regions=True, prefer_region="511603")
    assert page.total == 1 and len(page.hits) == 1
    hit = page.hits[0]
    assert hit.item == three_counties["511603"]
    assert {i.pk for i in hit.other_regions} == {three_counties["511602"].pk, three_counties["511621"].pk}
    assert all(i.region.code for i in hit.other_regions)  # shown with their region, no extra query


def test_the_chosen_region_filter_picks_the_first_implementation(three_counties):
    city = PublishedItemFactory(
        name="公共场所卫生许可新办审批（县级）", department=DepartmentFactory(region=region_chain("5116"))
    )
    page = search_items("卫生许可", region_code="511621", group_regions=True)
    assert [h.item for h in page.hits] == [three_counties["511621"]]
    assert [i.pk for i in page.hits[0].other_regions] == [city.pk]


def test_same_base_code_groups_differently_named_implementations():
    a = PublishedItemFactory(name="犬类准养证核发", code="511ZZ0000001-511602000000-000-A-1-00")
    b = PublishedItemFactory(
        name="养犬登记证核发",
        code="511ZZ0000001-511603000000-000-B-1-00",
        department=DepartmentFactory(region=region_chain("511603")),
    )
    assert a.base_code == b.base_code
    page = search_items("养狗", group_regions=True, prefer_region="511602")
    assert [h.item for h in page.hits] == [a] and page.hits[0].other_regions == [b]


def test_items_of_one_region_are_never_folded_together(three_counties):
    department = three_counties["511602"].department
    twin = PublishedItemFactory(name="公共场所卫生许可新办审批（县级）", department=department)
    page = search_items("卫生许可", group_regions=True, prefer_region="511602")
    assert page.total == 2
    assert {h.item.pk for h in page.hits} == {three_counties["511602"].pk, twin.pk}


def test_without_grouping_every_implementation_is_a_hit(three_counties):
    page = search_items("卫生许可")
    assert page.total == 3 and all(h.other_regions == [] for h in page.hits)


# ---------------------------------------------------------------------------------------------
# Updating the shipped dictionary keeps what admins changed


def test_update_replaces_untouched_shipped_entries_and_keeps_the_admins():
    shipped = SearchSynonym.objects.get(phrase="低保")
    assert shipped.origin == SearchSynonym.Origin.SHIPPED
    SearchSynonym.objects.filter(phrase="低保").update(
        expansions="最低生活保障审核确认"
    )  # an old shipped text
    SearchSynonym.objects.filter(phrase="狗").update(origin="admin", expansions="犬只")  # an admin's edit
    SearchSynonym.objects.create(phrase="小饭桌", expansions="托管")  # an admin's own phrase
    SearchSynonym.objects.filter(phrase="养狗").delete()
    update_shipped(SearchSynonym, {("低保", "最低生活保障审核确认")})
    assert SearchSynonym.objects.get(phrase="低保").expansions == "最低生活 生活保障"
    assert SearchSynonym.objects.get(phrase="狗").expansions == "犬只"
    assert SearchSynonym.objects.get(phrase="小饭桌").origin == SearchSynonym.Origin.ADMIN
    assert SearchSynonym.objects.filter(phrase="养狗", origin="shipped").exists()


def test_an_edit_through_a_form_makes_the_entry_the_admins():
    synonym = SearchSynonym.objects.get(phrase="低保")
    synonym.expansions = "最低生活 低保金"
    synonym.full_clean()
    synonym.save()
    synonym.refresh_from_db()
    assert synonym.origin == SearchSynonym.Origin.ADMIN
