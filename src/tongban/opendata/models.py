"""Open data: a counter row per published dataset and the published snapshot of case statistics.

The datasets themselves are defined in code (``datasets.py``); the database keeps only what
changes: how often each was downloaded, and the statistics table as published — already
aggregated and with small cells removed, so no page or API answer can leak a suppressed value.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dataset(models.Model):
    """数据集: the changing facts of one published dataset (its definition lives in datasets.py)."""

    slug = models.SlugField(_("标识"), max_length=64, unique=True)
    downloads = models.PositiveBigIntegerField(_("下载次数"), default=0)
    snapshot_at = models.DateTimeField(_("数据生成时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(
        _("行数"), null=True, blank=True, help_text=_("快照的行数，免得每次分页都数一遍")
    )

    class Meta:
        verbose_name = _("开放数据集")
        verbose_name_plural = _("开放数据集")

    def __str__(self) -> str:
        return self.slug


class StatisticsRow(models.Model):
    """One published row of the case statistics: an item's month, or a department's month total.

    A count is ``None`` where it was suppressed (fewer than 5 cases, or suppressed so that it
    cannot be recovered from the department's total; see ``suppression.py``).
    """

    class Kind(models.TextChoices):
        ITEM = "item", _("事项")
        DEPARTMENT = "department", _("部门合计")

    month = models.DateField(_("月份"))
    kind = models.CharField(_("行类型"), max_length=10, choices=Kind.choices)
    region_code = models.CharField(_("区划代码"), max_length=12)
    region_name = models.CharField(_("区划名称"), max_length=100)
    department_code = models.CharField(_("部门代码"), max_length=32)
    department_name = models.CharField(_("部门名称"), max_length=100)
    item_code = models.CharField(_("实施编码"), max_length=80, blank=True)
    item_name = models.CharField(_("事项名称"), max_length=200, blank=True)
    received = models.PositiveIntegerField(_("收件数"), null=True)
    accepted = models.PositiveIntegerField(_("受理数"), null=True)
    concluded = models.PositiveIntegerField(_("办结数"), null=True)
    with_promised = models.PositiveIntegerField(_("承诺件办结数"), null=True)
    on_time = models.PositiveIntegerField(_("按承诺时限办结数"), null=True)
    online = models.PositiveIntegerField(_("网上申请数"), null=True)
    seq = models.PositiveIntegerField(
        _("序号"),
        default=0,
        help_text=_("行在快照中的位置（1 起，连续）：按月份倒序、区划代码、部门代码、行类型、实施编码排列"),
    )

    class Meta:
        ordering = ["seq"]
        verbose_name = _("办件统计行")
        verbose_name_plural = _("办件统计行")
        # Every read is ordered by ``seq``: a page is ``seq > n`` (keyset), never an OFFSET over
        # the rows before it. The region filter is a prefix (LIKE '5116%'): on PostgreSQL only an
        # index with the pattern operator class serves it whatever the database's collation
        # (other databases ignore ``opclasses`` and use a plain index).
        indexes = [
            models.Index(fields=["seq"], name="opendata_stat_seq"),
            models.Index(fields=["month", "seq"], name="opendata_stat_month"),
            models.Index(fields=["item_code", "seq"], name="opendata_stat_item_seq"),
            models.Index(
                fields=["region_code", "seq"],
                opclasses=["varchar_pattern_ops", "int4_ops"],
                name="opendata_stat_region_like",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "department_code", "kind", "item_code"], name="opendata_stat_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_name} {self.item_name or self.get_kind_display()}"
