import datetime
import json
import logging

import pytest
from django.utils import timezone

from tests.identity.factories import CitizenFactory
from tongban.identity import ratelimit
from tongban.identity.codes import CodeInvalid, consume_code, issue_code
from tongban.identity.gateways import DeliveryFailed, HTTPSMSBackend, get_sms_backend, send_email
from tongban.identity.models import RateCounter, VerificationCode
from tongban.identity.ratelimit import RateLimited
from tongban.identity.services import send_code

pytestmark = pytest.mark.django_db
MOBILE = "13900001111"


def test_code_is_sent_to_the_outbox_and_only_its_hash_is_stored(settings, last_code):
    issue_code(MOBILE, "login", ip="10.0.0.1")
    code = last_code(MOBILE)
    stored = VerificationCode.objects.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == datetime.timedelta(
        seconds=settings.TONGBAN_CODE_TTL_SECONDS
    )
    line = json.loads(
        (settings.TONGBAN_OUTBOX_DIR / "sms.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    )
    assert line["mobile"] == MOBILE and "5 分钟" in line["content"]


def test_code_is_single_use(last_code):
    issue_code(MOBILE, "login", ip=None)
    code = last_code(MOBILE)
    consume_code(MOBILE, "login", code)
    with pytest.raises(CodeInvalid):
        consume_code(MOBILE, "login", code)


def test_code_for_another_purpose_or_number_does_not_work(last_code):
    issue_code(MOBILE, "register", ip=None)
    code = last_code(MOBILE)
    with pytest.raises(CodeInvalid):
        consume_code(MOBILE, "login", code)
    with pytest.raises(CodeInvalid):
        consume_code("13900002222", "register", code)


def test_code_expires(last_code):
    issue_code(MOBILE, "login", ip=None)
    VerificationCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(CodeInvalid):
        consume_code(MOBILE, "login", last_code(MOBILE))


def test_attempts_are_limited_even_for_the_right_code(settings, last_code):
    issue_code(MOBILE, "login", ip=None)
    code = last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(settings.TONGBAN_CODE_MAX_ATTEMPTS):
        with pytest.raises(CodeInvalid) as info:
            consume_code(MOBILE, "login", wrong)
        if attempt < settings.TONGBAN_CODE_MAX_ATTEMPTS - 1:
            assert "还可尝试" in info.value.message
    with pytest.raises(CodeInvalid, match="错误次数过多"):
        consume_code(MOBILE, "login", code)


def test_a_new_code_replaces_the_old_one(last_code, settings):
    issue_code(MOBILE, "login", ip=None)
    first = last_code(MOBILE)
    RateCounter.objects.all().delete()  # past the one-per-minute limit
    issue_code(MOBILE, "login", ip=None)
    second = last_code(MOBILE)
    if first != second:
        with pytest.raises(CodeInvalid):
            consume_code(MOBILE, "login", first)
    consume_code(MOBILE, "login", second)


def test_one_code_per_minute_per_number():
    issue_code(MOBILE, "login", ip="10.0.0.1")
    with pytest.raises(RateLimited, match="1 分钟"):
        issue_code(MOBILE, "login", ip="10.0.0.2")
    assert VerificationCode.objects.count() == 1


def test_hourly_limit_per_number(settings):
    settings.TONGBAN_SMS_LIMITS_PER_TARGET = [(3, 3600)]
    for _ in range(3):
        issue_code(MOBILE, "login", ip=None)
    with pytest.raises(RateLimited, match="1 小时"):
        issue_code(MOBILE, "login", ip=None)


def test_limit_per_ip_across_numbers(settings):
    settings.TONGBAN_SMS_LIMITS_PER_IP = [(2, 3600)]
    issue_code("13900000001", "register", ip="10.9.9.9")
    issue_code("13900000002", "register", ip="10.9.9.9")
    with pytest.raises(RateLimited, match="该网络"):
        issue_code("13900000003", "register", ip="10.9.9.9")
    issue_code("13900000004", "register", ip="10.9.9.8")


def test_unknown_number_gets_no_sms_but_the_same_answer(sms_codes):
    assert send_code("13900009999", "login", ip=None) == "13900009999"
    assert sms_codes("13900009999") == []
    user = CitizenFactory(mobile="13900008888")
    send_code(user.mobile, "login", ip=None)
    assert len(sms_codes(user.mobile)) == 1


def test_unknown_numbers_are_rate_limited_too():
    send_code("13900009999", "recover", ip=None)
    with pytest.raises(RateLimited):
        send_code("13900009999", "recover", ip=None)


def test_counter_windows():
    now = timezone.now()
    assert ratelimit.hit("k", 5, 60, now=now) == 1
    assert ratelimit.hit("k", 5, 60, now=now) == 2
    assert ratelimit.hit("k", 5, 60, now=now + datetime.timedelta(seconds=61)) == 1


def test_codes_are_not_logged_outside_development(settings, caplog, last_code):
    settings.DEBUG = False
    with caplog.at_level(logging.DEBUG):
        issue_code(MOBILE, "login", ip=None)
    code = last_code(MOBILE)
    assert code not in caplog.text
    assert MOBILE not in caplog.text and "139****1111" in caplog.text


def test_console_backend_is_refused_in_production(settings):
    settings.DEBUG = False
    settings.TONGBAN_SMS_BACKEND = "console"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        get_sms_backend()


def test_http_backend_posts_json_with_the_api_key(settings):
    import http.server
    import threading

    received = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received["auth"] = self.headers["Authorization"]
            received["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200 if received["body"]["mobile"] != "13900000000" else 500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.TONGBAN_SMS_BACKEND = "http"
        settings.TONGBAN_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
        settings.TONGBAN_SMS_API_KEY = "k-123"
        backend = get_sms_backend()
        assert isinstance(backend, HTTPSMSBackend)
        backend.send(MOBILE, "【通办】测试")
        assert received == {
            "auth": "Bearer k-123",
            "body": {"mobile": MOBILE, "content": "【通办】测试", "sign": "通办"},
        }
        with pytest.raises(DeliveryFailed):
            backend.send("13900000000", "x")
    finally:
        server.shutdown()


def test_http_backend_unreachable(settings):
    settings.TONGBAN_SMS_BACKEND = "http"
    settings.TONGBAN_SMS_URL = "http://127.0.0.1:9/none"
    settings.TONGBAN_SMS_TIMEOUT = 1
    with pytest.raises(DeliveryFailed):
        get_sms_backend().send(MOBILE, "x")


def test_email_goes_through_django_mailers(settings):
    send_email("a@example.cn", "主题", "正文 123456")
    files = list((settings.TONGBAN_OUTBOX_DIR / "email").iterdir())
    assert len(files) == 1 and "a@example.cn" in files[0].read_text()
