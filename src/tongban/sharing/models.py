"""The data-sharing catalogue (政务信息资源目录, GB/T 21063) and what consumers are granted.

A ``DataResource`` is one catalogue entry a provider department publishes; a consuming
department asks for named information items of it for a purpose (``SharingRequest``) and gets a
``Grant``: fields, purpose, consumer and validity, revocable. Department systems call the
exchange API as a ``ConsumerSystem`` holding an Ed25519 key. Every read itself is logged in the
registries' ``DataAccessLog`` (DESIGN §6), not here.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import MaterialRequirement
from tongban.certificates.models import CertificateType
from tongban.departments.models import Department


class SharingClass(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class DataResource(models.Model):
    """One entry of the catalogue with the elements of GB/T 21063."""

    class Kind(models.TextChoices):
        POPULATION = "population", _("人口基础信息")
        ENTERPRISE = "enterprise", _("法人基础信息")
        CERTIFICATE = "certificate", _("电子证照")
        CASE_RESULT = "case_result", _("办件结果信息")

    class Subject(models.TextChoices):
        PERSON = "person", _("自然人")
        ENTERPRISE = "enterprise", _("法人")
        ANY = "any", _("自然人或法人")

    class Openness(models.TextChoices):
        OPEN = "open", _("有条件开放")
        CLOSED = "closed", _("不予开放")

    code = models.CharField(_("资源代码"), max_length=40, unique=True)
    name = models.CharField(_("资源名称"), max_length=100)
    provider = models.ForeignKey(
        Department, verbose_name=_("资源提供方"), on_delete=models.PROTECT, related_name="data_resources"
    )
    summary = models.TextField(_("资源摘要"))
    kind = models.CharField(_("资源类型"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("信息主体"), max_length=10, choices=Subject.choices)
    certificate_type = models.OneToOneField(
        CertificateType,
        verbose_name=_("证照类型"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="data_resource",
    )
    # Information items (信息项): [{"name", "label", "type", "meaning"}].
    items = models.JSONField(_("信息项"), default=list)
    sharing_class = models.CharField(_("共享类型"), max_length=14, choices=SharingClass.choices)
    condition = models.CharField(_("共享条件"), max_length=300, blank=True)
    legal_basis = models.CharField(_("共享依据"), max_length=300, blank=True)
    not_shared_reason = models.CharField(_("不予共享理由"), max_length=300, blank=True)
    openness = models.CharField(
        _("开放属性"), max_length=10, choices=Openness.choices, default=Openness.CLOSED
    )
    update_cycle = models.CharField(_("更新周期"), max_length=20, default="实时")
    data_format = models.CharField(_("信息资源格式"), max_length=20, default="JSON")
    decision_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"), null=True, blank=True)
    is_active = models.BooleanField(_("发布"), default=True)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def item_names(self) -> list[str]:
        return [i["name"] for i in self.items or []]

    def item_labels(self, names: list[str] | None = None) -> list[str]:
        labels = {i["name"]: i.get("label", i["name"]) for i in self.items or []}
        return [labels.get(n, n) for n in (names if names is not None else self.item_names)]

    def decision_limit(self) -> int:
        return self.decision_days or getattr(settings, "TONGBAN_SHARING_DECISION_DAYS", 5)


class ConsumerSystem(models.Model):
    """A department's system that calls the exchange API: the department system registered once
    as an OpenID Connect client (``identity.oidc``), whose ``client_id`` it carries, plus the
    public key of its signed client assertions (Ed25519, RFC 7523 ``private_key_jwt`` style).
    Switching the OIDC client off switches its data exchange off too."""

    oidc_client = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("接入系统（统一身份认证）"),
        on_delete=models.PROTECT,
        related_name="sharing_system",
        null=True,
    )
    client_id = models.CharField(_("系统标识"), max_length=64, unique=True)
    name = models.CharField(_("系统名称"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="sharing_systems"
    )
    public_key = models.CharField(_("公钥（Ed25519，十六进制）"), max_length=64)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id"]
        verbose_name = _("共享接入系统")
        verbose_name_plural = _("共享接入系统")

    def __str__(self) -> str:
        return self.name


class SharingRequest(models.Model):
    """共享申请: a consumer asks for named fields of a resource for a purpose."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待答复")
        GRANTED = "granted", _("已同意")
        REFUSED = "refused", _("不予同意")

    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="requests"
    )
    consumer = models.ForeignKey(
        Department, verbose_name=_("使用部门"), on_delete=models.PROTECT, related_name="sharing_requests"
    )
    fields = models.JSONField(_("申请信息项"), default=list)
    purpose = models.CharField(_("用途"), max_length=200)
    legal_basis = models.CharField(_("使用依据"), max_length=300)
    valid_until = models.DateField(_("申请使用期限"))
    # Staff file a request on a page; a department system files it through the API as itself.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    requested_by_system = models.ForeignKey(
        ConsumerSystem,
        verbose_name=_("申请系统"),
        on_delete=models.PROTECT,
        related_name="requests",
        null=True,
        blank=True,
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    due_on = models.DateField(_("答复期限"))
    due_estimated = models.BooleanField(default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decision_note = models.CharField(_("答复意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        indexes = [models.Index(fields=["status", "due_on"], name="sharing_request_due")]

    def __str__(self) -> str:
        return f"{self.consumer} → {self.resource}"

    @property
    def field_labels(self) -> list[str]:
        return self.resource.item_labels(self.fields)


class GrantQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None) -> "GrantQuerySet":
        on = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=on, valid_until__gte=on)


class Grant(models.Model):
    """授权: what a consumer may read of a resource, for which purpose, until when."""

    code = models.CharField(_("授权编号"), max_length=40, unique=True)
    request = models.OneToOneField(
        SharingRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="grant"
    )
    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="grants"
    )
    consumer = models.ForeignKey(
        Department, verbose_name=_("使用部门"), on_delete=models.PROTECT, related_name="sharing_grants"
    )
    fields = models.JSONField(_("授权信息项"), default=list)
    purpose = models.CharField(_("用途"), max_length=200)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"))
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(_("撤销理由"), max_length=300, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        indexes = [models.Index(fields=["consumer", "resource"], name="sharing_grant_lookup")]

    def __str__(self) -> str:
        return self.code

    @property
    def field_labels(self) -> list[str]:
        return self.resource.item_labels(self.fields)

    def in_force_on(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.revoked_at is None and self.valid_from <= on <= self.valid_until


class SharedMaterial(models.Model):
    """A material of an item that comes by sharing (来源渠道 共享): not asked of the applicant."""

    requirement = models.OneToOneField(
        MaterialRequirement,
        verbose_name=_("申请材料"),
        on_delete=models.CASCADE,
        related_name="shared_source",
    )
    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="materials"
    )
    fields = models.JSONField(_("所需信息项"), default=list)

    class Meta:
        verbose_name = _("共享获取材料")
        verbose_name_plural = _("共享获取材料")

    def __str__(self) -> str:
        return f"{self.requirement} ← {self.resource}"


class ReadReport(models.Model):
    """A person reports a read of their data they think was wrong; supervisors answer it."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ANSWERED = "answered", _("已答复")

    access = models.ForeignKey(
        "registries.DataAccessLog", verbose_name=_("数据使用记录"), on_delete=models.PROTECT, related_name="+"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("反映人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("反映内容"), max_length=500)
    created_at = models.DateTimeField(_("反映时间"), auto_now_add=True)
    due_on = models.DateField(_("处理期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.CharField(_("处理结果"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据使用异议")
        verbose_name_plural = _("数据使用异议")

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.reason[:30]}"


class DataDispute(models.Model):
    """数据纠错: a person says a value a provider holds about them is wrong."""

    class Status(models.TextChoices):
        OPEN = "open", _("待核实")
        CORRECTED = "corrected", _("已更正")
        REJECTED = "rejected", _("维持原值")

    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="disputes"
    )
    provider = models.ForeignKey(
        Department, verbose_name=_("核实部门"), on_delete=models.PROTECT, related_name="data_disputes"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    subject_number = models.CharField(_("信息主体证件号码"), max_length=18)
    field = models.CharField(_("信息项"), max_length=40)
    claimed_value = models.CharField(_("正确的值"), max_length=200)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    due_on = models.DateField(_("核实期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("核实结果"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据纠错")
        verbose_name_plural = _("数据纠错")

    def __str__(self) -> str:
        return f"{self.resource.name} · {self.field}"
