"""``record_action``: who acted and for whom, for every state-changing action.

Later apps call it from their services with the ``Actor`` from ``current_actor(request)``
(or a bare user for staff actions), so every case, rating or licence change says which
person did it and on whose behalf.
"""

from typing import Any

from django.db import models
from django.http import HttpRequest

from tongban.core import audit
from tongban.core.types import User

from .actors import Actor
from .models import ActionRecord


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def record_action(
    actor: Actor | Any,
    action: str,
    *,
    target: models.Model | None = None,
    summary: str = "",
    department: Any = None,
    request: HttpRequest | None = None,
) -> ActionRecord:
    """Append one ``ActionRecord``; ``actor`` is an ``Actor``, a user, or None for the system."""
    if isinstance(actor, Actor):
        user, enterprise = actor.user, actor.enterprise
    else:
        user, enterprise = actor, None
    is_user = user is not None and getattr(user, "pk", None) is not None
    record = ActionRecord.objects.create(
        user=user if is_user else None,
        user_label=(user.display_name if is_user else "系统")[:100],
        enterprise=enterprise,
        department=department,
        action=action[:64],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        ip=client_ip(request),
    )
    audit.append(
        action,
        actor=actor,
        obj=target,
        summary={"summary": summary, "department": getattr(department, "name", "") or ""},
    )
    return record


def actions_by(user: User) -> models.QuerySet[ActionRecord]:
    return ActionRecord.objects.filter(user=user).select_related("enterprise")
