from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem


class FormDefinition(models.Model):
    """A versioned application form of one item: JSON Schema for the data plus layout hints.

    Versions are immutable once active; a case keeps the version it was submitted with, so
    editing a form never changes what an earlier applicant answered.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("启用")
        RETIRED = "retired", _("停用")

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="forms", verbose_name=_("事项")
    )
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("表单名称"), max_length=200)
    schema = models.JSONField(_("数据结构（JSON Schema）"))
    layout = models.JSONField(_("布局"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "-version"]
        verbose_name = _("申请表单")
        verbose_name_plural = _("申请表单")
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="form_unique_version"),
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="active"), name="form_one_active_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
