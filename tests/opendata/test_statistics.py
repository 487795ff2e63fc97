"""The published case statistics: built from 电子监察's rollups, small cells suppressed."""

import datetime as dt

import pytest
from django.utils import timezone

from tongban.opendata import services
from tongban.opendata.datasets import CASE_STATISTICS
from tongban.opendata.models import Dataset, StatisticsRow
from tongban.supervision.models import Cursor, IndicatorCell

pytestmark = pytest.mark.django_db


def _row(item) -> StatisticsRow:
    return StatisticsRow.objects.get(item_code=item.code)


def test_snapshot_has_a_row_per_item_month_and_department_totals(stats_world):
    assert services.rebuild_statistics() == 7
    assert StatisticsRow.objects.filter(kind="department").count() == 2
    dataset = Dataset.objects.get(slug="case-statistics")
    assert dataset.snapshot_at is not None and dataset.rows == 7


def test_small_cell_and_its_secondary_are_suppressed_large_shown(stats_world):
    services.rebuild_statistics()
    forty, three, six = stats_world["items"][:3]
    assert _row(forty).received == 40
    assert _row(three).received is None
    assert _row(six).received is None  # secondary: else 49 − 40 − 6 would give the 3
    total = StatisticsRow.objects.get(kind="department", department_name="统计测试局")
    assert total.received == 49


def test_near_miss_exactly_five_is_shown_and_four_hidden_with_total(stats_world):
    services.rebuild_statistics()
    five, four = stats_world["items"][3:]
    # 4 is small; the 5 must go too (the total would give 4 back), and then the total can only be
    # published as 9 = two hidden cells ≥ 5.
    assert _row(four).received is None
    assert _row(five).received is None
    assert StatisticsRow.objects.get(kind="department", department_name="五件局").received == 9


def test_exactly_five_alone_is_published(db, stats_world):
    IndicatorCell.objects.filter(item_id=stats_world["items"][4].pk).delete()
    services.rebuild_statistics()
    five = stats_world["items"][3]
    assert _row(five).received == 5
    assert StatisticsRow.objects.get(kind="department", department_name="五件局").received == 5


def test_published_rows_show_rate_only_from_published_counts(stats_world):
    services.rebuild_statistics()
    forty, three = stats_world["items"][:2]
    assert CASE_STATISTICS.row(_row(forty))["on_time_rate"] == 1.0
    assert CASE_STATISTICS.row(_row(three))["on_time_rate"] is None


def test_rebuild_replaces_the_snapshot(stats_world):
    services.rebuild_statistics()
    IndicatorCell.objects.filter(item_id=stats_world["items"][0].pk).update(received=41)
    services.rebuild_statistics()
    assert _row(stats_world["items"][0]).received == 41
    assert StatisticsRow.objects.count() == 7


def _age_snapshot(hours: float) -> None:
    Dataset.objects.filter(slug="case-statistics").update(
        snapshot_at=timezone.now() - dt.timedelta(hours=hours)
    )


def test_refresh_due_rebuilds_when_the_rollups_moved(stats_world):
    assert services.refresh_due() == 7
    assert services.refresh_due() == 0  # just built
    _age_snapshot(2)
    assert services.refresh_due() == 0  # older, but the rollups did not move
    Cursor.objects.create(name="audit", position=1)
    assert services.refresh_due() == 7
    _age_snapshot(25)
    assert services.refresh_due() == 7  # daily in any case


def test_tongban_tick_refreshes_the_snapshot():
    from tongban.core import periodic

    assert periodic._DUTIES["opendata.refresh_statistics"] is services.refresh_due
