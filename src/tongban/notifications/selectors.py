from typing import Any

from django.db.models import QuerySet

from .models import Notification


def inbox(user: Any) -> QuerySet[Notification]:  # noqa: ANN401
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:  # noqa: ANN401
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
