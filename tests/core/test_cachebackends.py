"""The database cache's one-statement ``set``: what Django's backend reads back, bounded, safe in a transaction."""

import pytest
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tongban.core.cachebackends import DatabaseCache

pytestmark = pytest.mark.django_db(transaction=True)


def backend(**options):
    return DatabaseCache("tongban_cache", {"TIMEOUT": 600, "OPTIONS": options})


@pytest.fixture(autouse=True)
def empty_table():
    backend().clear()
    yield
    backend().clear()


def test_a_set_after_the_first_is_one_statement():
    cache = backend(CULL_EVERY=50)
    cache.set("first", 1)
    with CaptureQueriesContext(connection) as queries:
        cache.set("page", {"html": "<p>办事指南</p>"})
        cache.set("page", {"html": "<p>新版</p>"})
    assert len(queries) == 2
    assert all(q["sql"].lstrip().upper().startswith("INSERT") for q in queries.captured_queries)


def test_what_it_writes_django_reads_and_overwrites():
    ours = backend()
    django = DjangoDatabaseCache("tongban_cache", {"TIMEOUT": 600})
    ours.set("key", ("版本", 3, b"\x00bytes"))
    assert django.get("key") == ("版本", 3, b"\x00bytes")
    ours.set("key", "second")
    assert ours.get("key") == "second"
    assert django.get("key") == "second"
    assert ours.add("key", "not kept") is False
    ours.set("forever", "kept", None)
    assert ours.get("forever") == "kept"


def test_a_zero_timeout_stores_an_expired_entry():
    cache = backend()
    cache.set("gone", "x", 0)
    assert cache.get("gone") is None
    assert cache.add("gone", "fresh") is True
    assert cache.get("gone") == "fresh"


def count_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM tongban_cache")
        return cursor.fetchone()[0]


def test_the_table_is_culled_when_checked():
    cache = backend(MAX_ENTRIES=4, CULL_FREQUENCY=2, CULL_EVERY=1)
    for n in range(12):
        cache.set(f"k{n:02d}", n)
        # Checked on every set here: never more than MAX_ENTRIES + 1 rows (Django's own bound).
        assert count_rows() <= 5
    assert cache.get("k11") == 11


def test_culling_is_checked_only_every_cull_every_sets():
    cache = backend(MAX_ENTRIES=2, CULL_FREQUENCY=2, CULL_EVERY=5)
    for n in range(5):
        cache.set(f"k{n}", n)
    assert count_rows() == 5  # first set checked (empty table); the next four did not count
    cache.set("k5", 5)  # the sixth set checks: 5 > 2, half of them go before it is written
    assert count_rows() < 5


def test_a_failed_write_inside_a_transaction_leaves_the_transaction_usable():
    cache = DatabaseCache("no_such_table", {"TIMEOUT": 600, "OPTIONS": {"CULL_EVERY": 2}})
    cache._sets_since_check = 1  # skip the count, which would fail before the write
    with transaction.atomic():
        assert cache.set("key", "value") is None
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone()[0] == 1


def test_a_failed_write_outside_a_transaction_is_not_the_callers_error():
    cache = DatabaseCache("no_such_table", {"TIMEOUT": 600, "OPTIONS": {"CULL_EVERY": 2}})
    cache._sets_since_check = 1
    cache.set("key", "value")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
