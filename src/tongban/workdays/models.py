from django.db import models
from django.utils.translation import gettext_lazy as _


class DayOverride(models.Model):
    """One day of the State Council's holiday arrangement that admins enter.

    chinese-calendar knows the arrangements up to 2026; for later years (published each
    autumn) admins enter the holidays and the adjusted weekend workdays here. An entry
    also overrides the library for a known year.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class PublishedYear(models.Model):
    """A year whose full arrangement admins have entered, so its deadlines are exact."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("已发布年度安排")
        verbose_name_plural = _("已发布年度安排")

    def __str__(self) -> str:
        return str(self.year)
