"""Rendered search and guide pages shared between anonymous visitors through the database cache."""

import re

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import MaterialRequirementFactory, UserFactory
from tongban.catalog.models import ServiceItem
from tongban.catalog.search import rebuild_index
from tongban.catalog.search.signals import index_updated
from tongban.web import pagecache
from tongban.web.middleware import ELDERLY_COOKIE, REGION_COOKIE

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'<script [^>]*nonce="([^"]+)"')


def search_url(q: str = "身份证") -> str:
    return reverse("web:search") + "?q=" + q


def guide_url(item: ServiceItem) -> str:
    return reverse("web:item", args=[item.code])


def rendered_guide(response) -> bool:
    """Whether the guide template itself was rendered (live fragments are, on every answer)."""
    return "web/item_detail.html" in [t.name for t in response.templates]


@pytest.fixture
def page_keys(monkeypatch):
    """The cache keys of the pages asked for, in order (the key hashes the whole request)."""
    keys: list[str] = []
    real = pagecache.page_key

    def recorded(request, scope):
        keys.append(real(request, scope))
        return keys[-1]

    monkeypatch.setattr(pagecache, "page_key", recorded)
    return keys


def stored_keys() -> list[str]:
    """Every key in the ``pages`` alias's database table, as the cache made them."""
    cache = caches[pagecache.CACHE_ALIAS]
    table = connection.ops.quote_name(cache._table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")
        return sorted(row[0] for row in cursor.fetchall())


def made(key: str) -> str:
    return caches[pagecache.CACHE_ALIAS].make_key(key)


def test_second_search_is_served_from_the_cache(client, catalogue, django_assert_max_num_queries):
    first = client.get(search_url())
    assert first.status_code == 200
    assert first.context is not None  # rendered
    with django_assert_max_num_queries(1):
        second = Client().get(search_url())
    assert second.status_code == 200
    assert second.context is None  # not rendered again
    assert second.content.decode().count("补领") == first.content.decode().count("补领") > 0
    assert "<mark>" in second.content.decode()


def test_cached_page_gets_this_visitors_csrf_token_and_nonce(catalogue):
    Client().get(search_url())
    client = Client(enforce_csrf_checks=True)
    response = client.get(search_url())
    html = response.content.decode()
    assert response.context is None
    assert pagecache.CSRF_MARK not in html and pagecache.NONCE_MARK not in html
    tokens = set(CSRF_INPUT.findall(html))
    nonces = set(NONCE.findall(html))
    assert len(tokens) == 1 and len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in response.headers["Content-Security-Policy"]
    # The token works for this visitor's own preference form.
    answer = client.post(reverse("web:set_elderly"), {"elderly": "1", "csrfmiddlewaretoken": tokens.pop()})
    assert answer.status_code == 302


def test_two_visitors_never_share_a_token(catalogue):
    Client().get(search_url())
    one = CSRF_INPUT.findall(Client().get(search_url()).content.decode())
    two = CSRF_INPUT.findall(Client().get(search_url()).content.decode())
    assert one and two and one[0] != two[0]


def test_signed_in_visitors_bypass_the_cache(catalogue):
    user = UserFactory(username="zhangsan")
    signed_in = Client()
    signed_in.force_login(user)
    mine = signed_in.get(search_url())
    assert mine.context is not None
    assert user.display_name in mine.content.decode()
    anonymous = Client().get(search_url())
    assert anonymous.context is not None  # nothing was stored for the signed-in visitor
    assert user.display_name not in anonymous.content.decode()
    again = signed_in.get(search_url())
    assert again.context is not None  # and nothing is served to them from the cache
    assert user.display_name in again.content.decode()


@pytest.mark.parametrize(
    "cookies",
    [{ELDERLY_COOKIE: "1"}, {REGION_COOKIE: "511602"}, {"django_language": "en"}],
)
def test_preferences_are_part_of_the_key(catalogue, cookies):
    plain = Client().get(search_url())
    other = Client()
    for name, value in cookies.items():
        other.cookies[name] = value
    response = other.get(search_url())
    assert response.context is not None
    assert response.content != plain.content
    assert Client().get(search_url()).context is None


def test_other_query_strings_are_other_pages(catalogue):
    Client().get(search_url())
    response = Client().get(search_url() + "&audience=enterprise")
    assert response.context is not None
    assert "补领" not in response.content.decode()


def test_item_change_is_shown_at_once(catalogue):
    item = catalogue.guide_item
    Client().get(search_url())
    Client().get(guide_url(item))
    item.name = "居民身份证补领（新）"
    item.save()
    assert "补领（新）" in Client().get(search_url()).content.decode()
    assert "居民身份证补领（新）" in Client().get(guide_url(item)).content.decode()


def test_material_change_is_shown_on_the_guide(catalogue):
    item = catalogue.guide_item
    Client().get(guide_url(item))
    MaterialRequirementFactory(item=item, name="结婚证复印件")
    response = Client().get(guide_url(item))
    assert rendered_guide(response)
    assert "结婚证复印件" in response.content.decode()


def test_withdrawn_item_is_not_served_from_the_cache(catalogue):
    item = catalogue.guide_item
    assert Client().get(guide_url(item)).status_code == 200
    # Even a change that sends no signal (a queryset update) ends the cached guide.
    ServiceItem.objects.filter(pk=item.pk).update(status=ServiceItem.Status.WITHDRAWN)
    assert Client().get(guide_url(item)).status_code == 404


def test_guide_of_a_new_version_is_rendered_again(catalogue):
    item = catalogue.guide_item
    Client().get(guide_url(item))
    ServiceItem.objects.filter(pk=item.pk).update(version=item.version + 1, summary="新的事项简介。")
    response = Client().get(guide_url(item))
    assert rendered_guide(response)
    assert "新的事项简介。" in response.content.decode()


def test_error_answers_are_not_kept(catalogue):
    long_query = "长" * 101
    first = Client().get(search_url(long_query))
    assert first.status_code == 400
    second = Client().get(search_url(long_query))
    assert second.status_code == 400
    assert second.context is not None


def test_index_rebuild_replaces_the_version(catalogue):
    before = pagecache.catalogue_version()
    rebuild_index()
    assert pagecache.catalogue_version() != before


def test_indexer_announces_what_it_indexed(catalogue):
    seen = []

    def listener(sender, item_ids, **kwargs):
        seen.append(item_ids)

    index_updated.connect(listener)
    try:
        from tongban.catalog.search import index_items

        index_items([catalogue.food_item.pk])
        rebuild_index()
    finally:
        index_updated.disconnect(listener)
    assert seen == [[catalogue.food_item.pk], None]


def test_version_is_replaced_again_after_commit(catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        before = pagecache.catalogue_version()
        pagecache.bump_catalogue_version()
        inside = pagecache.catalogue_version()
    assert inside != before
    assert len(callbacks) == 1
    callbacks[0]()
    assert pagecache.catalogue_version() not in (before, inside)


def test_lost_version_starts_a_new_one(catalogue):
    Client().get(search_url())
    assert caches["pages"].delete(pagecache.VERSION_KEY)  # evicted, or the cache emptied
    assert Client().get(search_url()).context is not None
    assert Client().get(search_url()).context is None


def test_new_rating_is_shown_on_a_kept_guide(catalogue):
    """Ratings change without the catalogue: counted in the stamp, and rendered for every answer."""
    from tongban.ratings.models import Rating

    item = catalogue.guide_item
    assert "暂无评价" in Client().get(guide_url(item)).content.decode()
    rating = Rating.objects.create(
        department=item.department, item=item, region_code=item.region_code, channel="online", level=5
    )
    assert "满意率 100.0%" in Client().get(guide_url(item)).content.decode()
    kept = Client().get(guide_url(item))
    assert not rendered_guide(kept) and "满意率 100.0%" in kept.content.decode()
    # A changed level keeps the count (and the kept page) but shows at once.
    Rating.objects.filter(pk=rating.pk).update(level=1)
    changed = Client().get(guide_url(item))
    html = changed.content.decode()
    assert not rendered_guide(changed)
    assert "满意率 0.0%" in html and "tblivemark" not in html
    # An appeal excludes a rating with a queryset update (no signal): shown at once too.
    Rating.objects.filter(pk=rating.pk).update(excluded=True)
    assert "暂无评价" in Client().get(guide_url(item)).content.decode()


def test_guide_rendered_for_the_cache_equals_the_direct_rendering(catalogue):
    """The kept copy with its live parts put in is the page a signed-in visitor would get."""
    item = catalogue.guide_item
    kept = Client().get(guide_url(item))
    served = Client().get(guide_url(item))
    assert rendered_guide(kept) and not rendered_guide(served)
    assert served.content.decode().count('id="ratings"') == 1
    assert kept.content.decode().count('id="ratings"') == 1


def test_expired_entries_are_rendered_again(catalogue, page_keys):
    Client().get(search_url())
    assert caches["pages"].touch(page_keys[-1], 0)  # its time is up, the entry still there
    assert made(page_keys[-1]) in stored_keys()
    assert Client().get(search_url()).context is not None
    assert Client().get(search_url()).context is None


def test_cull_removes_expired_then_the_soonest_expiring(catalogue, settings, page_keys):
    """Culling is the database cache's own, bounded by the ``pages`` alias's ``MAX_ENTRIES``.

    A store that finds more entries than that removes the expired ones first and, if still too
    many, a third of the rest in key order (Django culls by key, not by expiry: the soonest-expiring
    entry is not singled out). What Django guarantees, and this checks: expired entries go
    before live ones, and the table never holds more than ``MAX_ENTRIES`` + 1 entries. The
    catalogue version's key sorts after every page's, so culling takes pages, not the version.
    """
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tongban_pages",
            "TIMEOUT": 600,
            "OPTIONS": {"MAX_ENTRIES": 4},
        },
    }
    cache = caches["pages"]
    cache.clear()
    for key in ("zz-expired-0", "zz-expired-1"):  # sort after every live key
        cache.set(key, "old", 0)
    queries = ["身份证", "营业执照", "食品"]
    for q in queries:
        Client().get(search_url(q))
    # The third store found five entries: the two expired ones went, no live one.
    assert stored_keys() == sorted([made(pagecache.VERSION_KEY), *(made(key) for key in page_keys)])
    for q in queries:
        assert Client().get(search_url(q)).context is None
    for n in range(6):
        Client().get(search_url(f"证明{n}"))
        assert len(stored_keys()) <= 4 + 1
        assert made(pagecache.VERSION_KEY) in stored_keys()
        assert Client().get(search_url(f"证明{n}")).context is None


def test_clear_drops_every_page(catalogue, page_keys):
    Client().get(search_url())
    Client().get(search_url("营业执照"))
    assert all(caches["pages"].get(key) is not None for key in page_keys)
    pagecache.clear()
    assert all(caches["pages"].get(key) is None for key in page_keys)
    assert Client().get(search_url()).context is not None


def test_a_stored_page_is_replaced_not_duplicated(catalogue, page_keys):
    Client().get(search_url())
    pagecache.bump_catalogue_version()
    Client().get(search_url())
    assert len(set(page_keys)) == 1
    # One entry: the page as rendered at the new version (the version is inside the value).
    assert caches["pages"].get(page_keys[0])[0] == pagecache.catalogue_version()
    assert stored_keys() == sorted([made(page_keys[0]), made(pagecache.VERSION_KEY)])


def test_unrated_guide_shows_the_ratings_apps_own_empty_summary(catalogue):
    from tongban.ratings.templatetags.tongban_ratings import item_ratings

    item = catalogue.guide_item
    expected = render_to_string("ratings/_item_summary.html", item_ratings(item))
    for _ in range(2):  # rendered for the cache, then served from it
        assert expected in Client().get(guide_url(item)).content.decode()


def test_rating_on_another_item_leaves_this_guide_kept(catalogue):
    from tongban.ratings.models import Rating

    item, other = catalogue.guide_item, catalogue.food_item
    Client().get(guide_url(item))
    Rating.objects.create(
        department=other.department, item=other, region_code=other.region_code, channel="online", level=1
    )
    response = Client().get(guide_url(item))
    assert not rendered_guide(response)
    assert "暂无评价" in response.content.decode()


@pytest.fixture
def local_layer(settings):
    """The per-process layer switched on (the test settings keep it off)."""
    settings.TONGBAN_PAGECACHE_LOCAL_SECONDS = 60
    pagecache.forget_local()
    yield
    pagecache.forget_local()


def test_a_remembered_search_page_costs_no_query(catalogue, local_layer, django_assert_num_queries):
    first = Client().get(search_url())
    assert first.context is not None
    with django_assert_num_queries(0):
        second = Client().get(search_url())
    assert second.context is None
    assert second.content.decode().count("补领") == first.content.decode().count("补领") > 0
    tokens = set(CSRF_INPUT.findall(second.content.decode()))
    assert len(tokens) == 1 and pagecache.CSRF_MARK not in second.content.decode()


def test_a_change_in_this_process_is_shown_at_once(catalogue, local_layer):
    Client().get(search_url())
    item = catalogue.food_item
    item.summary = "本进程刚改的简介"
    item.save()
    response = Client().get(search_url())
    assert response.context is not None  # the remembered page was forgotten with the change


def test_another_process_change_is_seen_when_the_window_ends(catalogue, local_layer, settings):
    Client().get(search_url())
    # Another process replaced the version: not visible here until the window ends…
    caches["pages"].set(pagecache.VERSION_KEY, "changed-elsewhere", None)
    assert Client().get(search_url()).context is None
    # …after which the database is asked again and the page rendered anew.
    settings.TONGBAN_PAGECACHE_LOCAL_SECONDS = 0.000001
    assert Client().get(search_url()).context is not None


def test_guides_are_never_remembered_in_the_process(catalogue, local_layer, django_assert_num_queries):
    item = catalogue.guide_item
    Client().get(guide_url(item))
    response = Client().get(guide_url(item))
    assert not rendered_guide(response)
    from tongban.ratings.models import Rating

    Rating.objects.create(
        department=item.department, item=item, region_code=item.region_code, channel="online", level=5
    )
    assert "满意率 100.0%" in Client().get(guide_url(item)).content.decode()
