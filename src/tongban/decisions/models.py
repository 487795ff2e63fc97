"""秒批 (an item decided by its published table at submission) and 免申即享 (entitlements
offered to people a policy table finds in the registries), with the human review of an
automatic decision."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.registries.models import PopulationRecord
from tongban.workflow.models import DecisionTable


class InstantApproval(models.Model):
    """An item marked 秒批: its table (by key) decides each submission; a grant concludes the
    case with no human step, anything else goes to the department's queue."""

    item = models.OneToOneField(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="instant_approval"
    )
    table_key = models.CharField(_("决策表标识"), max_length=80)
    is_active = models.BooleanField(_("启用秒批"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("秒批事项")
        verbose_name_plural = _("秒批事项")

    def __str__(self) -> str:
        return str(self.item)


class AutomaticDecision(models.Model):
    """What the table said about one case, with the version that said it (pinned): digest,
    the rules that fired, the inputs and the outputs."""

    class Outcome(models.TextChoices):
        GRANT = "grant", _("准予")
        DENY = "deny", _("不予（转人工）")
        UNDECIDED = "undecided", _("无法判定（转人工）")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="automatic_decision")
    table = models.ForeignKey(
        DecisionTable, verbose_name=_("决策表版本"), on_delete=models.PROTECT, related_name="+"
    )
    digest = models.CharField(_("决策表摘要"), max_length=64)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    rows = models.JSONField(_("命中规则"), default=list)
    inputs = models.JSONField(_("输入"), default=dict)
    outputs = models.JSONField(_("输出"), default=dict)
    # What the table read besides the form (applicant, registry, date), for simulations.
    context = models.JSONField(default=dict)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    offer = models.ForeignKey("Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("自动办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("自动决定")
        verbose_name_plural = _("自动决定")
        indexes = [models.Index(fields=["outcome", "finished_at"], name="autodecision_pending")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome}"


class HumanReview(models.Model):
    """The applicant asks a person to look again at an automatic decision: a task for the
    department with a deadline in working days."""

    class Status(models.TextChoices):
        OPEN = "open", _("待复核")
        UPHELD = "upheld", _("维持自动决定")
        CHANGED = "changed", _("改变自动决定")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="human_reviews")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("复核理由"))
    due_date = models.DateField(_("复核期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("复核意见"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("人工复核")
        verbose_name_plural = _("人工复核")

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"


class Policy(models.Model):
    """A 免申即享 policy: a table over registry data and the item that delivers it."""

    class Period(models.TextChoices):
        ONCE = "once", _("一次性")
        YEAR = "year", _("每年")

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("兑现事项"), on_delete=models.PROTECT, related_name="+"
    )
    table_key = models.CharField(_("决策表标识"), max_length=80)
    period = models.CharField(_("享受周期"), max_length=5, choices=Period.choices, default=Period.ONCE)
    summary = models.CharField(_("政策说明"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("免申即享政策")
        verbose_name_plural = _("免申即享政策")

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """One person found qualifying for one policy in one period (one row at most)."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DECLINED = "declined", _("已放弃")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("站内消息与短信")
        LETTER = "letter", _("书面告知（无账号）")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="offers")
    person = models.ForeignKey(PopulationRecord, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(_("周期"), max_length=10)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OFFERED)
    channel = models.CharField(_("告知方式"), max_length=8, choices=Channel.choices)
    table = models.ForeignKey(DecisionTable, on_delete=models.PROTECT, related_name="+")
    rows = models.JSONField(default=list)
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("免申即享待遇")
        verbose_name_plural = _("免申即享待遇")
        constraints = [
            models.UniqueConstraint(fields=["policy", "person", "period"], name="offer_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.period}"
