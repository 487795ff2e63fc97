"""Base registries (基础库): the authoritative population and enterprise records.

Later features verify applicants against these rows and prefill forms from them. Reads go
through ``selectors`` so that each one leaves a ``DataAccessLog`` row (DESIGN §6).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.departments.models import Department
from tongban.regions.models import Region


class PopulationRecord(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Status(models.TextChoices):
        ALIVE = "alive", _("正常")
        DECEASED = "deceased", _("已死亡")
        MIGRATED = "migrated", _("已迁出")

    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("户籍地区划"), on_delete=models.PROTECT, related_name="population_records"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ALIVE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["id_number"]
        verbose_name = _("人口基础信息")
        verbose_name_plural = _("人口基础信息")

    def __str__(self) -> str:
        return self.name


class EnterpriseRecord(models.Model):
    class Kind(models.TextChoices):
        LIMITED = "limited", _("有限责任公司")
        JOINT_STOCK = "joint_stock", _("股份有限公司")
        SOLE = "sole", _("个人独资企业")
        PARTNERSHIP = "partnership", _("合伙企业")
        INDIVIDUAL = "individual", _("个体工商户")
        COOPERATIVE = "cooperative", _("农民专业合作社")

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        REVOKED = "revoked", _("吊销")
        CANCELLED = "cancelled", _("注销")

    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_rep_name = models.CharField(_("法定代表人"), max_length=50)
    legal_rep_id_number = models.CharField(_("法定代表人身份号码"), max_length=18, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.LIMITED)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("登记区划"), on_delete=models.PROTECT, related_name="enterprise_records"
    )
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    status = models.CharField(_("登记状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("法人基础信息")
        verbose_name_plural = _("法人基础信息")

    def __str__(self) -> str:
        return self.name


class DataAccessLog(models.Model):
    """One read of a person's or an enterprise's registry data: who, whose, why, when.

    Append-only; the person sees the rows about them on their account page.
    """

    person = models.ForeignKey(
        PopulationRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="access_logs"
    )
    enterprise = models.ForeignKey(
        EnterpriseRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="access_logs"
    )
    subject_id_number = models.CharField(_("被查询人身份号码"), max_length=18, blank=True, db_index=True)
    accessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("使用人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessor_label = models.CharField(_("使用人名称"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("使用部门"), null=True, blank=True, on_delete=models.SET_NULL
    )
    purpose = models.CharField(_("用途"), max_length=200)
    found = models.BooleanField(_("查得"), default=True)
    # What was read and under which authority: the information items, the case (办件编号) or the
    # sharing grant (授权编号), and the road it came by (e.g. "case", "exchange", "material").
    fields = models.JSONField(_("读取字段"), default=list, blank=True)
    case_number = models.CharField(_("办件编号"), max_length=32, blank=True, db_index=True)
    grant_code = models.CharField(_("授权编号"), max_length=40, blank=True)
    channel = models.CharField(_("途径"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据使用记录")
        verbose_name_plural = _("数据使用记录")
        indexes = [
            models.Index(fields=["subject_id_number", "-created_at"], name="dal_subject_time"),
            models.Index(fields=["enterprise", "-created_at"], name="dal_enterprise_time"),
        ]

    def __str__(self) -> str:
        return f"{self.accessor_label} · {self.purpose}"
