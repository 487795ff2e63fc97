"""好差评 (国办发〔2019〕51号): five levels, one rating per case online and per visit at the window,
差评 follow-up with a working-day clock, appeals, and the figures departments are ranked by.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
ONLINE_INDICATORS = {
    "overall": _("整体满意度"),
    "efficiency": _("办事效率"),
    "guide_accuracy": _("指南准确度"),
    "convenience": _("便捷度"),
    "usability": _("平台操作性"),
}
WINDOW_INDICATORS = {
    "overall": _("整体满意度"),
    "efficiency": _("效率"),
    "competence": _("水平"),
    "attitude": _("态度"),
}


class WindowVisit(models.Model):
    """One visit at a service-hall window; its QR code lets the person rate that visit once."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="window_visits")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="window_visits"
    )
    item = models.ForeignKey(ServiceItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("窗口服务")
        verbose_name_plural = _("窗口服务")

    def __str__(self) -> str:
        return f"{self.department} {self.created_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("网上")
        WINDOW = "window", _("窗口")

    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="rating")
    visit = models.OneToOneField(
        WindowVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="rating"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="ratings")
    item = models.ForeignKey(
        ServiceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    region_code = models.CharField(max_length=12, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rater_name = models.CharField(max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    scores = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    is_default = models.BooleanField(_("默认评价"), default=False)
    excluded = models.BooleanField(_("申诉成立，不计入统计"), default=False, db_index=True)
    follow_up = models.TextField(_("追评"), blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        indexes = [models.Index(fields=["department", "created_at"], name="rating_department_time")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.department}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class Rectification(models.Model):
    """差评整改: call the person back within 1 working day, fix it within 15."""

    class Status(models.TextChoices):
        OPEN = "open", _("待回访")
        CALLED_BACK = "called_back", _("已回访，整改中")
        RECTIFIED = "rectified", _("已整改")

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="rectifications")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    callback_due = models.DateField(_("回访期限"))
    rectify_due = models.DateField(_("整改期限"))
    called_back_at = models.DateTimeField(null=True, blank=True)
    callback_note = models.TextField(blank=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(_("整改结果"), blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    re_rating_invited = models.BooleanField(default=False)
    re_rating_level = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["callback_due", "id"]
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")

    def __str__(self) -> str:
        return f"整改 {self.rating_id} {self.get_status_display()}"


class Appeal(models.Model):
    """A department's appeal against a malicious or mistaken rating; a supervisor decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="appeals")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")

    def __str__(self) -> str:
        return f"申诉 {self.rating_id} {self.get_status_display()}"
