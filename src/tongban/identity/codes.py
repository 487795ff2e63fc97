"""One-time verification codes: 6 digits, keyed hash only, expiry, single use, few attempts.

Issuing counts against per-number and per-IP limits kept in the database (``ratelimit``),
so the limits hold across every web process.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from tongban.core.errors import InvalidInput

from . import ratelimit
from .gateways import send_email, send_sms
from .models import VerificationCode

PURPOSE_TEXT = {
    VerificationCode.Purpose.REGISTER: "注册",
    VerificationCode.Purpose.LOGIN: "登录",
    VerificationCode.Purpose.RECOVER: "找回密码",
}


class CodeInvalid(InvalidInput):
    code = "invalid_code"
    default_message = "验证码不正确或已失效，请重新获取。"


def _hash(target: str, purpose: str, code: str) -> str:
    message = f"{purpose}|{target}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def issue_code(
    target: str,
    purpose: str,
    *,
    ip: str | None,
    channel: str = VerificationCode.Channel.SMS,
) -> None:
    """Create and send a code; refuses when the number or the IP has asked too often."""
    ratelimit.check(f"code:{channel}:{target}", settings.TONGBAN_SMS_LIMITS_PER_TARGET)
    if ip:
        ratelimit.check(
            f"code-ip:{ip}", settings.TONGBAN_SMS_LIMITS_PER_IP, "该网络获取验证码过于频繁，请稍后再试。"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    ttl = settings.TONGBAN_CODE_TTL_SECONDS
    # A new code replaces any earlier one for the same number and purpose.
    VerificationCode.objects.filter(target=target, purpose=purpose, used_at__isnull=True).update(used_at=now)
    VerificationCode.objects.create(
        channel=channel,
        target=target,
        purpose=purpose,
        code_hash=_hash(target, purpose, code),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    minutes = max(1, ttl // 60)
    text = f"您的{PURPOSE_TEXT.get(purpose, '')}验证码为 {code}，{minutes} 分钟内有效。如非本人操作请忽略，切勿告诉他人。"
    if channel == VerificationCode.Channel.EMAIL:
        send_email(target, f"{settings.TONGBAN_SMS_SIGN}验证码", text)
    else:
        send_sms(target, f"【{settings.TONGBAN_SMS_SIGN}】{text}")


def consume_code(target: str, purpose: str, code: str) -> None:
    """Accept ``code`` once; raises ``CodeInvalid`` when wrong, expired, used or tried too often."""
    code = (code or "").strip()
    now = timezone.now()
    current = (
        VerificationCode.objects.filter(
            target=target, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if current is None:
        raise CodeInvalid(field="code")
    limit = settings.TONGBAN_CODE_MAX_ATTEMPTS
    counted = VerificationCode.objects.filter(pk=current.pk, attempts__lt=limit, used_at__isnull=True).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise CodeInvalid("验证码错误次数过多，请重新获取。", field="code")
    if not (len(code) == 6 and hmac.compare_digest(current.code_hash, _hash(target, purpose, code))):
        left = limit - current.attempts - 1
        if left <= 0:
            raise CodeInvalid("验证码错误次数过多，请重新获取。", field="code")
        raise CodeInvalid(f"验证码不正确，还可尝试 {left} 次。", field="code")
    if not VerificationCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now):
        raise CodeInvalid(field="code")
