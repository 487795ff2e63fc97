"""诉求 (12345 requests): questions, suggestions, complaints, calls for help and reports, and the
closed loop they run through: 受理 → 派单 → 办理 → 答复 → 督办 → 办结 → 回访 → 评价.

The status, the handling department and the deadline are ordinary indexed columns (queues and
figures never read the timeline); every step also leaves an ``Event`` for the timeline.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.regions.models import Region


class Kind(models.TextChoices):
    CONSULT = "consult", _("咨询")
    SUGGEST = "suggest", _("建议")
    COMPLAIN = "complain", _("投诉")
    HELP = "help", _("求助")
    REPORT = "report", _("举报")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class KindRule(models.Model):
    """What each kind of request allows and how long a department has to answer it (工作日)."""

    kind = models.CharField(_("诉求类型"), max_length=10, choices=Kind.choices, unique=True)
    answer_workdays = models.PositiveSmallIntegerField(_("答复时限（工作日）"))
    extension_workdays = models.PositiveSmallIntegerField(
        _("可延期（工作日）"), default=0, help_text=_("0 表示不可延期；延期仅一次，须经热线中心同意")
    )
    anonymous_allowed = models.BooleanField(_("允许匿名"), default=False)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("诉求类型规则")
        verbose_name_plural = _("诉求类型规则")

    def __str__(self) -> str:
        return self.get_kind_display()


class Category(models.Model):
    """What a request is about (also the Open311 ``service``)."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    group = models.CharField(_("分组"), max_length=60, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")

    def __str__(self) -> str:
        return self.name


class Centre(models.Model):
    """A 12345 centre: the staff of its department take calls and dispatch in its region."""

    department = models.OneToOneField(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="hotline_centre"
    )
    region = models.ForeignKey(Region, verbose_name=_("服务区划"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("12345 热线中心")
        verbose_name_plural = _("12345 热线中心")

    def __str__(self) -> str:
        return self.department.name


class DispatchRule(models.Model):
    """派单规则: type × category × region → department. The most specific matching rule wins
    (more conditions, then the longer region code), then the higher priority."""

    kind = models.CharField(_("诉求类型"), max_length=10, choices=Kind.choices, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region_code = models.CharField(_("区划代码前缀"), max_length=12, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), on_delete=models.CASCADE, related_name="+"
    )
    priority = models.SmallIntegerField(_("优先级"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["-priority", "pk"]
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")

    def __str__(self) -> str:
        parts = [self.get_kind_display() or "*", str(self.category or "*"), self.region_code or "*"]
        return f"{' × '.join(parts)} → {self.department}"


def new_token() -> str:
    return uuid.uuid4().hex


class Petition(models.Model):
    """One request (诉求) and where it stands."""

    class Channel(models.TextChoices):
        WEB = "web", _("网站")
        API = "api", _("接口")
        PHONE = "phone", _("12345 电话")
        OPEN311 = "open311", _("Open311")
        ASSISTANT = "assistant", _("智能客服转人工")

    class Status(models.TextChoices):
        NEW = "new", _("待派单")
        DISPATCHED = "dispatched", _("待签收")
        HANDLING = "handling", _("办理中")
        ANSWERED = "answered", _("已答复")
        ESCALATED = "escalated", _("督办中")
        CLOSED = "closed", _("已办结")
        MERGED = "merged", _("已合并")

    number = models.CharField(_("诉求编号"), max_length=32, unique=True)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    kind = models.CharField(_("诉求类型"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("来源"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    transcript = models.TextField(_("智能客服对话"), blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("诉求人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="petitions",
    )
    anonymous = models.BooleanField(_("匿名"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    api_client = models.ForeignKey(
        "ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    about_department = models.ForeignKey(
        Department,
        verbose_name=_("涉及部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("办件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="petitions")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW)
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(_("答复期限"), null=True, blank=True, db_index=True)
    warn_date = models.DateField(null=True, blank=True)
    extension_reason = models.CharField(_("延期理由"), max_length=300, blank=True)
    extension_state = models.CharField(
        max_length=10,
        blank=True,
        choices=[("asked", _("已申请")), ("granted", _("已同意")), ("refused", _("未同意"))],
    )
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    answer = models.TextField(_("答复"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["centre", "status"], name="petition_centre_queue"),
            models.Index(fields=["department", "status"], name="petition_department_queue"),
        ]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.MERGED)


class Assignment(models.Model):
    """A department's part in a request: the lead (牵头) or a joint handler (协办)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待签收")
        ACCEPTED = "accepted", _("办理中")
        RETURNED = "returned", _("已退单")
        DONE = "done", _("已反馈")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    lead = models.BooleanField(_("牵头"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(_("退单理由或协办意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-lead", "created_at", "pk"]
        verbose_name = _("承办")
        verbose_name_plural = _("承办")

    def __str__(self) -> str:
        return f"{self.petition_id} {self.department_id}"


class Event(models.Model):
    """One step of a request's timeline (shown to the requester without staff names)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=24)
    actor_label = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.action


class SupervisionOrder(models.Model):
    """督办: raised when a request is overdue or its requester stays dissatisfied; the department answers."""

    class Reason(models.TextChoices):
        OVERDUE = "overdue", _("超期未答复")
        DISSATISFIED = "dissatisfied", _("重办后仍不满意")
        MANUAL = "manual", _("热线中心督办")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="supervision_orders")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=14, choices=Reason.choices)
    note = models.TextField(blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")

    def __str__(self) -> str:
        return self.get_reason_display()


class Attachment(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="consult/")
    display_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.display_name


class PublishedAnswer(models.Model):
    """A reviewed consultation published as a public FAQ entry, stripped of personal data."""

    petition = models.OneToOneField(
        Petition, null=True, blank=True, on_delete=models.SET_NULL, related_name="published_answer"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("公开问答")
        verbose_name_plural = _("公开问答")

    def __str__(self) -> str:
        return self.question


class ApiClient(models.Model):
    """A client system allowed to post requests through Open311; only the key's digest is kept."""

    name = models.CharField(_("名称"), max_length=100)
    key_prefix = models.CharField(max_length=8, editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 接口密钥")
        verbose_name_plural = _("Open311 接口密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(24)


class AssistantLog(models.Model):
    """One question to the assistant, with personal numbers removed, and what it did."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("已回答")
        ASKED_BACK = "asked_back", _("追问")
        HANDED_OVER = "handed_over", _("转人工")

    day = models.DateField(db_index=True)
    question = models.CharField(max_length=200)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    item_code = models.CharField(max_length=80, blank=True)
    section = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = _("智能客服记录")
        verbose_name_plural = _("智能客服记录")

    def __str__(self) -> str:
        return self.question
