"""我的: the personal centre of a citizen, or of the enterprise an agent acts for.

One page that gathers what is spread over the apps (cases, drafts, wallet, messages, ratings,
the data-access log, the account) with counts, so every own page is one click from the header.
Everything is read for the current actor: acting for an enterprise shows the enterprise's side.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tongban.cases import selectors as cases
from tongban.cases.models import Case
from tongban.cases.views import Flow
from tongban.certificates import selectors as certificates
from tongban.identity.actors import Actor, current_actor
from tongban.notifications import selectors as notifications
from tongban.ratings.models import Rating
from tongban.ratings.services import RATEABLE
from tongban.registries.models import DataAccessLog
from tongban.registries.selectors import access_log_for_enterprise, access_log_for_person

RECENT = 5


def actor_cases(actor: Actor) -> QuerySet[Case]:
    """The actor's cases: the person's own, or (acting for an enterprise) the enterprise's."""
    qs = cases.my_cases(actor.user)
    if actor.enterprise is not None:
        return qs.filter(enterprise=actor.enterprise)
    return qs.filter(enterprise__isnull=True)


def actor_drafts(actor: Actor) -> QuerySet:
    qs = cases.my_drafts(actor.user)
    if actor.enterprise is not None:
        return qs.filter(enterprise=actor.enterprise)
    return qs.filter(enterprise__isnull=True)


def data_access_log(actor: Actor) -> QuerySet[DataAccessLog]:
    """谁用了我的数据: reads of the person's registry record, or of the enterprise's."""
    if actor.enterprise is not None:
        return access_log_for_enterprise(actor.enterprise.uscc)
    if not actor.user.id_number:
        return DataAccessLog.objects.none()
    return access_log_for_person(actor.user.id_number)


@dataclass
class RatingLists:
    to_rate: list[Case]
    to_rate_count: int
    given: list[Rating]
    given_count: int


def rating_lists(actor: Actor, limit: int = RECENT) -> RatingLists:
    """Concluded cases not yet rated (rating is never forced) and the ratings given."""
    mine = actor_cases(actor)
    to_rate = mine.filter(status__in=RATEABLE, rating__isnull=True)
    given = Rating.objects.filter(case__in=mine.values("pk")).select_related("case", "case__item")
    return RatingLists(
        to_rate=list(to_rate[:limit]),
        to_rate_count=to_rate.count(),
        given=list(given.order_by("-created_at")[:limit]),
        given_count=given.count(),
    )


def _actor(request: HttpRequest) -> Actor | None:
    """Staff have their workbench instead; None sends them there."""
    if request.user.kind == "staff":
        return None
    return current_actor(request)


@login_required
def my_home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return redirect("identity:staff_home")
    all_cases = actor_cases(actor)
    drafts = actor_drafts(actor)
    wallet = certificates.wallet(actor)
    context: dict[str, Any] = {
        "actor": actor,
        "recent_cases": list(all_cases[:RECENT]),
        "case_count": all_cases.count(),
        "open_count": all_cases.filter(status__in=Case.OPEN_STATUSES).count(),
        "correction_count": all_cases.filter(status=Case.Status.CORRECTION).count(),
        "drafts": [(d, Flow(d).resume_url()) for d in drafts.select_related("form")[:RECENT]],
        "draft_count": drafts.count(),
        "certificate_count": wallet.count(),
        "unread": notifications.unread_count(request.user),
        "ratings": rating_lists(actor),
        "data_uses": list(data_access_log(actor)[:3]),
    }
    return render(request, "web/my/home.html", context)


@login_required
def my_data_use(request: HttpRequest) -> HttpResponse:
    """The whole data-access log, paginated, with a filter by purpose or department."""
    actor = _actor(request)
    if actor is None:
        return redirect("identity:staff_home")
    log = data_access_log(actor)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        log = log.filter(Q(purpose__icontains=q) | Q(department__name__icontains=q))
    page = Paginator(log, 20).get_page(request.GET.get("page"))
    return render(request, "web/my/data_use.html", {"actor": actor, "page": page, "q": q})
