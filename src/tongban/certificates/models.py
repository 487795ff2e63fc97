"""Electronic licences (电子证照): types, the departments' seal keys, certificates and their history.

A certificate's signed content is stored exactly as it was signed (``payload``, canonical JSON),
so verification re-checks the very bytes the department sealed; the columns beside it (holder,
validity, status) are for queries and lifecycle, never trusted instead of the payload.
"""

import datetime as dt
import hashlib
import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import MaterialRequirement, ServiceItem
from tongban.departments.models import Department

TYPE_CODE_RE = re.compile(r"^[0-9A-Z]{2,40}$")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the 29th–31st fall back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class CertificateType(models.Model):
    """证照目录: one kind of licence or proof, issued by one department."""

    class Validity(models.TextChoices):
        NONE = "none", _("长期有效")
        YEARS = "years", _("年")
        MONTHS = "months", _("月")
        DAYS = "days", _("日")

    class Template(models.TextChoices):
        LICENCE = "licence", _("证照（横版，带边框）")
        PROOF = "proof", _("证明（公文版式）")

    class RegistrySource(models.TextChoices):
        NONE = "", _("无（由办件出证）")
        POPULATION = "population", _("人口库（户籍证明）")
        ENTERPRISE = "enterprise", _("法人库（企业登记证明）")

    name = models.CharField(_("证照名称"), max_length=100)
    code = models.CharField(
        _("证照类型代码"),
        max_length=40,
        unique=True,
        help_text=_("大写字母与数字，2–40 位，用于证照标识"),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("颁发机构"), on_delete=models.PROTECT, related_name="certificate_types"
    )
    holder_kind = models.CharField(
        _("持证主体"), max_length=10, choices=HolderKind.choices, default=HolderKind.PERSON
    )
    field_schema = models.JSONField(
        _("证照字段"),
        default=dict,
        blank=True,
        help_text=_(
            'JSON Schema：properties 中每个字段有 title，可选 "x-source" 指明取值来源'
            "（如 data.request、holder.name、case.number、registry.address），required 列出必填字段"
        ),
    )
    validity = models.CharField(
        _("有效期规则"), max_length=8, choices=Validity.choices, default=Validity.NONE
    )
    validity_count = models.PositiveSmallIntegerField(_("有效期长度"), default=0)
    template = models.CharField(_("版式"), max_length=10, choices=Template.choices, default=Template.LICENCE)
    registry_source = models.CharField(
        _("网上开证明数据来源"), max_length=12, choices=RegistrySource.choices, default="", blank=True
    )
    issued_by_items = models.ManyToManyField(
        ServiceItem, verbose_name=_("出证事项"), blank=True, related_name="issued_certificate_types"
    )
    accepted_for = models.ManyToManyField(
        MaterialRequirement,
        verbose_name=_("可替代的申请材料"),
        blank=True,
        related_name="accepted_certificate_types",
        help_text=_("申请人持有有效的本类证照时，这些材料免于提交"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department_id", "name"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if not TYPE_CODE_RE.match(self.code or ""):
            errors["code"] = _("证照类型代码只能由 2–40 位大写字母和数字组成。")
        if self.validity != self.Validity.NONE and not self.validity_count:
            errors["validity_count"] = _("请填写有效期长度。")
        if self.department_id and not self.department.uscc:
            errors["department"] = _("颁发机构必须有统一社会信用代码，才能生成证照标识。")
        schema = self.field_schema or {}
        if schema and not isinstance(schema.get("properties", {}), dict):
            errors["field_schema"] = _("证照字段必须是 JSON Schema 对象，字段放在 properties 中。")
        if errors:
            raise ValidationError(errors)

    def valid_until(self, start: dt.date) -> dt.date | None:
        """The last day of validity for a certificate valid from ``start`` (None: no end)."""
        if self.validity == self.Validity.NONE or not self.validity_count:
            return None
        if self.validity == self.Validity.DAYS:
            return start + dt.timedelta(days=self.validity_count - 1)
        months = self.validity_count * (12 if self.validity == self.Validity.YEARS else 1)
        return add_months(start, months) - dt.timedelta(days=1)

    @property
    def fields(self) -> list[tuple[str, dict]]:
        return list(((self.field_schema or {}).get("properties") or {}).items())


class SealKey(models.Model):
    """One department's electronic seal key pair; the private half is Fernet-encrypted at rest.

    A department has one active key per algorithm; rotation retires it (``retired_at``) and
    keeps it, so certificates it signed still verify.
    """

    class Algorithm(models.TextChoices):
        ED25519 = "ed25519", "Ed25519"
        SM2 = "sm2", "SM2 / SM3"

    kid = models.CharField(_("密钥标识"), max_length=80, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="seal_keys"
    )
    issuer_uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    algorithm = models.CharField(_("算法"), max_length=8, choices=Algorithm.choices)
    public_key = models.CharField(_("公钥（hex）"), max_length=200)
    private_key_encrypted = models.TextField(_("私钥（加密）"), editable=False)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["department_id", "-created_at"]
        verbose_name = _("电子印章密钥")
        verbose_name_plural = _("电子印章密钥")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "algorithm"],
                condition=models.Q(retired_at__isnull=True),
                name="seal_key_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.kid


class SerialCounter(models.Model):
    """Serial numbers per type and issuer, handed out by the database (unique across processes)."""

    type = models.ForeignKey(CertificateType, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["type", "department"], name="certificate_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type_id}/{self.department_id}: {self.value}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        REVOKED = "revoked", _("已吊销")
        CANCELLED = "cancelled", _("已注销")
        REPLACED = "replaced", _("已换发")
        EXPIRED = "expired", _("已过期")

    class Origin(models.TextChoices):
        CASE = "case", _("办件出证")
        PROOF = "proof", _("网上开证明")
        REPLACEMENT = "replacement", _("换发/补发")
        RECEIPT = "receipt", _("缴费票据")

    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)
    type = models.ForeignKey(
        CertificateType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="certificates"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("颁发机构"), on_delete=models.PROTECT, related_name="certificates"
    )
    serial = models.PositiveBigIntegerField(_("流水号"))
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    holder_kind = models.CharField(_("持证主体类型"), max_length=10, choices=HolderKind.choices)
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    holder_enterprise = models.ForeignKey(
        "identity.EnterpriseAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    holder_name = models.CharField(_("持证人"), max_length=200)
    holder_number = models.CharField(_("持证人证件号码"), max_length=18, db_index=True)
    fields = models.JSONField(_("证照内容"), default=dict)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    issued_at = models.DateTimeField(_("颁发时间"))
    origin = models.CharField(_("来源"), max_length=12, choices=Origin.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    item = models.ForeignKey(ServiceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.VALID)
    status_reason = models.CharField(_("状态说明"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    payload = models.TextField(_("签名内容（规范 JSON）"), editable=False)
    signature = models.CharField(_("签名"), max_length=200, editable=False)
    seal_key = models.ForeignKey(SealKey, on_delete=models.PROTECT, related_name="certificates")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "type"],
                condition=models.Q(origin="case"),
                name="certificate_one_per_case_type",
            ),
            models.UniqueConstraint(
                fields=["type", "department", "serial", "version"], name="certificate_serial_version"
            ),
        ]
        indexes = [
            models.Index(fields=["holder_user", "holder_kind", "-issued_at"], name="certificate_person"),
            models.Index(fields=["holder_enterprise", "-issued_at"], name="certificate_enterprise"),
            models.Index(fields=["status", "valid_until"], name="certificate_status_until"),
        ]

    def __str__(self) -> str:
        return f"{self.type.name} {self.identifier}"

    def state_on(self, day: dt.date) -> str:
        """``valid``, ``expired`` or the stored lifecycle status, as verification reports it."""
        if self.status != self.Status.VALID:
            return self.status
        if self.valid_until is not None and self.valid_until < day:
            return self.Status.EXPIRED
        return self.Status.VALID


class CertificateEvent(models.Model):
    """Append-only history of one certificate, hash-chained: each row seals the one before.

    Lifecycle changes (issued, revoked, replaced, expired) and every use (presented, shared,
    opened by a third party, attached to an application) — the holder sees them all.
    """

    class Action(models.TextChoices):
        ISSUED = "issued", _("颁发")
        REVOKED = "revoked", _("吊销")
        CANCELLED = "cancelled", _("注销")
        REPLACED = "replaced", _("换发/补发")
        EXPIRED = "expired", _("到期失效")
        PRESENTED = "presented", _("亮证")
        PRESENTATION_VIEWED = "presentation_viewed", _("亮证被查看")
        SHARED = "shared", _("授权用证")
        SHARE_REVOKED = "share_revoked", _("撤销用证授权")
        SHARE_USED = "share_used", _("第三方用证")
        ATTACHED = "attached", _("办事免提交")
        DOWNLOADED = "downloaded", _("下载")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("时间"))
    action = models.CharField(_("事件"), max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=200)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    share = models.ForeignKey("Share", null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["certificate", "at", "id"]
        verbose_name = _("证照记录")
        verbose_name_plural = _("证照记录")

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.action}"

    def compute_hash(self) -> str:
        body = json.dumps(
            [
                self.prev_hash,
                self.certificate_id,
                self.at.isoformat(),
                self.action,
                self.actor_id,
                self.actor_label,
                self.detail,
                self.share_id,
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("CertificateEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("CertificateEvent rows are append-only.")


class Share(models.Model):
    """用证: the holder lets a third party see one certificate, for a stated purpose, until a time."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="shares")
    token = models.CharField(max_length=64, unique=True, editable=False)
    recipient = models.CharField(_("使用方"), max_length=100)
    purpose = models.CharField(_("用途"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    valid_until = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("用证授权")
        verbose_name_plural = _("用证授权")

    def __str__(self) -> str:
        return f"{self.certificate_id} → {self.recipient}"

    def in_force_at(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and at < self.valid_until
