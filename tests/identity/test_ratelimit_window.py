"""A limit holds across the boundary of its counting window (sliding, not fixed, windows)."""

import datetime

import pytest
from django.utils import timezone

from tongban.identity import ratelimit
from tongban.identity.ratelimit import RateLimited

pytestmark = pytest.mark.django_db


def at(monkeypatch, moment: datetime.datetime) -> None:
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: moment)


def minute_start() -> datetime.datetime:
    now = timezone.now()
    return now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=5)


def test_one_a_minute_holds_across_the_minute_boundary(monkeypatch):
    """12:00:59 and 12:01:00 are one second apart: the second request is refused."""
    start = minute_start()
    at(monkeypatch, start - datetime.timedelta(seconds=1))
    ratelimit.check("code:sms:13700000001", [(1, 60)])
    at(monkeypatch, start)
    with pytest.raises(RateLimited, match="1 分钟"):
        ratelimit.check("code:sms:13700000001", [(1, 60)])


def test_a_full_window_later_the_next_request_is_allowed(monkeypatch):
    start = minute_start()
    at(monkeypatch, start + datetime.timedelta(seconds=10))
    ratelimit.check("code:sms:13700000002", [(1, 60)])
    at(monkeypatch, start + datetime.timedelta(seconds=70, microseconds=1))
    ratelimit.check("code:sms:13700000002", [(1, 60)])  # 60 s after the first: allowed
    with pytest.raises(RateLimited):
        ratelimit.check("code:sms:13700000002", [(1, 60)])


def test_the_previous_window_counts_until_its_last_event_is_a_window_ago(monkeypatch):
    """Five an hour: four at 0:59 and one at 1:01 make five, so a sixth at 1:01 is refused and so
    is one at 1:58 (0:59 is less than an hour ago); at 2:00 the last hour holds 1:01–1:58 only."""
    start = minute_start().replace(minute=0) + datetime.timedelta(hours=2)
    at(monkeypatch, start - datetime.timedelta(minutes=1))
    for _ in range(4):
        ratelimit.check("verify:1", [(5, 3600)])
    at(monkeypatch, start + datetime.timedelta(minutes=1))
    ratelimit.check("verify:1", [(5, 3600)])
    with pytest.raises(RateLimited, match="1 小时"):
        ratelimit.check("verify:1", [(5, 3600)])
    at(monkeypatch, start + datetime.timedelta(minutes=58))
    with pytest.raises(RateLimited):
        ratelimit.check("verify:1", [(5, 3600)])
    at(monkeypatch, start + datetime.timedelta(hours=1))
    ratelimit.check("verify:1", [(5, 3600)])
