"""Reads shared by the pages, the API and Open311: queues, a request with its timeline,
likely duplicates, published answers."""

import datetime as dt
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from tongban.core.errors import NotFound
from tongban.core.types import User

from . import access
from .models import Petition, PublishedAnswer, Satisfaction

DUPLICATE_DAYS_SAME_PERSON = 30
DUPLICATE_DAYS_SAME_PLACE = 7
DUPLICATE_SIMILARITY = 0.5
NEAR_DEGREES = Decimal("0.002")  # about 200 m


def _base() -> QuerySet[Petition]:
    return Petition.objects.select_related("category", "department", "centre", "item", "merged_into")


def by_number(number: str) -> Petition | None:
    return _base().filter(number=number).first()


def petition_for(user: User | None, number: str, token: str | None = None) -> Petition:
    """A request its requester, the centre or a handling department may see; NotFound otherwise."""
    petition = _base().prefetch_related("assignments__department").filter(number=number).first()
    if petition is None:
        raise NotFound()
    access.check_see(user, petition, token)
    return petition


def timeline(petition: Petition):
    return petition.events.select_related("department").all()


def my_petitions(user: User) -> QuerySet[Petition]:
    return _base().filter(requester=user)


def centre_queue(user: User, show: str = "new") -> QuerySet[Petition]:
    centres = [c.pk for c in access.centres_of(user)]
    found = _base().filter(centre_id__in=centres)
    filters = {
        "new": Q(status=Petition.Status.NEW),
        "extension": Q(extension_state="asked"),
        "handling": Q(status__in=(*access.WITH_DEPARTMENT, Petition.Status.ESCALATED)),
        "answered": Q(status=Petition.Status.ANSWERED),
        "closed": Q(status__in=(Petition.Status.CLOSED, Petition.Status.MERGED)),
    }
    found = found.filter(filters.get(show, filters["new"]))
    if show in ("handling", "extension"):
        return found.order_by(F("due_date").asc(nulls_last=True), "created_at")
    return found.order_by("created_at") if show == "new" else found.order_by("-updated_at")


def department_queue(user: User, show: str = "open") -> QuerySet[Petition]:
    """What the user's departments hold: led (to sign, answer, or answer 督办 for) or helped with."""
    departments = [d.pk for d in access.handler_departments(user)]
    if show == "done":
        return (
            _base()
            .filter(
                department_id__in=departments, status__in=(Petition.Status.ANSWERED, Petition.Status.CLOSED)
            )
            .order_by("-answered_at")
        )
    led = Q(department_id__in=departments, status__in=(*access.WITH_DEPARTMENT, Petition.Status.ESCALATED))
    helped = Q(
        assignments__department_id__in=departments,
        assignments__lead=False,
        assignments__status__in=("pending", "accepted"),
        status__in=access.WITH_DEPARTMENT,
    )
    return _base().filter(led | helped).distinct().order_by(F("due_date").asc(nulls_last=True), "created_at")


def _bigrams(text: str) -> set[str]:
    compact = "".join(ch for ch in text if ch.isalnum())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def similarity(a: str, b: str) -> float:
    """Share of character pairs two texts have in common (Jaccard): cheap and language-agnostic."""
    left, right = _bigrams(a), _bigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def likely_duplicates(petition: Petition, limit: int = 5) -> list[tuple[Petition, str]]:
    """Open requests that probably say the same: the same person (account or phone) with
    similar text within 30 days, or the same place (address or ~200 m) and category within 7."""
    now = timezone.now()
    found: dict[int, tuple[Petition, str]] = {}
    open_ = (
        _base().exclude(pk=petition.pk).exclude(status=Petition.Status.MERGED).filter(centre=petition.centre)
    )
    same_person = Q()
    if petition.requester_id:
        same_person |= Q(requester_id=petition.requester_id)
    if petition.contact_phone:
        same_person |= Q(contact_phone=petition.contact_phone)
    if same_person:
        recent = open_.filter(
            same_person, created_at__gte=now - dt.timedelta(days=DUPLICATE_DAYS_SAME_PERSON)
        )
        for other in recent[:50]:
            if (
                similarity(f"{petition.title}{petition.body}", f"{other.title}{other.body}")
                >= DUPLICATE_SIMILARITY
            ):
                found[other.pk] = (other, "同一诉求人、内容相近")
    if petition.category_id and (petition.address or petition.lat is not None):
        place = Q()
        if petition.address:
            place |= Q(address=petition.address)
        if petition.lat is not None and petition.long is not None:
            place |= Q(
                lat__range=(petition.lat - NEAR_DEGREES, petition.lat + NEAR_DEGREES),
                long__range=(petition.long - NEAR_DEGREES, petition.long + NEAR_DEGREES),
            )
        nearby = open_.filter(
            place,
            category_id=petition.category_id,
            created_at__gte=now - dt.timedelta(days=DUPLICATE_DAYS_SAME_PLACE),
        )
        for other in nearby[:50]:
            found.setdefault(other.pk, (other, "同一地点、同一分类"))
    return sorted(found.values(), key=lambda pair: pair[0].created_at)[:limit]


def published_answers(item_id: int | None = None) -> QuerySet[PublishedAnswer]:
    found = PublishedAnswer.objects.select_related("item")
    return found.filter(item_id=item_id) if item_id else found


def reveal_contact(user: User, petition: Petition) -> str:
    """The requester's full phone number for a call-back, shown to the centre only and logged in
    the data-access log with its purpose (DESIGN §6: a full number shown to staff is a read)."""
    from tongban.registries.models import PopulationRecord
    from tongban.registries.selectors import record_access

    if not access.is_centre_staff(user, petition.centre):
        raise NotFound()
    number = getattr(petition.requester, "id_number", "") or ""
    record_access(
        user,
        f"12345 回访诉求人（{petition.number}）",
        petition.centre.department,
        True,
        fields=["contact_phone"],
        channel="consult",
        person=PopulationRecord.objects.filter(id_number=number).only("pk").first() if number else None,
        subject_id_number=number,
    )
    return petition.contact_phone


# How long the 12345 figures of 电子监察 may be reused: requests have no event cursor, so a short
# time bounds how stale they can be while a dashboard view stays a cache read.
FIGURES_TTL = 300

# Still waiting for an answer: the clock runs (``due_date``) until the department answers.
UNANSWERED = (
    Petition.Status.NEW,
    Petition.Status.DISPATCHED,
    Petition.Status.HANDLING,
    Petition.Status.ESCALATED,
)


def region_figures(
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    today: dt.date,
) -> dict[str, int]:
    """12345's figures for 电子监察 over ``[since, until)``: requests received (created), answered,
    answered by their due date, rated and rated 满意 or 基本满意 (by the answer's time), and
    overdue now (unanswered past the due date, whenever received). A region (code prefix, summed
    upwards) holds the requests of its departments, and those not yet dispatched of its centres.
    One aggregate query, cached ``FIGURES_TTL``."""
    key = f"consult:figures:{region_code}:{department_id}:{since}:{until}:{today}".replace(" ", "T")

    def compute() -> dict[str, int]:
        petitions = Petition.objects.all()
        if department_id is not None:
            petitions = petitions.filter(department_id=department_id)
        if region_code:
            petitions = petitions.filter(
                Q(department__region__code__startswith=region_code)
                | Q(department__isnull=True, centre__region__code__startswith=region_code)
            )
        received = Q()
        answered = Q(answered_at__isnull=False)
        if since is not None:
            received &= Q(created_at__gte=since)
            answered &= Q(answered_at__gte=since)
        if until is not None:
            received &= Q(created_at__lt=until)
            answered &= Q(answered_at__lt=until)
        on_time = answered & Q(due_date__isnull=False, answered_on__lte=F("due_date"))
        rated = answered & ~Q(satisfaction="")
        satisfied = answered & Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASIC))
        return petitions.annotate(
            answered_on=TruncDate("answered_at", tzinfo=timezone.get_current_timezone())
        ).aggregate(
            received=Count("pk", filter=received),
            answered=Count("pk", filter=answered),
            answered_with_due=Count("pk", filter=answered & Q(due_date__isnull=False)),
            answered_on_time=Count("pk", filter=on_time),
            rated=Count("pk", filter=rated),
            satisfied=Count("pk", filter=satisfied),
            overdue=Count("pk", filter=Q(status__in=UNANSWERED, due_date__lt=today)),
        )

    return cache.get_or_set(key, compute, FIGURES_TTL)
