"""Rate limits counted in the database (shared by every web process).

One row per (key, fixed window); the increment is a single ``UPDATE … SET count = count + 1``
(or an insert that loses a race to another process and then updates), so two processes never
lose a count and a limit holds however many processes serve. ``check`` also counts the previous
window while its latest event lies within the last ``seconds``, so that "one code a minute"
holds across a window boundary (requests at 12:00:59 and 12:01:00 are not two first requests),
and a request a full ``seconds`` after the last one is allowed again.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.core.errors import ServiceError

from .models import RateCounter


class RateLimited(ServiceError):
    code = "rate_limited"
    status = 429
    default_message = "操作过于频繁，请稍后再试。"


def _window_start(now: datetime.datetime, seconds: int) -> datetime.datetime:
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)


def hit(key: str, limit: int, seconds: int, *, now: datetime.datetime | None = None) -> int:
    """Count one event for ``key`` in the current window; return the count including it."""
    now = now or timezone.now()
    start = _window_start(now, seconds)
    key = f"{key}:{seconds}"[:200]
    with transaction.atomic():
        counter = RateCounter.objects.filter(key=key, window_start=start)
        updated = counter.update(count=F("count") + 1, last_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1, last_at=now)
            except IntegrityError:
                counter.update(count=F("count") + 1, last_at=now)
            # A new window: forget windows older than a day and a half.
            RateCounter.objects.filter(window_start__lt=now - datetime.timedelta(hours=36)).delete()
        return RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True).get()


def current(key: str, seconds: int, *, now: datetime.datetime | None = None) -> int:
    """The count of ``key`` in the window holding ``now``, without counting anything."""
    start = _window_start(now or timezone.now(), seconds)
    found = RateCounter.objects.filter(key=f"{key}:{seconds}"[:200], window_start=start).values_list(
        "count", flat=True
    )
    return found.first() or 0


def _recent_previous(key: str, seconds: int, now: datetime.datetime) -> int:
    """The previous window's count while its latest event is less than ``seconds`` ago."""
    start = _window_start(now - datetime.timedelta(seconds=seconds), seconds)
    row = (
        RateCounter.objects.filter(key=f"{key}:{seconds}"[:200], window_start=start)
        .values_list("count", "last_at")
        .first()
    )
    if row is None or row[1] is None or row[1] <= now - datetime.timedelta(seconds=seconds):
        return 0
    return row[0]


def check(key: str, limits: list[tuple[int, int]], message: str | None = None) -> None:
    """Count one event against every ``(limit, seconds)`` and refuse when any is exceeded."""
    now = timezone.now()
    for limit, seconds in limits:
        count = hit(key, limit, seconds, now=now)
        if count > limit or count + _recent_previous(key, seconds, now) > limit:
            if message:
                raise RateLimited(message)
            if seconds <= 60:
                raise RateLimited("操作过于频繁，请 1 分钟后再试。")
            if seconds <= 3600:
                raise RateLimited("操作过于频繁，请 1 小时后再试。")
            raise RateLimited("今日次数已达上限，请明天再试。")
