"""The summary cells (one per region code, department and month, without the item): kept by the
same drain as the item cells, always their sums, read by every figure that neither filters nor
groups by item, checked and replaced by the recount."""

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from tongban.cases.models import Case
from tongban.ratings import services as ratings
from tongban.supervision import rollups, selectors
from tongban.supervision.models import IndicatorCell, SummaryCell, SummaryDurationCell

from .conftest import grant, submit

pytestmark = pytest.mark.django_db


def _events(world) -> None:
    staff, applicant = world["staff"], world["applicant"]
    done = grant(submit(world["item"], applicant), staff)
    grant(submit(world["item"], applicant, channel="1"), staff)
    submit(world["item"], applicant)
    full = grant(submit(world["online_item"], applicant), world["second_staff"])
    submit(world["far_item"], applicant)
    ratings.rate_case(user=applicant, case=done, level=5)
    ratings.rate_case(user=applicant, case=full, level=1, comment="太慢")
    rollups.drain()


def _summed_item_cells() -> rollups.Contribution:
    return rollups.summarised(rollups.kept()).nonzero()


def test_the_drain_keeps_summaries_equal_to_the_item_cells_sums(world):
    _events(world)
    summaries = rollups.kept_summaries()
    assert summaries.cells and summaries.days
    assert summaries == _summed_item_cells()
    # one per region code, department and month: the two items of one department share one
    assert SummaryCell.objects.count() == len(
        {(c.region_code, c.department_id, c.month) for c in IndicatorCell.objects.all()}
    )
    assert rollups.recount() == []


@pytest.mark.parametrize(
    "filters",
    [
        {"group_by": ()},
        {"group_by": ("period",)},
        {"group_by": ("department",)},
        {"group_by": ("region",), "region_level": 3},
        {"group_by": ("period", "department"), "period": "quarter"},
        {"group_by": (), "region_code": "511602"},
        {"group_by": ("department",), "region_codes": ["511621", "511602"]},
    ],
)
def test_figures_from_summaries_equal_those_from_item_cells(world, filters, monkeypatch):
    _events(world)
    from_summaries = selectors.indicator_rows(**filters)
    assert from_summaries and any(r.received for r in from_summaries)
    # The same read on the item cells: make the selector believe the item is asked for.
    original = selectors._cells

    def item_cells(*args, **kwargs):
        kwargs["by_item"] = True
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "_cells", item_cells)
    from_items = selectors.indicator_rows(**filters)
    assert [dataclasses.asdict(r) for r in from_summaries] == [dataclasses.asdict(r) for r in from_items]
    assert [r.p90_days for r in from_summaries] == [r.p90_days for r in from_items]


def test_reads_without_the_item_use_the_summaries(world):
    _events(world)
    SummaryCell.objects.update(received=100)  # only visible if the summaries are read
    assert selectors.totals().received == 100 * SummaryCell.objects.count()
    assert selectors.totals(item_id=world["item"].pk).received == 3
    by_item = selectors.indicator_rows(group_by=("item",))
    assert sum(r.received for r in by_item) == 5


def test_recount_finds_and_fixes_a_wrong_summary(world):
    _events(world)
    cell = SummaryCell.objects.filter(department_id=world["department"].pk).first()
    SummaryCell.objects.filter(pk=cell.pk).update(received=cell.received + 2)
    SummaryDurationCell.objects.filter(cell=cell).delete()
    differences = rollups.recount()
    assert differences
    assert all(d.key[2] is None for d in differences)  # only the summary (no item) differs
    assert ("received", cell.received + 2, cell.received) in [
        (d.measure, d.kept, d.recounted) for d in differences
    ]
    assert any(d.measure.startswith("days=") for d in differences)
    rollups.recount(fix=True)
    assert rollups.recount() == []
    assert rollups.kept_summaries() == _summed_item_cells()


def test_rebuild_summaries_from_item_cells_written_directly(world):
    _events(world)
    before = rollups.kept_summaries()
    SummaryDurationCell.objects.all().delete()
    SummaryCell.objects.all().delete()
    assert selectors.totals().received == 0
    assert rollups.rebuild_summaries() == len(before.cells)
    assert rollups.kept_summaries() == before
    assert selectors.totals().received == 5


def test_a_case_moving_to_another_month_moves_its_summary(world):
    """Counting a case again moves its contribution: the summary follows the item cell."""
    case = submit(world["item"], world["applicant"])
    rollups.drain()
    month = timezone.localdate().replace(day=1)
    earlier = (month - dt.timedelta(days=40)).replace(day=1)
    department = world["department"].pk
    assert SummaryCell.objects.get(department_id=department, month=month).received == 1
    Case.objects.filter(pk=case.pk).update(submitted_at=timezone.now() - dt.timedelta(days=70))
    rollups.refresh_cases([case.pk])
    assert SummaryCell.objects.get(department_id=department, month=month).received == 0
    assert SummaryCell.objects.filter(department_id=department, month__lte=earlier).get().received == 1
    assert rollups.recount() == []


def test_dashboard_totals_are_the_sum_of_its_months(world):
    """The page sums the trend's months and reads the period's histogram alone: the same
    figures as one read of the period's cells."""
    from tongban.supervision import access, dashboard

    _events(world)
    today = timezone.localdate()
    period = dashboard.parse_period("12", today)
    scope = access.Scope(region_code="5116")
    shown = {str(f.label): f.value for f in dashboard.figures(scope, period=period, today=today)["figures"]}
    row = selectors.totals(region_code="5116", start=period.start, end=period.end)
    assert shown["收件"] == str(row.received) == "5"
    assert shown["办结"] == str(row.concluded)
    assert shown["90% 办件用时不超过"] == f"{row.p90_days:g} 工作日"
    assert shown["当前超期"] == str(selectors.totals(region_code="5116").overdue)
    assert selectors.histogram(region_code="5116", start=period.start, end=period.end) == row.durations


def test_the_recount_command_names_a_summary_difference(world):
    from io import StringIO

    from django.core.management import call_command

    _events(world)
    SummaryCell.objects.filter(department_id=world["department"].pk).update(received=99)
    out = StringIO()
    call_command("supervision", "recount", stdout=out)
    assert "部门汇总" in out.getvalue() and "received: 汇总 99" in out.getvalue()


@pytest.mark.parametrize("by", ["department", "item"])
def test_rankings_on_a_few_measures_equal_those_on_all(world, by):
    """The dashboard's rankings sum only the measures they show; a group whose only activity is
    in another measure (here: refusals) still counts as active, as with every measure summed."""
    _events(world)
    month = timezone.localdate().replace(day=1)
    IndicatorCell.objects.create(
        region_code="511621",
        department_id=world["far"].pk,
        item_id=world["far_item"].pk + 1000,
        month=month,
        refused=2,
    )
    rollups.rebuild_summaries()
    for indicator, worst in (
        ("on_time_promised_rate", False),
        ("on_time_promised_rate", True),
        ("overdue", True),
    ):
        full = selectors.rank(
            selectors.indicator_rows(group_by=(by,)), by=by, indicator=indicator, worst_first=worst
        )
        few = selectors.rank(
            selectors.indicator_rows(group_by=(by,), measures=selectors.RANKING_MEASURES),
            by=by,
            indicator=indicator,
            worst_first=worst,
        )
        assert [(r.department_id, r.item_id, r.name) for r in few] == [
            (r.department_id, r.item_id, r.name) for r in full
        ]
        assert [{m: r.counts[m] for m in selectors.RANKING_MEASURES} for r in few] == [
            {m: r.counts[m] for m in selectors.RANKING_MEASURES} for r in full
        ]
    assert len(full) == (3 if by == "department" else 4)  # the refusals-only group is ranked too
