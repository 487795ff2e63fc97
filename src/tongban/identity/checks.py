"""Deployment checks (``tongban check --deploy``) for the identity settings."""

from django.conf import settings
from django.core.checks import Warning, register


@register("security", deploy=True)
def sms_backend_check(app_configs, **kwargs):
    """Codes written to files or the console are for development: production needs a provider."""
    if settings.TONGBAN_SMS_BACKEND in ("outbox", "console"):
        return [
            Warning(
                "短信验证码写入本地文件（var/outbox），仅供开发使用。",
                hint="生产环境请设置 TONGBAN_SMS_BACKEND=http、TONGBAN_SMS_URL 与 TONGBAN_SMS_API_KEY。",
                id="identity.W001",
            )
        ]
    return []
