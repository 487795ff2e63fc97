"""The search log: what is kept of a search (no personal data), batching, clicks, the admin's
lists and the services that act on them."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.factories import DepartmentFactory, PublishedItemFactory, SearchSynonymFactory, region_chain
from tests.identity.factories import CitizenFactory, staff_in
from tongban.catalog import search_log
from tongban.catalog.models import SearchClick, SearchQuery, SearchQueryReview, SearchSynonym
from tongban.catalog.search import rebuild_index, search_items
from tongban.catalog.search_log import recording, selectors, services
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.identity.models import StaffRole

pytestmark = pytest.mark.django_db

ID_NUMBER = "51160219900307123X"
MOBILE = "13912345678"


@pytest.fixture(autouse=True)
def written_at_once(settings):
    """Counts are written with each search here (the tests' default waits for ``flush()``)."""
    search_log.forget()
    settings.TONGBAN_SEARCH_LOG_SECONDS = 0
    yield
    search_log.forget()


@pytest.fixture
def department():
    return DepartmentFactory(name="广安区民政局", region=region_chain("511602"))


@pytest.fixture
def admin(department):
    return staff_in(department, StaffRole.CATALOGUE)


@pytest.fixture
def items(department):
    made = [
        PublishedItemFactory(name="最低生活保障审核确认", department=department),
        PublishedItemFactory(name="犬类准养证核发", department=department),
    ]
    rebuild_index()
    return made


def rows() -> list[SearchQuery]:
    return list(SearchQuery.objects.order_by("id"))


# ---------------------------------------------------------------------------------------------
# What is kept


@pytest.mark.parametrize(
    "text",
    [
        f"身份证{ID_NUMBER}补办",
        f"身份证 {ID_NUMBER.lower()} 补办",
        "身份证５１１６０２１９９００３０７１２３Ｘ补办",  # full-width, as some phones type
        f"手机{MOBILE}社保",
        "手机 139 1234 5678 社保",
        "手机139-1234-5678社保",
        "手机一三九一二三四五六七八社保",
        "邮箱 zhang.san@example.cn 社保",
    ],
)
def test_scrub_removes_personal_numbers_entirely(text):
    scrubbed = recording.scrub(text)
    assert recording.NUMBER_MARK in scrubbed
    assert not re.search(r"\d{3,}", scrubbed), scrubbed
    assert "一三九" not in scrubbed and "example" not in scrubbed
    assert not re.search(r"\d", recording.normalized_query(text))


def test_scrub_keeps_ordinary_words_and_small_numbers():
    assert recording.scrub("60岁 老年证") == "60岁 老年证"
    assert recording.scrub("2024年 社保 缴费") == "2024年 社保 缴费"
    assert recording.normalized_query("  社保卡 补办？ ") == "社保卡补办"


def test_a_search_with_an_id_number_and_a_phone_number_keeps_neither(items):
    search_log.record_search(f"{ID_NUMBER} 低保 {MOBILE}", region_code="511602", result_count=1)
    [row] = rows()
    stored = " ".join(str(v) for v in SearchQuery.objects.values_list().get())
    for number in (ID_NUMBER, MOBILE):
        assert number not in stored
        # neither whole nor in part: no run of four of its digits is anywhere in the row's text
        for start in range(len(number) - 3):
            assert number[start : start + 4] not in row.query + row.normalized
    assert row.normalized == "低保"
    assert row.query == f"{recording.NUMBER_MARK} 低保 {recording.NUMBER_MARK}"


def test_nothing_says_who_searched():
    fields = {f.name for f in SearchQuery._meta.get_fields()} | {
        f.name for f in SearchClick._meta.get_fields()
    }
    assert fields == {
        "id", "key", "day", "region_code", "normalized", "query", "searches",
        "zero_result_searches", "result_count", "query_key", "item_code", "clicks",
    }  # fmt: skip


def test_searches_of_one_query_region_and_day_add_up_in_one_row():
    search_log.record_search("低保", region_code="511602", result_count=0)
    search_log.record_search(" 低保 ", region_code="511602", result_count=0)
    search_log.record_search("低保", region_code="511602", result_count=3, count=True)
    search_log.record_search("低保", region_code="", result_count=5)
    search_log.record_search("低保", region_code="511602", result_count=3, count=False)
    by_region = {r.region_code: r for r in rows()}
    assert set(by_region) == {"511602", ""}
    county = by_region["511602"]
    assert (county.searches, county.zero_result_searches, county.result_count) == (3, 2, 3)
    assert county.day == timezone.localdate()
    assert by_region[""].searches == 1


def test_a_query_of_nothing_but_a_number_is_not_logged():
    assert search_log.record_search(MOBILE, region_code="", result_count=0) is None
    assert rows() == []


def test_counts_wait_in_the_process_until_flushed(settings):
    settings.TONGBAN_SEARCH_LOG_SECONDS = 3600
    try:
        search_log.record_search("养狗", region_code="", result_count=0)
        search_log.record_search("养狗", region_code="", result_count=0)
        key = search_log.record_search("养狗", region_code="", result_count=0)
        search_log.record_click(key, "X1")
        assert rows() == [] and not SearchClick.objects.exists()
        search_log.flush()
        [row] = rows()
        assert row.searches == 3 and row.zero_result_searches == 3
        assert SearchClick.objects.get().clicks == 1
    finally:
        search_log.flush()


def test_many_waiting_queries_are_written_without_waiting(settings, monkeypatch):
    settings.TONGBAN_SEARCH_LOG_SECONDS = 3600
    monkeypatch.setattr(recording, "MAX_PENDING", 3)
    try:
        for word in ("一", "二", "三"):
            search_log.record_search(f"办证{word}", region_code="", result_count=1)
        assert len(rows()) == 3
    finally:
        search_log.flush()


def test_a_click_counts_only_with_a_key_signed_here():
    signed = search_log.record_search("低保", region_code="", result_count=1)
    key = search_log.unsign_key(signed)
    assert search_log.record_click(signed, "ITEM1") is True
    assert search_log.record_click(signed, "ITEM1") is True
    assert search_log.record_click(f"{key}:forged", "ITEM1") is False
    assert search_log.record_click(key, "ITEM1") is False
    assert search_log.record_click(None, "ITEM1") is False
    [click] = SearchClick.objects.all()
    assert (click.query_key, click.item_code, click.clicks) == (key, "ITEM1", 2)
    assert rows()[0].key == key


# ---------------------------------------------------------------------------------------------
# The admin's lists


def logged(text: str, day: dt.date, *, searches: int = 1, results: int = 0, region: str = "") -> SearchQuery:
    normalized = recording.normalized_query(text)
    return SearchQuery.objects.create(
        key=recording.query_key(day.isoformat(), region, normalized),
        day=day,
        region_code=region,
        normalized=normalized,
        query=recording.scrub(text),
        searches=searches,
        zero_result_searches=searches if results == 0 else 0,
        result_count=results,
    )


WEDNESDAY = dt.date(2026, 12, 2)


def test_periods():
    assert selectors.period_range("week", WEDNESDAY) == (dt.date(2026, 11, 30), WEDNESDAY)
    assert selectors.period_range("last_week", WEDNESDAY) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert selectors.period_range("30d", WEDNESDAY) == (dt.date(2026, 11, 3), WEDNESDAY)
    assert selectors.period_range("today", WEDNESDAY) == (WEDNESDAY, WEDNESDAY)
    assert selectors.period_range("nonsense", WEDNESDAY) == selectors.period_range("week", WEDNESDAY)


def test_zero_result_queries_most_frequent_first_within_the_period():
    monday = dt.date(2026, 11, 30)
    logged("养狗要办证吗", monday, searches=2)
    logged("养狗要办证吗", WEDNESDAY, searches=3, region="511602")
    logged("开小卖部", WEDNESDAY, searches=4)
    logged("社保卡", WEDNESDAY, searches=9, results=3)
    logged("上周的词", dt.date(2026, 11, 27), searches=20)
    start, end = selectors.period_range("week", WEDNESDAY)
    found = selectors.zero_result_queries(start, end)
    assert [(q.normalized, q.zero_result_searches) for q in found] == [("养狗要办证吗", 5), ("开小卖部", 4)]
    assert found[0].last_day == WEDNESDAY
    last = selectors.zero_result_queries(*selectors.period_range("last_week", WEDNESDAY))
    assert [q.normalized for q in last] == ["上周的词"]


def test_a_reviewed_query_leaves_the_list_until_searched_again_on_a_later_day(admin):
    logged("开小卖部", WEDNESDAY, searches=4)
    start, end = selectors.period_range("week", WEDNESDAY)
    services.review_query(actor=admin, normalized="开小卖部", outcome="ignored")
    review = SearchQueryReview.objects.get()
    review.reviewed_at = timezone.make_aware(dt.datetime(2026, 12, 2, 15, 0))
    review.save()
    assert selectors.zero_result_queries(start, end) == []
    [shown] = selectors.zero_result_queries(start, end, include_reviewed=True)
    assert shown.outcome == "已忽略"
    logged("开小卖部", dt.date(2026, 12, 3))
    later = selectors.zero_result_queries(*selectors.period_range("week", dt.date(2026, 12, 3)))
    assert [q.normalized for q in later] == ["开小卖部"] and later[0].open


def test_no_click_queries_are_those_with_results_that_nobody_opened():
    opened = logged("社保卡", WEDNESDAY, searches=9, results=3)
    logged("医保", WEDNESDAY, searches=5, results=2)
    logged("没结果", WEDNESDAY, searches=7, results=0)
    SearchClick.objects.create(query_key=opened.key, item_code="X", day=WEDNESDAY, clicks=1)
    found = selectors.no_click_queries(*selectors.period_range("week", WEDNESDAY))
    assert [(q.normalized, q.searches, q.result_count) for q in found] == [("医保", 5, 2)]


def test_open_zero_result_count_is_this_weeks_open_queries(admin):
    today = timezone.localdate()
    logged("一个", today)
    logged("两个", today)
    assert selectors.open_zero_result_count() == 2
    services.review_query(actor=admin, normalized="两个", outcome="reviewed")
    assert selectors.open_zero_result_count() == 1


# ---------------------------------------------------------------------------------------------
# Services and their refusals


def test_who_may_review(department, admin):
    assert selectors.can_review(admin)
    assert selectors.can_review(staff_in(department, StaffRole.PLATFORM_ADMIN))
    assert not selectors.can_review(staff_in(department, StaffRole.INTAKE, StaffRole.SUPERVISOR))
    assert not selectors.can_review(CitizenFactory())
    assert not selectors.can_review(None)


def test_add_synonym_teaches_search_at_once(items, admin):
    # A made-up phrase: no shipped dictionary entry may already explain it.
    logged("魃魈魍魉", timezone.localdate())
    assert search_items("魃魈魍魉").total == 0
    synonym = services.add_synonym(actor=admin, phrase=" 魃魈 魍魉？ ", expansions="最低生活保障， 审核")
    assert (synonym.phrase, synonym.expansions) == ("魃魈魍魉", "最低生活保障 审核")
    assert [h.item.name for h in search_items("魃魈魍魉").hits][:1] == ["最低生活保障审核确认"]
    assert SearchQueryReview.objects.get(normalized="魃魈魍魉").outcome == "synonym"


def test_add_synonym_replaces_an_existing_entry(items, admin):
    SearchSynonymFactory(phrase="魃魈", expansions="犬类准养证")
    services.add_synonym(actor=admin, phrase="魃魈", expansions="犬")
    assert SearchSynonym.objects.get(phrase="魃魈").expansions == "犬"


@pytest.mark.parametrize(
    ("phrase", "expansions", "message"),
    [
        ("", "最低生活保障", "请填写群众说法"),
        ("？？", "最低生活保障", "请填写群众说法"),
        ("低保" * 31, "最低生活保障", "最多 60 个字"),
        ("魃魈", "", "请填写对应的规范用语"),
        ("魃魈", " ， 、", "请填写对应的规范用语"),
        ("魃魈", "最" * 31, "规范用语太长"),
        ("魃魈", "魃 魈", "不需要同义词"),
        ("魃魈", "最低生活保障 魑魅魍魉", "“魑魅魍魉”在已发布的事项中找不到"),
    ],
)
def test_bad_synonyms_are_refused_in_chinese_and_change_nothing(items, admin, phrase, expansions, message):
    before = list(SearchSynonym.objects.values_list("phrase", "expansions"))
    with pytest.raises(InvalidInput) as refused:
        services.add_synonym(actor=admin, phrase=phrase, expansions=expansions)
    assert message in refused.value.message
    assert list(SearchSynonym.objects.values_list("phrase", "expansions")) == before
    assert not SearchQueryReview.objects.exists()


@pytest.mark.parametrize("who", ["intake", "citizen", "anonymous"])
def test_only_catalogue_admins_add_synonyms_or_review(items, department, who):
    logged("开小卖部", timezone.localdate())
    actor = {
        "intake": lambda: staff_in(department, StaffRole.INTAKE, StaffRole.REVIEW, StaffRole.SUPERVISOR),
        "citizen": CitizenFactory,
        "anonymous": lambda: None,
    }[who]()
    with pytest.raises(PermissionDenied):
        services.add_synonym(actor=actor, phrase="魃魈", expansions="最低生活保障")
    with pytest.raises(PermissionDenied):
        services.review_query(actor=actor, normalized="开小卖部", outcome="ignored")
    assert not SearchSynonym.objects.filter(phrase="魃魈").exists()
    assert not SearchQueryReview.objects.exists()


@pytest.mark.parametrize(
    ("normalized", "outcome", "message"),
    [
        ("开小卖部", "synonym", "处理结果只能是"),
        ("开小卖部", "", "处理结果只能是"),
        ("从没搜过", "ignored", "检索记录里没有这条检索词"),
        ("", "reviewed", "检索记录里没有这条检索词"),
    ],
)
def test_bad_reviews_are_refused(admin, normalized, outcome, message):
    logged("开小卖部", timezone.localdate())
    with pytest.raises(InvalidInput) as refused:
        services.review_query(actor=admin, normalized=normalized, outcome=outcome)
    assert message in refused.value.message
    assert not SearchQueryReview.objects.exists()


def test_under_the_tests_counts_wait_for_an_explicit_flush(settings, monkeypatch):
    del settings.TONGBAN_SEARCH_LOG_SECONDS
    search_log.record_search("养狗", region_code="", result_count=0)
    assert rows() == []
    search_log.flush()
    assert rows()[0].searches == 1
    monkeypatch.setattr(recording, "MAX_PENDING", 2)
    search_log.record_search("办证一", region_code="", result_count=1)
    search_log.record_search("办证二", region_code="", result_count=1)  # too many waiting: dropped
    search_log.flush()
    assert len(rows()) == 1


def test_counts_older_than_the_retention_are_forgotten_by_the_tick():
    from tongban.core import periodic

    today = dt.date(2026, 12, 3)
    old = logged("旧词", today - dt.timedelta(days=services.RETENTION_DAYS + 1))
    kept = logged("新词", today - dt.timedelta(days=services.RETENTION_DAYS))
    SearchClick.objects.create(query_key=old.key, item_code="X", day=old.day, clicks=1)
    assert services.expire_old(today) == 2
    assert list(SearchQuery.objects.all()) == [kept]
    assert not SearchClick.objects.exists()
    assert "catalog.search_log_expire" in periodic._DUTIES


def test_at_exit_the_tests_counts_are_dropped_not_written(settings):
    del settings.TONGBAN_SEARCH_LOG_SECONDS
    search_log.record_search("养狗", region_code="", result_count=0)
    recording._flush_at_exit()
    search_log.flush()
    assert rows() == []


def test_at_exit_a_servers_counts_are_written(settings):
    settings.TONGBAN_SEARCH_LOG_SECONDS = 3600
    search_log.record_search("养狗", region_code="", result_count=0)
    recording._flush_at_exit()
    assert rows()[0].searches == 1
