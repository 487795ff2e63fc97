"""Acting for oneself or for an enterprise.

``current_actor(request)`` says who is acting and for whom; the enterprise choice lives in
the session and is checked again on every call, so a revoked or expired authorisation stops
working at once. ``check_agent_scope`` is what services call before acting on an item.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User

from .models import AgentAuthorization, EnterpriseAccount

SESSION_KEY = "tongban_acting_for"


@dataclass(frozen=True)
class Actor:
    user: User
    enterprise: EnterpriseAccount | None = None

    @property
    def for_enterprise(self) -> bool:
        return self.enterprise is not None

    @property
    def label(self) -> str:
        name = self.user.display_name if self.user is not None else ""
        if self.enterprise is not None:
            return f"{name}（代表 {self.enterprise.name}）"
        return name


def acting_choices(user: User) -> list[EnterpriseAccount]:
    """Enterprises ``user`` may act for now: as legal representative or as an agent in force."""
    if not getattr(user, "is_authenticated", False) or user.kind != "citizen":
        return []
    own = EnterpriseAccount.objects.filter(legal_rep=user, is_active=True)
    agent_of = EnterpriseAccount.objects.filter(
        pk__in=AgentAuthorization.objects.in_force().filter(agent=user).values("enterprise_id")
    )
    return list((own | agent_of).distinct().order_by("name"))


def may_act_for(user: User, enterprise: EnterpriseAccount) -> bool:
    if not enterprise.is_active or not getattr(user, "is_authenticated", False):
        return False
    if enterprise.legal_rep_id == user.pk:
        return True
    return AgentAuthorization.objects.in_force().filter(agent=user, enterprise=enterprise).exists()


def current_actor(request: HttpRequest) -> Actor:
    """Who acts in this request and for whom (enterprise None: for themself)."""
    cached = getattr(request, "_tongban_actor", None)
    if cached is not None:
        return cached
    user = request.user if request.user.is_authenticated else None
    actor = Actor(user)
    enterprise_id = request.session.get(SESSION_KEY) if user is not None else None
    if enterprise_id is not None:
        enterprise = EnterpriseAccount.objects.filter(pk=enterprise_id).first()
        if enterprise is not None and may_act_for(user, enterprise):
            actor = Actor(user, enterprise)
        else:
            request.session.pop(SESSION_KEY, None)
    request._tongban_actor = actor
    return actor


def switch_actor(request: HttpRequest, enterprise_id: int | None) -> Actor:
    """Act for an enterprise (NotFound unless allowed) or, with None, for oneself."""
    request._tongban_actor = None
    if enterprise_id is None:
        request.session.pop(SESSION_KEY, None)
        return current_actor(request)
    enterprise = EnterpriseAccount.objects.filter(pk=enterprise_id).first()
    if enterprise is None or not may_act_for(request.user, enterprise):
        raise NotFound()
    request.session[SESSION_KEY] = enterprise.pk
    return current_actor(request)


def check_agent_scope(
    user: User, enterprise: EnterpriseAccount, item: Any = None
) -> AgentAuthorization | None:
    """Raise ``PermissionDenied`` unless ``user`` may act for ``enterprise`` on ``item``.

    The legal representative may do everything (returns None); an agent needs an
    authorisation that is in force and covers the item (returns it). Without ``item`` only
    the authorisation itself is checked.
    """
    if not enterprise.is_active:
        raise PermissionDenied("该企业账号已停用。")
    if enterprise.legal_rep_id == getattr(user, "pk", None):
        return None
    grants = list(
        AgentAuthorization.objects.filter(enterprise=enterprise, agent_id=getattr(user, "pk", None))
        .prefetch_related("items")
        .order_by("-created_at")
    )
    if not grants:
        raise PermissionDenied("您未获得该企业的经办授权。")
    now = timezone.now()
    in_force = [g for g in grants if g.in_force_at(now)]
    if not in_force:
        latest = grants[0]
        if latest.revoked_at is not None:
            raise PermissionDenied("您的经办授权已被撤销。")
        if latest.valid_from > now:
            raise PermissionDenied("您的经办授权尚未生效。")
        raise PermissionDenied("您的经办授权已过期，请联系法定代表人重新授权。")
    if item is None:
        return in_force[0]
    for grant in in_force:
        if grant.all_items or any(i.pk == item.pk for i in grant.items.all()):
            return grant
    raise PermissionDenied(f"“{item.name}”不在您的经办授权范围内。")


def check_actor_scope(actor: Actor, item: Any = None) -> None:
    """The same check for an ``Actor``: acting for oneself needs no authorisation."""
    if actor.user is None:
        raise PermissionDenied("请先登录。")
    if actor.enterprise is not None:
        check_agent_scope(actor.user, actor.enterprise, item)


def get_enterprise_for_rep(user: User, enterprise_id: int) -> EnterpriseAccount:
    """The enterprise account ``enterprise_id`` if ``user`` is its legal representative, else 404."""
    enterprise = EnterpriseAccount.objects.filter(
        pk=enterprise_id, legal_rep_id=getattr(user, "pk", None)
    ).first()
    if enterprise is None:
        raise NotFound()
    return enterprise
