from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem

from .dmn.tables import DecisionTable as DecisionTable  # DMN tables live beside the processes


class ProcessDefinition(models.Model):
    """A BPMN document, either a shipped template or one a catalogue admin uploaded.

    Immutable once used: cases keep a reference to the definition they started with.
    """

    key = models.CharField(_("标识"), max_length=80, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    bpmn = models.TextField(_("BPMN 2.0 文档"))
    digest = models.CharField(max_length=64, editable=False)
    is_template = models.BooleanField(_("内置模板"), default=False)
    department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="processes"
    )
    item = models.ForeignKey(
        ServiceItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="process_versions",
        help_text=_("为哪个事项编写（模板与早期上传为空）"),
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_template", "name"]
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")

    def __str__(self) -> str:
        return self.name


class ItemProcess(models.Model):
    """Which process an item uses; items without a row use the template for their case kind."""

    item = models.OneToOneField(ServiceItem, on_delete=models.CASCADE, related_name="process_choice")
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="items")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事项流程")
        verbose_name_plural = _("事项流程")

    def __str__(self) -> str:
        return f"{self.item} → {self.definition}"
