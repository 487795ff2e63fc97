from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.regions.models import Region

from .validators import normalize_uscc, validate_uscc


class Department(models.Model):
    """实施主体: a body that implements services in one region (every department is a 'shop')."""

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments"
    )
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, null=True, unique=True, validators=[validate_uscc]
    )
    local_code = models.CharField(
        _("本地编码"), max_length=32, blank=True, help_text=_("无统一社会信用代码时的本地部门编码")
    )
    description = models.TextField(_("简介"), blank=True)
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    office_hours = models.CharField(_("办公时间"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("实施主体")
        verbose_name_plural = _("实施主体")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_name_in_region")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.uscc:
            self.uscc = normalize_uscc(self.uscc)
            validate_uscc(self.uscc)
        else:
            self.uscc = None
        super().save(*args, **kwargs)
