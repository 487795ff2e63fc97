from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import LEVEL_LENGTHS, RegionCodeError, level_of, normalize_region_code, parent_code, to_code12


class RegionQuerySet(models.QuerySet):
    def get_by_code(self, code: str | int) -> "Region":
        return self.get(code=normalize_region_code(code))

    def within(self, region: "Region") -> "RegionQuerySet":
        """The region and everything below it (codes share the prefix)."""
        return self.filter(code__startswith=region.code)


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("市级")
        COUNTY = 3, _("县级")
        TOWNSHIP = 4, _("乡镇/街道")
        VILLAGE = 5, _("村/社区")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    full_name = models.CharField(_("全称"), max_length=200, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def code12(self) -> str:
        return to_code12(self.code)

    def clean(self) -> None:
        try:
            self.code = normalize_region_code(self.code)
        except RegionCodeError as exc:
            raise ValidationError({"code": str(exc)}) from exc
        self.level = level_of(self.code)
        expected_parent = parent_code(self.code)
        if expected_parent and (self.parent is None or self.parent.code != expected_parent):
            raise ValidationError({"parent": _("上级区划应为 %(code)s。") % {"code": expected_parent}})
        if self.level == Region.Level.VILLAGE and len(self.code) != LEVEL_LENGTHS[5]:
            raise ValidationError({"code": _("村/社区代码应为 12 位。")})

    def ancestors(self) -> list["Region"]:
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))
