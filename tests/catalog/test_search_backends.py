"""The database side of search: the most popular matches and the count of all of them."""

import pytest

from tests.factories import PublishedItemFactory
from tongban.catalog.search.backends import Term, count_matches, fetch_popular_with_total

pytestmark = pytest.mark.django_db


@pytest.fixture
def matches():
    items = [
        PublishedItemFactory(name=f"渔业捕捞许可{i}", popularity=p) for i, p in enumerate([5, 50, 20, 40, 10])
    ]
    PublishedItemFactory(name="林木采伐许可", popularity=99)
    return items


def test_most_popular_first_and_every_match_counted(matches):
    node = Term("捕捞", ("grams",))
    candidates, total = fetch_popular_with_total(node, 3)
    assert [c.popularity for c in candidates] == [50, 40, 20]
    assert total == 5 == count_matches(node)


def test_all_matches_when_they_fit(matches):
    candidates, total = fetch_popular_with_total(Term("捕捞", ("grams",)), 10)
    assert sorted(c.item_id for c in candidates) == sorted(i.pk for i in matches)
    assert total == 5


def test_nothing_matches():
    assert fetch_popular_with_total(Term("捕捞", ("grams",)), 10) == ([], 0)
