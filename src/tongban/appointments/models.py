"""预约 / 取号 / 叫号: halls, their windows, time slots with quotas, bookings and the day's queue.

A slot belongs to one window on one day; its ``capacity`` is shared between online bookings
(``online_quota``) and walk-ins (the rest). The counters ``booked`` and ``walk_ins`` only move
through conditional updates in ``services`` and are kept within their shares by check
constraints as well, so no interleaving of processes can overbook a slot.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.regions.models import Region


class Hall(models.Model):
    """政务服务大厅: one place with windows of several departments."""

    code = models.SlugField(_("大厅代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("管理部门"), on_delete=models.PROTECT, related_name="halls"
    )
    book_days_ahead = models.PositiveSmallIntegerField(_("可提前预约天数"), default=7)
    cancel_before_minutes = models.PositiveIntegerField(_("最晚取消时间（开始前分钟）"), default=60)
    check_in_early_minutes = models.PositiveIntegerField(_("最早签到（开始前分钟）"), default=60)
    check_in_late_minutes = models.PositiveIntegerField(_("最晚签到（结束后分钟）"), default=15)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """A window of one department in a hall, serving some of that department's items."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="windows")
    number = models.CharField(_("窗口号"), max_length=20)
    name = models.CharField(_("窗口名称"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="windows"
    )
    items = models.ManyToManyField(
        ServiceItem, verbose_name=_("可办事项"), related_name="windows", blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["hall_id", "number"]
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_number_unique")]

    def __str__(self) -> str:
        return f"{self.hall} {self.number}"


class SlotTemplate(models.Model):
    """The daily plan of a window for one weekday (0 = Monday); an adjusted working weekend day
    (调休) follows Monday's plan."""

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="templates")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=[(i, str(i)) for i in range(7)])
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("总号数"))
    online_quota = models.PositiveSmallIntegerField(_("网上预约号数"))

    class Meta:
        ordering = ["window_id", "weekday", "start"]
        verbose_name = _("时段模板")
        verbose_name_plural = _("时段模板")
        constraints = [
            models.UniqueConstraint(fields=["window", "weekday", "start"], name="slot_template_unique"),
            models.CheckConstraint(condition=Q(online_quota__lte=F("capacity")), name="slot_template_share"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="slot_template_order"),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.weekday} {self.start:%H:%M}"


class Slot(models.Model):
    """One window's time slot on one working day, with its quotas and what has been taken."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="slots")
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="slots")
    date = models.DateField(_("日期"))
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("总号数"))
    online_quota = models.PositiveSmallIntegerField(_("网上预约号数"))
    booked = models.PositiveSmallIntegerField(_("已预约"), default=0)
    walk_ins = models.PositiveSmallIntegerField(_("现场取号"), default=0)
    # 延时服务: a slot added outside the templates (evenings, a weekend opening); the templates'
    # refresh never removes it, even on a rest day.
    extra = models.BooleanField(_("延时服务"), default=False)

    class Meta:
        ordering = ["date", "start", "window_id"]
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        indexes = [models.Index(fields=["hall", "date", "start"], name="slot_hall_day")]
        constraints = [
            models.UniqueConstraint(fields=["window", "date", "start"], name="slot_unique"),
            models.CheckConstraint(condition=Q(booked__lte=F("online_quota")), name="slot_online_quota"),
            models.CheckConstraint(
                condition=Q(walk_ins__lte=F("capacity") - F("online_quota")), name="slot_walk_in_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.date} {self.start:%H:%M}"

    @property
    def online_left(self) -> int:
        return max(self.online_quota - self.booked, 0)


class Booking(models.Model):
    """A person's booking of a slot for one item; ``number`` is what they show at the hall."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CHECKED_IN = "checked_in", _("已签到")
        CANCELLED = "cancelled", _("已取消")
        NO_SHOW = "no_show", _("爽约")

    number = models.CharField(_("预约号"), max_length=20, unique=True)
    check_code = models.CharField(_("签到码"), max_length=6)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(auto_now_add=True)
    rescheduled = models.PositiveSmallIntegerField(_("改约次数"), default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [
            models.Index(fields=["status", "reminded_at"], name="booking_status"),
            models.Index(fields=["user", "status", "no_show_at"], name="booking_user_status"),
        ]
        constraints = [
            # 同一人同一事项只能有一个有效预约 (race-free: the database refuses the second).
            models.UniqueConstraint(
                fields=["user", "item"], condition=Q(status="booked"), name="booking_one_active_per_item"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Suspension(models.Model):
    """Booking suspended after repeated no-shows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    no_shows = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-ends_at"]
        verbose_name = _("暂停预约")
        verbose_name_plural = _("暂停预约")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.ends_at:%Y-%m-%d}"


class TicketCounter(models.Model):
    """The day's last ticket number per hall and prefix (Y 预约, A 现场)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    prefix = models.CharField(max_length=2)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "prefix"], name="ticket_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.day} {self.prefix}{self.value}"


class Ticket(models.Model):
    """A place in the day's queue: from a booking at check-in, or taken by a walk-in."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        SERVING = "serving", _("办理中")
        DONE = "done", _("已办结")
        SKIPPED = "skipped", _("过号")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="tickets")
    date = models.DateField()
    number = models.CharField(_("排队号"), max_length=10)
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.WAITING)
    queue_at = models.DateTimeField(help_text=_("排队顺序：预约号按时段开始，现场号按取号时间"))
    priority = models.PositiveSmallIntegerField(default=1, help_text=_("同一时刻预约号（0）先于现场号（1）"))
    checked_in_at = models.DateTimeField()
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(null=True, blank=True)
    last_called_at = models.DateTimeField(null=True, blank=True, db_index=True)
    call_count = models.PositiveSmallIntegerField(default=0)
    serve_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    service_seconds = models.PositiveIntegerField(null=True, blank=True)
    rating_token = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["queue_at", "priority", "id"]
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        indexes = [models.Index(fields=["hall", "date", "status", "queue_at"], name="ticket_queue")]
        constraints = [
            models.UniqueConstraint(fields=["hall", "date", "number"], name="ticket_number_unique")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_booked(self) -> bool:
        return self.booking_id is not None
