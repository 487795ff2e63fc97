"""Rollups of 电子监察: indicator cells kept up to date by the worker, never summed from raw cases
on a page view (docs/supervision.md).

- ``IndicatorCell`` holds the counters of one region (the case's own, most detailed code),
  department, item and month. Any region level is the sum of the cells whose code starts with
  its code; a quarter or a year is the sum of its months.
- ``DurationCell`` is the histogram of working days per cell: a 90th percentile needs the
  distribution, not a sum.
- ``SummaryCell`` and ``SummaryDurationCell`` are the same counters and histograms without the
  item: one per region code, department and month, kept in the same transaction as the item
  cells (always their sum). Every read that neither filters nor groups by item uses them, so a
  city's dashboard reads one cell per department and month instead of one per item.
- ``CaseFact`` and ``RatingFact`` are what each case and each rating contributed when last
  counted. A change is applied as (new contribution − old contribution), so counting a case
  again changes nothing: re-processing never double-counts.
- ``Cursor`` is how far the audit chain (``core.AuditEntry.seq``) has been read.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Measures of a cell, in the order the docs list them. Each is a plain sum.
MEASURES = (
    "received",
    "online",
    "full_online",
    "visits",
    "corrections",
    "accepted",
    "refused",
    "concluded",
    "one_time",
    "automatic",
    "with_legal",
    "on_time_legal",
    "with_promised",
    "on_time_promised",
    "work_days",
    "overdue",
    "rated",
    "rating_sum",
    "rating_good",
    "rating_bad",
    "rating_rectified",
)

# Working days above this are counted in one last bucket ("more than 120").
DAYS_CAP = 121


class Measures(models.Model):
    """The measures of a cell (``MEASURES``), each a plain sum; item cells and their department
    summaries keep the same ones."""

    received = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    full_online = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    corrections = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    concluded = models.IntegerField(default=0)
    one_time = models.IntegerField(default=0)
    automatic = models.IntegerField(default=0)
    with_legal = models.IntegerField(default=0)
    on_time_legal = models.IntegerField(default=0)
    with_promised = models.IntegerField(default=0)
    on_time_promised = models.IntegerField(default=0)
    work_days = models.BigIntegerField(default=0)
    overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    rating_good = models.IntegerField(default=0)
    rating_bad = models.IntegerField(default=0)
    rating_rectified = models.IntegerField(default=0)

    class Meta:
        abstract = True


class IndicatorCell(Measures):
    region_code = models.CharField(max_length=12)
    department_id = models.IntegerField()
    item_id = models.IntegerField(default=0)  # 0: a window rating without an item
    month = models.DateField()  # first day of the month

    class Meta:
        verbose_name = _("监察指标")
        verbose_name_plural = _("监察指标")
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "department_id", "item_id", "month"], name="indicator_cell_key"
            )
        ]
        indexes = [
            models.Index(fields=["month", "region_code"], name="indicator_month_region"),
            models.Index(fields=["department_id", "month"], name="indicator_department_month"),
            models.Index(fields=["item_id", "month"], name="indicator_item_month"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code}/{self.department_id}/{self.item_id} {self.month:%Y-%m}"


class DurationCell(models.Model):
    cell = models.ForeignKey(IndicatorCell, on_delete=models.CASCADE, related_name="durations")
    days = models.PositiveSmallIntegerField()  # DAYS_CAP means "DAYS_CAP or more"
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "days"], name="duration_cell_key")]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.days}: {self.count}"


class SummaryCell(Measures):
    """The item cells of one region code, department and month, summed (``rollups.apply``)."""

    region_code = models.CharField(max_length=12)
    department_id = models.IntegerField()
    month = models.DateField()

    class Meta:
        verbose_name = _("监察指标（部门汇总）")
        verbose_name_plural = _("监察指标（部门汇总）")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "department_id", "month"], name="summary_cell_key")
        ]
        indexes = [
            models.Index(fields=["month", "region_code"], name="summary_month_region"),
            models.Index(fields=["department_id", "month"], name="summary_department_month"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code}/{self.department_id} {self.month:%Y-%m}"


class SummaryDurationCell(models.Model):
    cell = models.ForeignKey(SummaryCell, on_delete=models.CASCADE, related_name="durations")
    days = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "days"], name="summary_duration_key")]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.days}: {self.count}"


class CaseFact(models.Model):
    """One case as last counted; drill-down lists read these to find the cases behind a number."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="supervision_fact"
    )
    region_code = models.CharField(max_length=12)
    department_id = models.IntegerField()
    item_id = models.IntegerField()
    received_month = models.DateField()
    online = models.BooleanField(default=False)
    full_online = models.BooleanField(default=False)
    visits = models.PositiveSmallIntegerField(default=0)
    corrections = models.PositiveSmallIntegerField(default=0)
    accepted_month = models.DateField(null=True)
    refused_month = models.DateField(null=True)
    concluded_month = models.DateField(null=True)
    one_time = models.BooleanField(default=False)
    automatic = models.BooleanField(default=False)
    with_legal = models.BooleanField(default=False)
    on_time_legal = models.BooleanField(default=False)
    with_promised = models.BooleanField(default=False)
    on_time_promised = models.BooleanField(default=False)
    work_days = models.IntegerField(null=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["department_id", "received_month"], name="casefact_department"),
            models.Index(fields=["region_code", "received_month"], name="casefact_region"),
            models.Index(fields=["overdue"], name="casefact_overdue", condition=models.Q(overdue=True)),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class RatingFact(models.Model):
    rating = models.OneToOneField(
        "ratings.Rating", primary_key=True, on_delete=models.CASCADE, related_name="supervision_fact"
    )
    region_code = models.CharField(max_length=12)
    department_id = models.IntegerField()
    item_id = models.IntegerField(default=0)
    month = models.DateField()
    counted = models.BooleanField(default=True)  # False once an appeal against it was upheld
    level = models.PositiveSmallIntegerField()
    rectified = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"fact rating {self.rating_id}"


class Cursor(models.Model):
    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"
