import json
import re

import pytest


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    """Each test gets its own SMS outbox and email folder."""
    settings.TONGBAN_OUTBOX_DIR = tmp_path / "outbox"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "outbox" / "email")},
        }
    }
    settings.TONGBAN_SMS_BACKEND = "outbox"
    return settings.TONGBAN_OUTBOX_DIR


@pytest.fixture
def sms_codes(settings):
    """``sms_codes(mobile)`` → every code sent to that number so far, oldest first."""

    def read(mobile: str) -> list[str]:
        path = settings.TONGBAN_OUTBOX_DIR / "sms.jsonl"
        if not path.exists():
            return []
        codes = []
        for line in path.read_text(encoding="utf-8").splitlines():
            message = json.loads(line)
            if message["mobile"] == mobile:
                codes.append(re.search(r"(\d{6})", message["content"]).group(1))
        return codes

    return read


@pytest.fixture
def last_code(sms_codes):
    def read(mobile: str) -> str:
        codes = sms_codes(mobile)
        assert codes, f"no SMS sent to {mobile}"
        return codes[-1]

    return read
