"""定期通报: one report per region, kind (month or quarter) and period, its files kept privately."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """A monthly or quarterly report of one region. Made again, it replaces its files in place,
    so a region has one report per period."""

    class Kind(models.TextChoices):
        MONTH = "month", _("月报")
        QUARTER = "quarter", _("季报")

    class Status(models.TextChoices):
        QUEUED = "queued", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    region_name = models.CharField(_("区划"), max_length=100)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    period_start = models.DateField(_("起始日"))
    period_end = models.DateField(_("截止日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="reports/", blank=True)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    mailed_to = models.PositiveIntegerField(_("已通知人数"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("定期通报")
        verbose_name_plural = _("定期通报")
        ordering = ("-period_start", "region_code", "kind")
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "kind", "period_start"], name="report_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_name} {self.title}"

    @property
    def title(self) -> str:
        if self.kind == self.Kind.QUARTER:
            return f"{self.period_start.year}年第{(self.period_start.month - 1) // 3 + 1}季度"
        return f"{self.period_start.year}年{self.period_start.month}月"

    @property
    def slug(self) -> str:
        if self.kind == self.Kind.QUARTER:
            return f"{self.period_start.year}-Q{(self.period_start.month - 1) // 3 + 1}"
        return f"{self.period_start:%Y-%m}"
