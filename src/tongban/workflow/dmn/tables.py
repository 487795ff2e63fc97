"""Stored decision tables: one row per version of a DMN document under a key (an item's 秒批
table, a 免申即享 policy's table). A published version never changes; cases and offers keep a
reference to the version that decided them, so a later version changes no earlier decision."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionTable(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    key = models.CharField(_("标识"), max_length=80, help_text=_("同一张表的各版本共用一个标识"))
    name = models.CharField(_("名称"), max_length=120)
    version = models.PositiveIntegerField(_("版本"))
    dmn = models.TextField(_("DMN 1.3 文档"))
    digest = models.CharField(_("摘要"), max_length=64, editable=False)
    decision = models.CharField(_("决策名称"), max_length=120, help_text=_("文档中作出决定的决策"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    department = models.ForeignKey(
        "departments.Department", verbose_name=_("实施主体"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        app_label = "workflow"
        ordering = ["key", "-version"]
        verbose_name = _("决策表")
        verbose_name_plural = _("决策表")
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="decision_table_key_version")]
        indexes = [models.Index(fields=["key", "status"], name="decision_table_key_status")]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.version} 版）"

    @property
    def short_digest(self) -> str:
        return self.digest[:12]
