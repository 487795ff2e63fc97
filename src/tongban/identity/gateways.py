"""SMS and email gateways. The backend is chosen by ``TONGBAN_SMS_BACKEND``.

- ``outbox``: development and tests — each message is one JSON line in
  ``var/outbox/sms.jsonl`` so a developer can read the codes (see README);
- ``console``: prints to standard error, refused unless ``DEBUG``;
- ``http``: a provider — POST ``{"mobile", "content", "sign"}`` as JSON to ``TONGBAN_SMS_URL``
  with ``Authorization: Bearer TONGBAN_SMS_API_KEY``; any non-2xx answer is a failure.

Message texts (which contain codes) are never logged outside development; the log says only
that a message went to a masked number.
"""

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from tongban.core.errors import ServiceError
from tongban.core.masking import mask_email, mask_mobile

logger = logging.getLogger(__name__)
_append_lock = threading.Lock()


class DeliveryFailed(ServiceError):
    code = "delivery_failed"
    status = 503
    default_message = "短信发送失败，请稍后再试。"


class SMSBackend:
    def send(self, mobile: str, content: str) -> None:
        raise NotImplementedError


class OutboxSMSBackend(SMSBackend):
    """Development mailbox: one JSON object per line, appended to ``<outbox>/sms.jsonl``."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory or settings.TONGBAN_OUTBOX_DIR)

    @property
    def path(self) -> Path:
        return self.directory / "sms.jsonl"

    def send(self, mobile: str, content: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": datetime.now(UTC).isoformat(), "mobile": mobile, "content": content}, ensure_ascii=False
        )
        with _append_lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class ConsoleSMSBackend(SMSBackend):
    def __init__(self) -> None:
        if not settings.DEBUG:
            raise ImproperlyConfigured("TONGBAN_SMS_BACKEND=console 仅用于开发（TONGBAN_DEBUG=1）。")

    def send(self, mobile: str, content: str) -> None:
        sys.stderr.write(f"[SMS → {mobile}] {content}\n")


class HTTPSMSBackend(SMSBackend):
    def __init__(self) -> None:
        self.url = settings.TONGBAN_SMS_URL
        self.api_key = settings.TONGBAN_SMS_API_KEY
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("TONGBAN_SMS_BACKEND=http 需要设置 TONGBAN_SMS_URL。")

    def send(self, mobile: str, content: str) -> None:
        body = json.dumps(
            {"mobile": mobile, "content": content, "sign": settings.TONGBAN_SMS_SIGN}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.TONGBAN_SMS_TIMEOUT) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            logger.warning("SMS provider unreachable for %s: %s", mask_mobile(mobile), exc.__class__.__name__)
            raise DeliveryFailed() from exc
        if not 200 <= status < 300:
            logger.warning("SMS provider answered %s for %s", status, mask_mobile(mobile))
            raise DeliveryFailed()


BACKENDS = {"outbox": OutboxSMSBackend, "console": ConsoleSMSBackend, "http": HTTPSMSBackend}


def get_sms_backend() -> SMSBackend:
    name = settings.TONGBAN_SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()


def send_sms(mobile: str, content: str) -> None:
    get_sms_backend().send(mobile, content)
    if settings.DEBUG:
        logger.info("SMS to %s: %s", mobile, content)
    else:
        logger.info("SMS sent to %s", mask_mobile(mobile))


def send_email(to: str, subject: str, body: str) -> None:
    """Email through Django's EMAIL_BACKEND (files under var/outbox/email in development)."""
    send_mail(subject, body, None, [to])
    logger.info("Email sent to %s", mask_email(to))
