import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.registries.models import EnterpriseRecord


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """``tongban createsuperuser`` makes a staff account: it signs in with password and TOTP."""
        extra_fields.setdefault("kind", "staff")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """One account for citizens, enterprise people and staff ("一个号").

    Citizens sign in with their mobile number; staff are bound to a department.
    Real-name levels: L1 registered, L2 verified against the population registry,
    L3 verified in person at a window.
    """

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("公众用户")
        STAFF = "staff", _("工作人员")

    class RealNameLevel(models.IntegerChoices):
        L1 = 1, _("L1 注册用户")
        L2 = 2, _("L2 实名核验")
        L3 = 3, _("L3 现场核验")

    kind = models.CharField(_("账号类型"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True, null=True, unique=True)
    real_name = models.CharField(_("真实姓名"), max_length=50, blank=True)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True, null=True, unique=True)
    real_name_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=RealNameLevel.choices, default=RealNameLevel.L1
    )
    real_name_verified_at = models.DateTimeField(_("实名核验时间"), null=True, blank=True)
    in_person_verified_at = models.DateTimeField(_("现场核验时间"), null=True, blank=True)
    in_person_verified_by = models.ForeignKey(
        "self",
        verbose_name=_("现场核验人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"

    @property
    def is_staff_account(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def display_name(self) -> str:
        """The real name, or for an unverified citizen the masked mobile number (never in full)."""
        if self.real_name:
            return self.real_name
        if self.mobile and self.get_username() == self.mobile:
            from tongban.core.masking import mask_mobile

            return mask_mobile(self.mobile)
        return self.get_username()


class StaffRole(models.TextChoices):
    INTAKE = "intake", _("受理")
    REVIEW = "review", _("审核")
    DECIDE = "decide", _("决定")
    ISSUE = "issue", _("制证")
    CATALOGUE = "catalogue", _("事项管理")
    SUPERVISOR = "supervisor", _("监察")
    FINANCE = "finance", _("财务")
    PLATFORM_ADMIN = "platform_admin", _("系统管理")


class StaffMembership(models.Model):
    """One role of one staff account in one department (a person may hold several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="staff_memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        ordering = ["department_id", "role"]
        verbose_name = _("工作人员角色")
        verbose_name_plural = _("工作人员角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="staff_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_role_display()}"


class LoginEvent(models.Model):
    class Method(models.TextChoices):
        PASSWORD = "password", _("密码")
        SMS = "sms", _("短信验证码")
        TOTP = "totp", _("密码 + 动态口令")
        OTHER = "other", _("其他")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_events")
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices)
    success = models.BooleanField(_("成功"), default=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        indexes = [models.Index(fields=["user", "-created_at"], name="login_event_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.method} {self.created_at:%Y-%m-%d %H:%M}"


class EnterpriseAccount(models.Model):
    """An enterprise's account, opened by its legal representative after the registry check."""

    record = models.OneToOneField(
        EnterpriseRecord, verbose_name=_("法人库记录"), on_delete=models.PROTECT, related_name="account"
    )
    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("法定代表人"),
        on_delete=models.PROTECT,
        related_name="represented_enterprises",
    )
    opened_at = models.DateTimeField(_("开通时间"), auto_now_add=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业账号")
        verbose_name_plural = _("企业账号")

    def __str__(self) -> str:
        return self.name


class AgentAuthorizationQuerySet(models.QuerySet):
    def in_force(self, at: datetime.datetime | None = None) -> "AgentAuthorizationQuerySet":
        at = at or timezone.now()
        return self.filter(
            revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at, enterprise__is_active=True
        )


class AgentAuthorization(models.Model):
    """经办人授权: who may act for an enterprise, for which items, until when."""

    enterprise = models.ForeignKey(
        EnterpriseAccount, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="authorizations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.CASCADE, related_name="agencies"
    )
    all_items = models.BooleanField(_("全部事项"), default=False)
    items = models.ManyToManyField(ServiceItem, verbose_name=_("授权事项"), blank=True, related_name="+")
    valid_from = models.DateTimeField(_("生效时间"), default=timezone.now)
    valid_until = models.DateTimeField(_("截止时间"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AgentAuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("经办人授权")
        verbose_name_plural = _("经办人授权")
        indexes = [models.Index(fields=["agent", "enterprise"], name="agent_auth_agent_ent")]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.agent}"

    def in_force_at(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.revoked_at is None and self.valid_from <= at < self.valid_until and self.enterprise.is_active
        )

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        now = timezone.now()
        if now >= self.valid_until:
            return "expired"
        if now < self.valid_from:
            return "pending"
        return "active"

    @property
    def state_label(self) -> str:
        return {
            "revoked": _("已撤销"),
            "expired": _("已过期"),
            "pending": _("未生效"),
            "active": _("有效"),
        }[self.state]


class ActionRecord(models.Model):
    """Who acted and for whom: one row per state-changing action (reused by later apps)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    user_label = models.CharField(_("操作人名称"), max_length=100)
    enterprise = models.ForeignKey(
        EnterpriseAccount,
        verbose_name=_("代表企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("所在部门"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    summary = models.CharField(_("说明"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        indexes = [models.Index(fields=["target_type", "target_id"], name="action_target")]

    def __str__(self) -> str:
        return f"{self.user_label} {self.action}"


class VerificationCode(models.Model):
    """A one-time code sent by SMS or email; only its keyed hash is stored."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    class Purpose(models.TextChoices):
        REGISTER = "register", _("注册")
        LOGIN = "login", _("登录")
        RECOVER = "recover", _("找回密码")

    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.SMS)
    target = models.CharField(max_length=254)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        indexes = [models.Index(fields=["target", "purpose", "-created_at"], name="vcode_lookup")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RateCounter(models.Model):
    """A fixed-window counter in the database, so every web process shares the same limits.

    ``last_at`` is the time of the window's latest event: whether the window still reaches into
    the last ``seconds`` (see ``ratelimit.check``)."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_unique")]
        indexes = [models.Index(fields=["window_start"], name="rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.key} {self.count}"
