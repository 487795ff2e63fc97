"""Applications (drafts) and cases (办件): everything that happens after someone applies.

Status, current step, role, assignee and deadlines are ordinary indexed columns so queues and
statistics never load a workflow (DESIGN §2); the SpiffWorkflow state is kept beside them and
written in the same transaction as every step.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import Channel, ItemType, LifeEvent, MaterialRequirement, ServiceItem
from tongban.departments.models import Department
from tongban.forms.models import FormDefinition
from tongban.workflow.models import ProcessDefinition


class Delivery(models.TextChoices):
    """How a result reaches the applicant (跨域通办: online or by post to the chosen address)."""

    ONLINE = "online", _("网上送达")
    POST = "post", _("邮寄送达")


class JointApplication(models.Model):
    """The draft of a 一件事 application: one form, one set of materials, one submission.

    The selected items are ordinary child ``Application`` rows (``Application.joint``), so every
    single-item rule (prefill, material providers, missing materials, submission steps) applies
    to each of them unchanged; this row holds what the applicant gives once for all of them.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        EXPIRED = "expired", _("已过期")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bundle = models.ForeignKey(LifeEvent, on_delete=models.PROTECT, related_name="joint_applications")
    bundle_version = models.PositiveIntegerField(_("一件事版本"), default=1)
    region_code = models.CharField(_("办理地区"), max_length=12, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="joint_applications"
    )
    enterprise = models.ForeignKey(
        "identity.EnterpriseAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_applications",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("渠道"), max_length=1, choices=Channel.choices, default=Channel.ONLINE)
    answers = models.JSONField(_("情形引导答案"), default=dict, blank=True)
    data = models.JSONField(_("合并表单数据"), default=dict, blank=True)
    step = models.PositiveSmallIntegerField(_("当前步骤"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    expires_at = models.DateTimeField(_("草稿保留至"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        indexes = [
            models.Index(fields=["applicant", "status", "-updated_at"], name="joint_application_owner")
        ]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.get_status_display()}"


class Application(models.Model):
    """What the applicant fills in before submitting (申请草稿); kept 30 days."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        EXPIRED = "expired", _("已过期")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="applications")
    form = models.ForeignKey(
        FormDefinition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    enterprise = models.ForeignKey(
        "identity.EnterpriseAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("渠道"), max_length=1, choices=Channel.choices, default=Channel.ONLINE)
    data = models.JSONField(_("表单数据"), default=dict, blank=True)
    step = models.PositiveSmallIntegerField(_("当前步骤"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    expires_at = models.DateTimeField(_("草稿保留至"))
    joint = models.ForeignKey(
        JointApplication,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("一件事申请"),
    )
    # 跨域通办: chosen on the draft (the receiving window is known when it starts the draft) and
    # copied to the case at submission.
    receiving_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收件地"),
    )
    delivery = models.CharField(
        _("送达方式"), max_length=8, choices=Delivery.choices, default=Delivery.ONLINE
    )
    delivery_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        indexes = [models.Index(fields=["applicant", "status", "-updated_at"], name="application_owner")]

    def __str__(self) -> str:
        return f"{self.item} · {self.get_status_display()}"


class JointCase(models.Model):
    """联办件: one 一件事 submission, split into one child ``Case`` per item (``children``).

    The lead department sees every child; the joint deadline runs on the working-day clock.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("办理中")
        RELEASED = "released", _("已统一出件")
        CONCLUDED = "concluded", _("已办结")
        STOPPED = "stopped", _("已终止")
        WITHDRAWN = "withdrawn", _("已撤回")

    number = models.CharField(_("联办件编号"), max_length=32, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    joint_application = models.OneToOneField(
        JointApplication, on_delete=models.PROTECT, related_name="joint_case"
    )
    bundle = models.ForeignKey(LifeEvent, on_delete=models.PROTECT, related_name="joint_cases")
    bundle_version = models.PositiveIntegerField(_("一件事版本"), default=1)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="joint_cases"
    )
    enterprise = models.ForeignKey(
        "identity.EnterpriseAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_cases",
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applicant_name = models.CharField(_("申请人"), max_length=200)
    channel = models.CharField(_("渠道"), max_length=1, choices=Channel.choices)
    lead_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_joint_cases",
        verbose_name=_("牵头部门"),
    )
    region_code = models.CharField(max_length=12, db_index=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True
    )
    joint_limit_days = models.PositiveIntegerField(_("联办承诺时限（工作日）"), default=0)
    joint_due = models.DateField(_("联办期限"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    released_at = models.DateTimeField(_("统一出件时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True, null=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("联办件")
        verbose_name_plural = _("联办件")
        indexes = [
            models.Index(fields=["applicant", "-submitted_at"], name="joint_case_applicant"),
            models.Index(fields=["lead_department", "status"], name="joint_case_lead"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                name="joint_case_idempotency",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.number


class Case(models.Model):
    class Status(models.TextChoices):
        PENDING_INTAKE = "pending_intake", _("待受理")
        CORRECTION = "correction", _("待补正")
        IN_REVIEW = "in_review", _("审查中")
        SPECIAL = "special", _("特别程序")
        PENDING_DECISION = "pending_decision", _("待决定")
        PENDING_ISSUE = "pending_issue", _("待制证")
        PAYMENT = "payment", _("待缴费")
        CONCLUDED = "concluded", _("已办结")
        REFUSED = "refused", _("不予受理")
        DENIED = "denied", _("不予批准")
        FORWARDED = "forwarded", _("已转报")
        WITHDRAWN = "withdrawn", _("已撤回")
        # A joint child waiting for its prerequisite children to conclude: no process step,
        # no clock, in no queue until released.
        HELD = "held", _("待前置事项办结")
        # A joint child ended because a refusal elsewhere in its joint case stops it.
        STOPPED = "stopped", _("已终止")

    class HandlingMode(models.TextChoices):
        LOCAL = "", _("本地办理")
        ONLINE = "online", _("全程网办")
        PROXY = "proxy", _("异地代收代办")
        MULTI = "multi", _("多地联办")

    Delivery = Delivery

    class Result(models.TextChoices):
        ISSUED = "issued", _("出证")
        RETURNED = "returned", _("退回/驳回")
        VOIDED = "voided", _("作废")
        DELETED = "deleted", _("删除")
        FORWARDED = "forwarded", _("转报")
        NOT_CORRECTED = "not_corrected", _("补交不来")
        OTHER = "other", _("其他")

    OPEN_STATUSES = (
        Status.PENDING_INTAKE,
        Status.CORRECTION,
        Status.IN_REVIEW,
        Status.SPECIAL,
        Status.PENDING_DECISION,
        Status.PENDING_ISSUE,
        Status.PAYMENT,
        Status.HELD,
    )

    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="case")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    region_code = models.CharField(max_length=12, db_index=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases")
    enterprise = models.ForeignKey(
        "identity.EnterpriseAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applicant_name = models.CharField(_("申请人"), max_length=200, db_index=True)
    channel = models.CharField(_("渠道"), max_length=1, choices=Channel.choices)
    form = models.ForeignKey(
        FormDefinition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("申请数据"), default=dict)

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, db_index=True)
    result = models.CharField(_("办结结果"), max_length=16, choices=Result.choices, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    current_step = models.CharField(_("当前环节"), max_length=64, blank=True)
    current_step_title = models.CharField(_("当前环节名称"), max_length=64, blank=True)
    current_role = models.CharField(_("办理角色"), max_length=20, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    process = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="cases")
    workflow_state = models.TextField(editable=False)
    version = models.PositiveIntegerField(default=1)

    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    intake_due = models.DateField(_("受理期限"), null=True, blank=True)
    legal_due = models.DateField(_("法定期限"), null=True, blank=True)
    promised_due = models.DateField(_("承诺期限"), null=True, blank=True, db_index=True)
    due_estimated = models.BooleanField(_("期限按未发布年度估算"), default=False)
    # The deadline that matters now (intake or promised) and the day it turns yellow: the
    # queue filters and colours on these two indexed dates without computing per row.
    due_date = models.DateField(_("当前办理期限"), null=True, blank=True)
    warn_date = models.DateField(_("预警日期"), null=True, blank=True)
    limit_days = models.PositiveIntegerField(_("承诺时限"), default=0)
    limit_unit = models.CharField(_("时限单位"), max_length=1, default="G")
    paused_since = models.DateTimeField(_("计时暂停自"), null=True, blank=True)
    paused_reason = models.CharField(max_length=20, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True, null=True)

    # 一件事: the joint case this case is a child of, whether its conclusion gates unified
    # issuing, the children that must conclude before it starts, and when its result was
    # released to the applicant (统一出件).
    joint = models.ForeignKey(
        JointCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("联办件"),
    )
    essential = models.BooleanField(_("必办事项"), default=False)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents", verbose_name=_("前置办件")
    )
    released_at = models.DateTimeField(_("结果发布时间"), null=True, blank=True)

    # 跨域通办: how the case is handled across regions, the receiving office (收件地) and how
    # the result reaches the applicant.
    handling_mode = models.CharField(
        _("办理模式"), max_length=8, choices=HandlingMode.choices, default=HandlingMode.LOCAL, blank=True
    )
    receiving_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_cases",
        verbose_name=_("收件地"),
    )
    receiving_region_code = models.CharField(_("收件地区划"), max_length=12, blank=True)
    delivery = models.CharField(
        _("送达方式"), max_length=8, choices=Delivery.choices, default=Delivery.ONLINE
    )
    delivery_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["department", "current_role", "status", "due_date"], name="case_queue"),
            models.Index(fields=["applicant", "-submitted_at"], name="case_applicant"),
            models.Index(fields=["enterprise", "-submitted_at"], name="case_enterprise"),
            models.Index(fields=["assignee", "status"], name="case_assignee"),
            models.Index(fields=["item", "status"], name="case_item_status"),
            models.Index(fields=["joint", "status"], name="case_joint_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                name="case_idempotency",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def clock_running(self) -> bool:
        return self.paused_since is None


class CaseEvent(models.Model):
    """One line of a case's history; ``public`` lines form the applicant's timeline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=100, blank=True)
    on_behalf_of = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=32)
    title = models.CharField(max_length=100)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    step = models.CharField(max_length=64, blank=True)
    opinion = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.title}"


class Attachment(models.Model):
    """An uploaded file: stored under a random name outside the web root, type from content."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    requirement = models.ForeignKey(
        MaterialRequirement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="private/attachments/%Y/%m/")
    display_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    replaced = models.BooleanField(default=False)
    certificate_identifier = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["application", "requirement_id", "uploaded_at"]
        verbose_name = _("申请材料文件")
        verbose_name_plural = _("申请材料文件")

    def __str__(self) -> str:
        return self.display_name


class CorrectionRequest(models.Model):
    """补正 (一次性告知): one notice listing every field and material to fix."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    fields = models.JSONField(default=list, blank=True)
    materials = models.ManyToManyField(MaterialRequirement, blank=True, related_name="+")
    notice = models.TextField(_("补正说明"))
    answered_at = models.DateTimeField(null=True, blank=True)
    joint_notice = models.ForeignKey(
        "JointNotice", null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections"
    )

    class Meta:
        ordering = ["case", "-requested_at"]
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")

    def __str__(self) -> str:
        return f"{self.case_id} 补正"


class JointNotice(models.Model):
    """One notice to the applicant of a joint case that gathers what several departments said on
    the same working day: correction requests (一次告知, answered once) or results (统一出件)."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("补正告知")
        RESULT = "result", _("结果通知")

    joint = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    on_date = models.DateField(_("工作日"))
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joint", "-on_date", "-id"]
        verbose_name = _("联办通知")
        verbose_name_plural = _("联办通知")
        indexes = [models.Index(fields=["joint", "kind", "on_date"], name="joint_notice_day")]

    def __str__(self) -> str:
        return f"{self.joint_id} {self.get_kind_display()} {self.on_date}"


class CaseNumberCounter(models.Model):
    """Per region and day sequence: the database hands out numbers, so any process may submit."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.region_code}-{self.day}: {self.value}"


class JointNumberCounter(models.Model):
    """The joint cases' own per region and day sequence (``numbering.next_joint_number``)."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="joint_counter_unique")]

    def __str__(self) -> str:
        return f"LB{self.region_code}-{self.day}: {self.value}"


class DocumentTemplate(models.Model):
    """An edited wording (title and body) of one letter for one item type.

    Every save is a new version; the newest version of a department wins over the platform's,
    which wins over the defaults in code (``cases.document_templates.DEFAULTS``). The body is
    plain text with ``{{ 占位符 }}`` placeholders, never a Django template.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("受理回执")
        ACCEPTANCE = "acceptance", _("受理通知")
        CORRECTION = "correction", _("补正通知")
        REFUSAL = "refusal", _("不予受理")
        GRANT = "grant", _("准予决定")
        DENY = "deny", _("不予决定")

    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("部门")
    )
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    kind = models.CharField(_("文书"), max_length=12, choices=Kind.choices)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=40)
    body = models.TextField(_("正文"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department_id", "item_type", "kind", "-version"]
        verbose_name = _("文书模板")
        verbose_name_plural = _("文书模板")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "item_type", "kind", "version"],
                name="doc_template_version",
                condition=models.Q(department__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["item_type", "kind", "version"],
                name="doc_template_platform_version",
                condition=models.Q(department__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_type_display()} {self.get_kind_display()} v{self.version}"
