"""Fixed-window rate limits counted in the database (shared by every web process).

One row per (key, window); the increment is a single ``UPDATE … SET count = count + 1`` (or
an insert that loses a race to another process and then updates), so two processes never
lose a count and a limit holds however many processes serve.
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
        updated = RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:
                RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
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


def check(key: str, limits: list[tuple[int, int]], message: str | None = None) -> None:
    """Count one event against every ``(limit, seconds)`` and refuse when any is exceeded."""
    for limit, seconds in limits:
        if hit(key, limit, seconds) > limit:
            if message:
                raise RateLimited(message)
            if seconds <= 60:
                raise RateLimited("操作过于频繁，请 1 分钟后再试。")
            if seconds <= 3600:
                raise RateLimited("操作过于频繁，请 1 小时后再试。")
            raise RateLimited("今日次数已达上限，请明天再试。")
