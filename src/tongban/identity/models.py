from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"
