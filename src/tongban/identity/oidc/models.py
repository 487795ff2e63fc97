from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication


class Client(AbstractApplication):
    """A department system that signs its users in with Tongban accounts (DOT's application model).

    ``may_receive_full_id`` is granted by the platform administrator only to systems whose legal
    basis requires the full ID number; every other client sees it masked.
    """

    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        related_name="oidc_clients",
        null=True,
        blank=True,
    )
    may_receive_full_id = models.BooleanField(
        _("可获取完整身份证号码"),
        default=False,
        help_text=_("仅限依法需要完整身份证号码的部门系统；其他系统只能获得部分隐藏的号码。"),
    )
    is_active = models.BooleanField(
        _("启用"), default=True, help_text=_("停用后该系统不能再登录或使用令牌。")
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")

    def clean(self) -> None:
        # DOT insists on OIDC_RSA_PRIVATE_KEY for RS256; our key lives in the database instead
        # (see keys.py), so validate as if a key were configured.
        from oauth2_provider.settings import oauth2_settings

        if self.algorithm == self.RS256_ALGORITHM and not oauth2_settings.OIDC_RSA_PRIVATE_KEY:
            algorithm, self.algorithm = self.algorithm, self.NO_ALGORITHM
            try:
                super().clean()
            finally:
                self.algorithm = algorithm
        else:
            super().clean()

    @property
    def jwk_key(self):
        if self.algorithm == self.RS256_ALGORITHM:
            from .keys import current_signing_key

            return current_signing_key()
        return super().jwk_key

    def is_usable(self, request) -> bool:
        return self.is_active


class SigningKey(models.Model):
    """The RSA key that signs ID tokens, stored encrypted so that every web process uses the same one.

    The private key is encrypted with a key derived from SECRET_KEY; the newest active row signs,
    older active rows stay published in the JWKS so tokens signed before a rotation still verify.
    """

    kid = models.CharField(_("密钥标识"), max_length=64, unique=True)
    encrypted_private_key = models.TextField(_("加密的私钥"))
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")

    def __str__(self) -> str:
        return self.kid


class Consent(models.Model):
    """What a person has allowed a department system to know; the consent screen is skipped while it covers the request."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="oidc_consents",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("接入系统"), on_delete=models.CASCADE, related_name="consents"
    )
    scopes = models.CharField(_("授权范围"), max_length=255)
    created_at = models.DateTimeField(_("首次授权时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("最近授权时间"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("授权记录")
        verbose_name_plural = _("授权记录")
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="oidc_consent_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.client}"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def covers(self, scopes: list[str]) -> bool:
        return set(scopes) <= set(self.scope_list)


class RedeemedCode(models.Model):
    """An authorization code already exchanged, and what it bought.

    DOT deletes a grant when its code is exchanged; this row remembers the code (as a digest) so
    that a second exchange of it revokes the tokens the first one gave (RFC 6749 §4.1.2).
    """

    code_digest = models.CharField(_("授权码摘要"), max_length=64, unique=True)
    client = models.ForeignKey(Client, verbose_name=_("接入系统"), on_delete=models.CASCADE, related_name="+")
    # Plain ids, not foreign keys: DOT deletes tokens as it revokes them, and a replay after that
    # finds nothing left to revoke.
    access_token_id = models.BigIntegerField(_("访问令牌编号"), null=True)
    token_family = models.UUIDField(_("刷新令牌族"), null=True)
    redeemed_at = models.DateTimeField(_("兑换时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("已兑换的授权码")
        verbose_name_plural = _("已兑换的授权码")

    def __str__(self) -> str:
        return self.code_digest[:12]
