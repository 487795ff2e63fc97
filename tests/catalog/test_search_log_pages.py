"""检索词分析 pages: the catalogue admin's weekly list, add-as-synonym and mark-as-dealt-with,
the workbench tile, and who is refused."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified, region_chain
from tests.identity.factories import CitizenFactory, staff_in
from tongban.catalog import search_log
from tongban.catalog.models import SearchQuery, SearchQueryReview, SearchSynonym
from tongban.catalog.search import rebuild_index
from tongban.identity.models import StaffRole

pytestmark = pytest.mark.django_db

NONSENSE = "魃魈魍魉"  # no dictionary explains it, so it finds nothing until an admin says what it means


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
def item(department):
    made = PublishedItemFactory(name="最低生活保障审核确认", department=department)
    rebuild_index()
    return made


@pytest.fixture
def admin(client, department):
    user = staff_in(department, StaffRole.CATALOGUE)
    login_verified(client, user)
    return user


def searched(client, text: str, times: int = 1) -> None:
    for _ in range(times):
        client.get(reverse("web:search"), {"q": text})


def test_the_list_shows_zero_result_queries_most_frequent_first(client, item, admin):
    searched(client, NONSENSE, 3)
    searched(client, "魑魅", 1)
    searched(client, "最低生活保障", 2)  # found, never opened
    response = client.get(reverse("catalog:search_queries"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(NONSENSE) < html.index("魑魅")
    assert "3 次无结果" in html
    assert [q.normalized for q in response.context["no_clicks"]] == ["最低生活保障"]
    assert f"phrase={NONSENSE}" in html or "phrase=%E9%AD%83" in html


def test_the_period_is_selectable(client, item, admin):
    SearchQuery.objects.create(
        key="a" * 32,
        day=timezone.localdate() - timezone.timedelta(days=20),
        normalized="旧词",
        query="旧词",
        searches=4,
        zero_result_searches=4,
        result_count=0,
    )
    assert "旧词" not in client.get(reverse("catalog:search_queries")).content.decode()
    assert "旧词" in client.get(reverse("catalog:search_queries"), {"period": "30d"}).content.decode()
    bad = client.get(reverse("catalog:search_queries"), {"period": "forever"})
    assert bad.status_code == 200 and bad.context["period"] == "week"


def test_add_as_synonym_from_the_list_and_the_next_search_finds_the_item(client, item, admin):
    searched(client, NONSENSE, 2)
    form = client.get(reverse("catalog:search_synonym"), {"phrase": NONSENSE})
    assert form.status_code == 200
    assert f'value="{NONSENSE}"' in form.content.decode()
    answer = client.post(
        reverse("catalog:search_synonym"),
        {"phrase": NONSENSE, "expansions": "最低生活保障", "back": reverse("catalog:search_queries")},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("catalog:search_queries")
    assert SearchSynonym.objects.get(phrase=NONSENSE).expansions == "最低生活保障"
    found = client.get(reverse("web:search"), {"q": NONSENSE})
    assert [h.item for h in found.context["result"].hits] == [item]
    listing = client.get(reverse("catalog:search_queries"))
    assert NONSENSE not in [q.normalized for q in listing.context["zero_results"]]
    assert "已保存同义词" in listing.content.decode()


def test_the_form_shows_an_existing_entry_to_change(client, item, admin):
    SearchSynonym.objects.create(phrase="魃魈", expansions="最低生活保障")
    form = client.get(reverse("catalog:search_synonym"), {"phrase": "魃魈"})
    assert 'value="最低生活保障"' in form.content.decode()


@pytest.mark.parametrize(
    ("expansions", "message"),
    [("", "这个字段是必填项"), ("魍魉魑魅", "在已发布的事项中找不到"), (NONSENSE, "不需要同义词")],
)
def test_bad_synonym_input_gets_a_chinese_error_and_changes_nothing(client, item, admin, expansions, message):
    searched(client, NONSENSE)
    before = list(SearchSynonym.objects.values_list("phrase", "expansions"))
    answer = client.post(reverse("catalog:search_synonym"), {"phrase": NONSENSE, "expansions": expansions})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert list(SearchSynonym.objects.values_list("phrase", "expansions")) == before
    assert not SearchQueryReview.objects.exists()


def test_mark_reviewed_or_ignored(client, item, admin):
    searched(client, NONSENSE)
    searched(client, "魑魅")
    back = reverse("catalog:search_queries") + "?period=30d"
    answer = client.post(
        reverse("catalog:search_query_review"), {"normalized": NONSENSE, "outcome": "ignored", "back": back}
    )
    assert answer.status_code == 302 and answer["Location"] == back
    assert SearchQueryReview.objects.get(normalized=NONSENSE).outcome == "ignored"
    listing = client.get(back)
    assert [q.normalized for q in listing.context["zero_results"]] == ["魑魅"]
    everything = client.get(back + "&reviewed=1")
    assert "已忽略" in everything.content.decode()


def test_a_bad_review_gets_a_message_and_changes_nothing(client, item, admin):
    searched(client, NONSENSE)
    answer = client.post(
        reverse("catalog:search_query_review"), {"normalized": NONSENSE, "outcome": "delete"}, follow=True
    )
    assert "处理结果只能是" in answer.content.decode()
    offsite = client.post(
        reverse("catalog:search_query_review"),
        {"normalized": "从没搜过", "outcome": "ignored", "back": "https://evil.example/"},
    )
    assert offsite["Location"] == reverse("catalog:search_queries")
    assert not SearchQueryReview.objects.exists()


def test_the_workbench_tile_counts_this_weeks_open_zero_result_queries(client, item, admin):
    searched(client, NONSENSE)
    searched(client, "魑魅")
    html = client.get(reverse("identity:staff_home")).content.decode()
    assert reverse("catalog:search_queries") in html
    assert "本周 2 个无结果检索词待处理" in html
    client.post(reverse("catalog:search_query_review"), {"normalized": "魑魅", "outcome": "reviewed"})
    assert "本周 1 个无结果检索词待处理" in client.get(reverse("identity:staff_home")).content.decode()


def test_other_staff_see_no_tile(client, item, department):
    login_verified(client, staff_in(department, StaffRole.INTAKE))
    assert (
        reverse("catalog:search_queries") not in client.get(reverse("identity:staff_home")).content.decode()
    )


PAGES = [
    ("get", "catalog:search_queries", {}),
    ("get", "catalog:search_synonym", {"phrase": NONSENSE}),
    ("post", "catalog:search_synonym", {"phrase": NONSENSE, "expansions": "最低生活保障"}),
    ("post", "catalog:search_query_review", {"normalized": NONSENSE, "outcome": "ignored"}),
]


@pytest.mark.parametrize(("method", "name", "data"), PAGES)
@pytest.mark.parametrize("who", ["anonymous", "citizen", "intake", "supervisor"])
def test_only_catalogue_admins_get_in(client, item, department, method, name, data, who):
    search_log.record_search(NONSENSE, result_count=0)
    if who == "citizen":
        client.force_login(CitizenFactory())
    elif who != "anonymous":
        role = StaffRole.INTAKE if who == "intake" else StaffRole.SUPERVISOR
        login_verified(client, staff_in(department, role, StaffRole.REVIEW, StaffRole.DECIDE))
    answer = getattr(client, method)(reverse(name), data)
    if who == "anonymous":
        assert answer.status_code == 302 and "/login/" in answer["Location"]
    else:
        assert answer.status_code == 403
        assert NONSENSE not in answer.content.decode()
    assert not SearchSynonym.objects.filter(phrase=NONSENSE).exists()
    assert not SearchQueryReview.objects.exists()


def test_review_only_by_post(client, item, admin):
    assert client.get(reverse("catalog:search_query_review")).status_code == 405
