"""Search behaviour: index upkeep, filters, tolerance, highlighting, synonyms, refusals."""

import pytest

from tests.factories import (
    DepartmentFactory,
    PublishedItemFactory,
    SearchSynonymFactory,
    ServiceItemFactory,
    region_chain,
)
from tongban.catalog.models import SearchEntry, SearchSynonym, ServiceItem, Theme
from tongban.catalog.search import (
    SearchQueryTooLong,
    bulk_indexing,
    index_items,
    rebuild_index,
    search_items,
    suggest,
)
from tongban.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def names(query: str, **filters) -> list[str]:
    return [hit.item.name for hit in search_items(query, **filters).hits]


def codes(query: str, **filters) -> list[str]:
    return [hit.item.code for hit in search_items(query, **filters).hits]


@pytest.fixture
def id_items():
    reissue = PublishedItemFactory(name="居民身份证补领", popularity=50)
    renew = PublishedItemFactory(name="居民身份证换领", popularity=40)
    marriage = PublishedItemFactory(name="结婚登记", popularity=30)
    food = PublishedItemFactory(name="食品经营许可", service_objects=["2"], popularity=20)
    return {"reissue": reissue, "renew": renew, "marriage": marriage, "food": food}


# ---------------------------------------------------------------------------------------------
# Finding things


def test_exact_name_is_found_first_with_its_relations_loaded(id_items, django_assert_max_num_queries):
    page = search_items("结婚登记")
    assert page.total == 1
    hit = page.hits[0]
    assert hit.item == id_items["marriage"]
    assert hit.score > 0
    with django_assert_max_num_queries(0):
        assert hit.item.department.name and hit.item.region.code


def test_search_costs_a_handful_of_queries(id_items, django_assert_max_num_queries):
    search_items("身份证丢了")  # load jieba outside the counted block
    with django_assert_max_num_queries(4):
        search_items("身份证丢了", region_code="511602", audience="person")


def test_full_pinyin_and_initials(id_items):
    assert names("shenfenzheng")[:2] == ["居民身份证补领", "居民身份证换领"]
    assert names("shenfenzheng buling")[0] == "居民身份证补领"
    assert names("sfz")[:2] == ["居民身份证补领", "居民身份证换领"]
    assert names("jiehundengji") == ["结婚登记"]


def test_one_wrong_character(id_items):
    assert names("居民身分证补领")[0] == "居民身份证补领"  # homophone
    assert names("结昏登记") == ["结婚登记"]  # homophone
    assert names("食品经营许刻") == ["食品经营许可"]
    assert names("居民身份证补今")[0] == "居民身份证补领"  # shape slip: not a homophone


def test_corrected_query_for_typos_and_pinyin(id_items):
    assert search_items("结昏登记").corrected_query == "结婚登记"
    assert search_items("jiehundengji").corrected_query == "结婚登记"
    assert search_items("结婚登记").corrected_query is None


def test_unrelated_query_finds_nothing(id_items):
    page = search_items("火星移民签证")
    assert page.total == 0 and page.hits == []


def test_keywords_are_searchable(id_items):
    PublishedItemFactory(name="小餐饮经营许可", keywords="苍蝇馆子 路边摊")
    assert names("苍蝇馆子") == ["小餐饮经营许可"]


def test_equal_relevance_goes_to_the_more_popular_item():
    quiet = PublishedItemFactory(name="犬只登记", popularity=1)
    busy = PublishedItemFactory(
        name="犬只登记", popularity=900, department=DepartmentFactory(region=region_chain("511603"))
    )
    assert codes("犬只登记") == [busy.code, quiet.code]


def test_paging_is_consistent():
    for n in range(25):
        PublishedItemFactory(name=f"道路货物运输经营许可{n:02d}", popularity=n)
    first = search_items("道路货物运输经营许可", page_size=10)
    second = search_items("道路货物运输经营许可", page=2, page_size=10)
    third = search_items("道路货物运输经营许可", page=3, page_size=10)
    assert first.total == second.total == 25
    seen = [h.item.pk for h in first.hits + second.hits + third.hits]
    assert len(seen) == len(set(seen)) == 25
    assert (first.page, first.page_size, len(third.hits)) == (1, 10, 5)


# ---------------------------------------------------------------------------------------------
# Filters


def test_region_filter_includes_the_regions_above_and_excludes_siblings():
    city_dept = DepartmentFactory(region=region_chain("5116"))
    county = PublishedItemFactory(name="公共场所卫生许可")
    sibling = PublishedItemFactory(
        name="公共场所卫生许可", department=DepartmentFactory(region=region_chain("511603"))
    )
    city = PublishedItemFactory(name="公共场所卫生许可", department=city_dept)
    other_province = PublishedItemFactory(
        name="公共场所卫生许可", department=DepartmentFactory(region=region_chain("330106"))
    )
    assert set(codes("卫生许可", region_code="511602")) == {county.code, city.code}
    assert set(codes("卫生许可", region_code="511602000000")) == {county.code, city.code}
    assert set(codes("卫生许可", region_code="5116")) == {county.code, sibling.code, city.code}
    assert set(codes("卫生许可", region_code="51")) == {county.code, sibling.code, city.code}
    assert set(codes("卫生许可")) == {county.code, sibling.code, city.code, other_province.code}


def test_department_audience_type_and_theme_filters(id_items):
    theme = Theme.objects.get(audience="person", name="婚姻登记")
    id_items["marriage"].themes.add(theme)
    police = id_items["reissue"].department
    assert names("身份证", department_id=police.pk) == ["居民身份证补领"]
    assert names("许可", audience="enterprise") == ["食品经营许可"]
    assert names("许可", audience="person") == []
    assert names("登记", theme_slug=theme.slug) == ["结婚登记"]
    assert names("登记", theme_slug="no-such-theme") == []
    assert names("结婚登记", item_type="01") == ["结婚登记"]
    assert names("结婚登记", item_type="07") == []


def test_theme_changes_reach_the_index(id_items):
    theme = Theme.objects.get(audience="person", name="婚姻登记")
    theme.items.add(id_items["food"])  # from the theme's side
    assert names("许可", theme_slug=theme.slug) == ["食品经营许可"]
    id_items["food"].themes.clear()
    assert names("许可", theme_slug=theme.slug) == []


def test_bad_filters_and_paging_are_refused_with_a_clear_message():
    with pytest.raises(InvalidInput) as exc:
        search_items("结婚", audience="alien")
    assert exc.value.field == "audience" and "person" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        search_items("结婚", region_code="51-16")
    assert exc.value.field == "region" and "区划" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        search_items("结婚", page=0)
    assert exc.value.field == "page"
    with pytest.raises(InvalidInput) as exc:
        search_items("结婚", page_size=101)
    assert exc.value.field == "page_size"
    with pytest.raises(InvalidInput) as exc:
        search_items("结婚", item_type="x1")
    assert exc.value.field == "type"


# ---------------------------------------------------------------------------------------------
# Highlighting


def test_highlight_wraps_matches_in_mark(id_items):
    hit = search_items("身份证丢了").hits[0]
    assert hit.item.name == "居民身份证补领"
    assert "<mark>" in hit.highlighted_name
    assert "身份证" in hit.highlighted_name.split("<mark>")[1]
    pinyin_hit = search_items("jiehun").hits[0]
    assert pinyin_hit.highlighted_name == "<mark>结婚</mark>登记"


def test_highlight_escapes_the_name():
    PublishedItemFactory(name='<script>alert("x")</script>结婚登记 & 预约')
    html = search_items("结婚登记").hits[0].highlighted_name
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "<mark>结婚登记</mark>" in html
    assert hasattr(html, "__html__")  # marked safe for templates


# ---------------------------------------------------------------------------------------------
# Index upkeep: only published items, changes take effect at once


def test_draft_and_withdrawn_items_are_not_found():
    ServiceItemFactory(name="林木采伐许可证核发")  # draft
    PublishedItemFactory(name="林木采伐许可证核发", status=ServiceItem.Status.WITHDRAWN)
    assert search_items("林木采伐许可证核发").total == 0
    assert SearchEntry.objects.count() == 0


def test_edit_and_withdraw_update_the_index():
    item = PublishedItemFactory(name="排污许可")
    assert names("排污") == ["排污许可"]
    item.name = "排污许可证核发"
    item.save()
    assert names("排污许可证核发")[0] == "排污许可证核发"
    item.status = ServiceItem.Status.WITHDRAWN
    item.save()
    assert names("排污") == []
    item.status = ServiceItem.Status.PUBLISHED
    item.save()
    assert names("排污") == ["排污许可证核发"]
    item.delete()
    assert names("排污") == [] and not SearchEntry.objects.exists()


def test_status_is_checked_even_when_the_index_is_stale():
    item = PublishedItemFactory(name="取水许可")
    ServiceItem.objects.filter(pk=item.pk).update(status=ServiceItem.Status.DRAFT)  # no signal
    assert SearchEntry.objects.filter(item=item).exists()
    assert names("取水许可") == []
    index_items([item.pk])
    assert not SearchEntry.objects.filter(item=item).exists()


def test_department_rename_reaches_the_index():
    item = PublishedItemFactory(name="某某事项办理")
    department = item.department
    department.name = "区退役军人事务局"
    department.save()
    assert names("退役军人事务局") == ["某某事项办理"]


def test_bulk_indexing_indexes_once_at_the_end(django_assert_max_num_queries):
    with bulk_indexing():
        items = [PublishedItemFactory(name=f"殡葬补贴申领{n}") for n in range(3)]
        assert SearchEntry.objects.count() == 0
    assert SearchEntry.objects.filter(item__in=items).count() == 3


def test_rebuild_index_counts_published_items():
    PublishedItemFactory(name="医师执业注册")
    PublishedItemFactory(name="护士执业注册")
    ServiceItemFactory(name="草稿事项")
    SearchEntry.objects.all().delete()
    assert names("执业注册") == []
    assert rebuild_index() == 2
    assert set(names("执业注册")) == {"医师执业注册", "护士执业注册"}


# ---------------------------------------------------------------------------------------------
# Synonyms that admins edit


def test_shipped_synonyms_are_loaded():
    assert SearchSynonym.objects.count() >= 300
    assert "食品经营许可" in SearchSynonym.objects.get(phrase="开饭店").expansions


def test_admin_synonym_takes_effect_at_once(id_items):
    assert names("小饭桌") == []
    synonym = SearchSynonymFactory(phrase="小饭桌", expansions="食品经营许可")
    assert names("小饭桌") == ["食品经营许可"]
    synonym.expansions = "结婚登记"
    synonym.save()
    assert names("小饭桌") == ["结婚登记"]
    synonym.delete()
    assert names("小饭桌") == []


def test_synonym_text_is_normalised():
    synonym = SearchSynonym.objects.create(phrase=" ＶＲ体验馆 ", expansions="娱乐经营许可，娱乐场所")
    assert synonym.phrase == "vr体验馆"
    assert synonym.expansions == "娱乐经营许可 娱乐场所"


# ---------------------------------------------------------------------------------------------
# Queries with nothing to search


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "怎么办", "我想要办什么", "？？！！"])
def test_empty_or_meaningless_queries_give_an_empty_page(id_items, query):
    page = search_items(query)
    assert (page.total, page.hits, page.corrected_query) == (0, [], None)
    assert page.query == " ".join(query.split())


def test_very_long_query_is_refused():
    with pytest.raises(SearchQueryTooLong) as exc:
        search_items("身份证" * 40)
    assert exc.value.code == "search_query_too_long"
    assert "100" in exc.value.message
    assert search_items("身" * 100).total == 0  # the limit itself is accepted


# ---------------------------------------------------------------------------------------------
# Suggestions as you type


def test_suggest_completes_names_distinct_and_popular_first(id_items):
    PublishedItemFactory(name="居民身份证补领", department=DepartmentFactory(region=region_chain("511603")))
    result = suggest("居民身")
    assert [s["name"] for s in result] == ["居民身份证补领", "居民身份证换领"]
    assert set(result[0]) == {"code", "name", "department"}
    assert result[0]["code"] == id_items["reissue"].code


def test_suggest_by_pinyin_prefix_and_region(id_items):
    assert [s["name"] for s in suggest("jiehun")] == ["结婚登记"]
    assert {s["name"] for s in suggest("shenf")} == {"居民身份证补领", "居民身份证换领"}
    assert suggest("结婚", region_code="330106") == []
    assert suggest("  ") == []
    assert len(suggest("登记 许可 身份证", limit=2)) <= 2
