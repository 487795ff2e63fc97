"""缴款单, its channel payments, refunds, statements and webhooks (统一支付, DESIGN §4).

Money is ``Decimal`` yuan with two places. The amount still refundable is ``amount -
refunded_amount`` and is guarded by a conditional update (``services.refund``), so two refunds
at once can never together exceed it; a check constraint says the same in the database.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department


class Channel(models.TextChoices):
    ALIPAY = "alipay", _("支付宝")
    WECHAT = "wechat", _("微信支付")
    WINDOW = "window", _("窗口缴款")


ONLINE_CHANNELS = (Channel.ALIPAY, Channel.WECHAT)


class PaymentOrder(models.Model):
    """缴款通知: what one case (or an API caller) owes, with the 非税 payment code."""

    class Status(models.TextChoices):
        CREATED = "created", _("待缴费")
        PAYING = "paying", _("支付中")
        PAID = "paid", _("已缴费")
        FAILED = "failed", _("支付失败")
        EXPIRED = "expired", _("已过期")
        CANCELLED = "cancelled", _("已取消")

    OPEN = (Status.CREATED, Status.PAYING, Status.FAILED)

    number = models.CharField(_("缴款单号"), max_length=32, unique=True)
    payment_code = models.CharField(_("非税缴款码"), max_length=20, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="payment_orders"
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="payment_orders")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="payment_orders")
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_orders",
    )
    payer_name = models.CharField(_("缴款人"), max_length=200)
    subject = models.CharField(_("缴款事由"), max_length=200)
    lines = models.JSONField(_("收费明细"), default=list)
    amount = models.DecimalField(_("应缴金额"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(_("已退金额"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CREATED)
    channel = models.CharField(_("缴款渠道"), max_length=10, choices=Channel.choices, blank=True)
    channel_trade_no = models.CharField(_("渠道交易号"), max_length=64, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("缴款时间"), null=True, blank=True)
    settlement_date = models.DateField(_("清算日期"), null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("缴款期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("缴款单")
        verbose_name_plural = _("缴款单")
        indexes = [
            models.Index(fields=["department", "status", "-created_at"], name="payorder_dept"),
            models.Index(fields=["payer", "-created_at"], name="payorder_payer"),
            models.Index(fields=["status", "expires_at"], name="payorder_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                name="payorder_idempotency",
                condition=Q(idempotency_key__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payorder_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def refundable(self):
        return self.amount - self.refunded_amount

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Callback(models.Model):
    """Every provider notification received, kept whatever became of it: the replay guard
    (one row per provider notification id) and the log finance staff read."""

    class Outcome(models.TextChoices):
        CREDITED = "credited", _("已入账")
        DUPLICATE = "duplicate", _("重复通知（已忽略）")
        IGNORED = "ignored", _("无需处理")
        REJECTED = "rejected", _("已拒绝")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    notify_id = models.CharField(max_length=100)
    order = models.ForeignKey(
        PaymentOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    event = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        indexes = [models.Index(fields=["channel", "notify_id"], name="paycallback_notify")]

    def __str__(self) -> str:
        return f"{self.channel} {self.notify_id} {self.outcome}"


class Refund(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("已退款")
        FAILED = "failed", _("退款失败")

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds")
    number = models.CharField(_("退款单号"), max_length=40, unique=True)
    amount = models.DecimalField(_("退款金额"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("退款原因"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    channel_refund_no = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                name="refund_idempotency",
                condition=Q(idempotency_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.number


class Statement(models.Model):
    """One channel's bill (对账单) for one day, imported and matched against the orders."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    bill_date = models.DateField(_("账单日期"))
    digest = models.CharField(max_length=64)
    lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-bill_date", "channel"]
        verbose_name = _("对账单")
        verbose_name_plural = _("对账单")
        constraints = [models.UniqueConstraint(fields=["channel", "bill_date"], name="statement_day")]

    def __str__(self) -> str:
        return f"{self.channel} {self.bill_date}"


class Mismatch(models.Model):
    class Kind(models.TextChoices):
        MISSING_THERE = "missing_there", _("我方已缴、渠道无记录")
        MISSING_HERE = "missing_here", _("渠道有款、我方无记录")
        AMOUNT = "amount", _("金额不一致")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="mismatches")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    order = models.ForeignKey(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    out_trade_no = models.CharField(max_length=64, blank=True)
    channel_trade_no = models.CharField(max_length=64, blank=True)
    our_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    their_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("处理说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["statement", "id"]
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.out_trade_no}"


class WebhookEndpoint(models.Model):
    """A department system that wants to hear of its orders (paid, refunded)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="payment_webhooks")
    url = models.URLField(_("接收地址"))
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("缴费通知地址")
        verbose_name_plural = _("缴费通知地址")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    log = models.JSONField(_("发送记录"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
