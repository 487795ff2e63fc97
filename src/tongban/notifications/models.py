from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.departments.models import Department


class MessageTemplate(models.Model):
    """The text sent for one case event on one channel; admins edit these (Django template syntax).

    Context: ``case`` (number, status label, item name via ``case.item.name``), ``applicant_name``,
    ``department``, ``link``.
    """

    class Channel(models.TextChoices):
        INBOX = "inbox", _("站内消息")
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    event = models.CharField(_("事件"), max_length=40)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("标题"), max_length=120, blank=True)
    body = models.TextField(_("内容"))
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "channel"]
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="message_template_unique")]

    def __str__(self) -> str:
        return f"{self.event} · {self.get_channel_display()}"


class Notification(models.Model):
    """One message in a person's in-app inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=120)
    body = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    event = models.CharField(max_length=40, blank=True)
    case_number = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """An SMS or email on its way, retried with back-off by the background worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(max_length=8, choices=MessageTemplate.Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    event = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("短信/邮件发送记录")
        verbose_name_plural = _("短信/邮件发送记录")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_status_display()}"


class WebhookSubscription(models.Model):
    """A department system that wants case events of its department, signed with HMAC-SHA256."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(_("接收系统"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=300)
    secret = models.CharField(_("签名密钥"), max_length=100)
    events = models.JSONField(_("订阅事件"), default=list, blank=True, help_text=_("为空表示全部事件"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department", "name"]
        verbose_name = _("事件订阅（Webhook）")
        verbose_name_plural = _("事件订阅（Webhook）")

    def __str__(self) -> str:
        return f"{self.department} · {self.name}"


class WebhookDelivery(models.Model):
    """The delivery log: every attempt's outcome stays visible to the department."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("投递失败")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Webhook 投递记录")
        verbose_name_plural = _("Webhook 投递记录")

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"
