"""Reads shared by the card pages, the API and the supervisor's dashboard (``tongban.supervision``
shows ``open_cards_for``)."""

from django.db.models import Case as When_
from django.db.models import Count, F, IntegerField, QuerySet, Value, When

from tongban.core.errors import NotFound
from tongban.core.types import User

from . import access
from .models import Card, Colour


def _ordered(cards: QuerySet[Card]) -> QuerySet[Card]:
    """Red before yellow, escalated 督办 first, then the oldest card first."""
    return cards.annotate(
        red_first=When_(When(colour=Colour.RED, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("red_first", F("order__escalated_at").desc(nulls_last=True), "raised_at", "id")


def cards_for(
    user: User, *, status: str = "", colour: str = "", trigger: str = "", open_only: bool = False
) -> QuerySet[Card]:
    """Every card the user may see (nothing for anyone else), filtered and ordered for a list."""
    cards = (
        Card.objects.filter(access.visible_q(user))
        .select_related("case", "department", "department__region", "order")
        .defer("case__data")
    )
    if open_only:
        cards = cards.filter(status__in=Card.OPEN_STATUSES)
    if status:
        cards = cards.filter(status=status)
    if colour:
        cards = cards.filter(colour=colour)
    if trigger:
        cards = cards.filter(trigger=trigger)
    return _ordered(cards)


def open_cards_for(user: User, limit: int | None = None) -> list[Card]:
    """Open cards the user may see, red and escalated first (the dashboard's list)."""
    cards = cards_for(user, open_only=True)
    return list(cards[:limit] if limit else cards)


def open_card_counts(user: User) -> dict[str, int]:
    """Open cards by colour, one grouped query."""
    rows = (
        Card.objects.filter(access.visible_q(user), status__in=Card.OPEN_STATUSES)
        .order_by()
        .values_list("colour")
        .annotate(n=Count("id"))
    )
    counts = {Colour.RED.value: 0, Colour.YELLOW.value: 0}
    counts.update(dict(rows))
    return counts


def inbox_for(user: User) -> QuerySet[Card]:
    """督办 inbox of the department's 审核/决定 staff: their department's open cards."""
    departments = access.answering_departments(user)
    cards = Card.objects.filter(department_id__in=departments, status__in=Card.OPEN_STATUSES)
    return _ordered(cards.select_related("case", "department", "order").defer("case__data"))


def card_for(user: User, pk: int) -> Card:
    """One card by id, or ``NotFound`` for anyone who may not see it (nothing is revealed)."""
    card = (
        Card.objects.select_related("case", "case__item", "department", "department__region", "order")
        .defer("case__data")
        .filter(pk=pk)
        .first()
    )
    if card is None or not access.can_see(user, card):
        raise NotFound()
    return card


def answers_of(card: Card) -> list:
    order = card.order if hasattr(card, "order") else None
    return list(order.answers.select_related("answered_by", "reviewed_by")) if order else []
