"""Yellow and red cards (黄牌 / 红牌) and the 督办 orders that follow them.

A card is raised by the platform, never by hand: one per (case, trigger), so a second sweep
finds the card it raised before and at most upgrades it from yellow to red. The card is the
department's task; a supervisor's 督办 order on it gives the department a deadline in working
days, and the department's answer (the measures taken) is accepted, which closes the card, or
sent back. An order not answered by its deadline is escalated to the supervisors of the parent
region (``escalated_to``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.models import Case
from tongban.departments.models import Department


class Trigger(models.TextChoices):
    OVERDUE = "overdue", _("超期未办结")
    STEP_OVERRUN = "step_overrun", _("环节超时")
    REFUSAL_NO_REASON = "refusal_no_reason", _("不予受理/不予许可未说明理由")
    REPEATED_CORRECTION = "repeated_correction", _("多次要求补正")
    FEE_ON_FREE_ITEM = "fee_on_free_item", _("不收费事项收费")
    ONLINE_AT_WINDOW = "online_at_window", _("全程网办事项仅在窗口办理")


class Colour(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class Card(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待督办")
        ORDERED = "ordered", _("督办中")
        ANSWERED = "answered", _("待审核")
        CLOSED = "closed", _("已办结")

    OPEN_STATUSES = (Status.OPEN, Status.ORDERED, Status.ANSWERED)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="cards", verbose_name=_("办件"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="cards", verbose_name=_("部门")
    )
    # The case's region code: supervisors' scope is a prefix of it, as for cases.
    region_code = models.CharField(max_length=12, db_index=True)
    trigger = models.CharField(_("触发条件"), max_length=24, choices=Trigger.choices)
    colour = models.CharField(_("颜色"), max_length=6, choices=Colour.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    detail = models.CharField(_("说明"), max_length=300)
    raised_at = models.DateTimeField(_("亮牌时间"), auto_now_add=True)
    upgraded_at = models.DateTimeField(_("升级红牌时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("黄牌红牌")
        verbose_name_plural = _("黄牌红牌")
        constraints = [models.UniqueConstraint(fields=["case", "trigger"], name="card_once_per_trigger")]
        indexes = [
            models.Index(fields=["status", "region_code"], name="card_open_region"),
            models.Index(fields=["department", "status"], name="card_department"),
        ]

    def __str__(self) -> str:
        return f"{self.get_colour_display()} {self.get_trigger_display()} {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Order(models.Model):
    """督办: the supervisor's instruction on a card and the department's deadline to answer."""

    card = models.OneToOneField(
        Card, on_delete=models.CASCADE, related_name="order", verbose_name=_("黄牌红牌")
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("督办时间"), auto_now_add=True)
    # The supervisor's own region when issuing: escalation goes to its parent's supervisors.
    issuer_region_code = models.CharField(max_length=12)
    instruction = models.TextField(_("督办要求"))
    workdays = models.PositiveSmallIntegerField(_("答复时限（工作日）"))
    due = models.DateField(_("答复期限"), db_index=True)
    escalated_at = models.DateTimeField(_("升级督办时间"), null=True, blank=True)
    escalated_to = models.CharField(_("升级至区划"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")

    def __str__(self) -> str:
        return f"督办 {self.card_id}"


class Answer(models.Model):
    """The department's answer to a 督办 order, and the supervisor's verdict on it."""

    class Verdict(models.TextChoices):
        PENDING = "", _("待审核")
        ACCEPTED = "accepted", _("已认可")
        RETURNED = "returned", _("已退回")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="answers")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), auto_now_add=True)
    measures = models.TextField(_("整改措施"))
    verdict = models.CharField(_("审核结果"), max_length=10, choices=Verdict.choices, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_opinion = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["order", "answered_at", "id"]
        verbose_name = _("督办答复")
        verbose_name_plural = _("督办答复")

    def __str__(self) -> str:
        return f"答复 {self.order_id}"
