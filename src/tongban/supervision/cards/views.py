"""Pages: the supervisor's card list and card page with the 督办 form, the department's 督办 inbox
and answer form. Thin: parse, call a service, render; an ``InvalidInput`` or ``Conflict`` is shown
with the form (nothing changed), ``NotFound`` and ``PermissionDenied`` go to the middleware."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.cases.access import Conflict
from tongban.core.errors import InvalidInput
from tongban.identity.views import staff_required

from . import access, selectors, services
from .models import Card, Colour, Trigger


@staff_required
def card_list(request: HttpRequest) -> HttpResponse:
    """黄牌红牌 of the supervisor's region (open ones by default), filtered by status, colour, trigger."""
    if not access.supervised_codes(request.user):
        raise Http404()
    # "unclosed" (every open status, the default) and "all" sit beside the statuses themselves.
    status = request.GET.get("status", "unclosed")
    colour = request.GET.get("colour", "")
    trigger = request.GET.get("trigger", "")
    status = status if status in {"unclosed", "all", *Card.Status.values} else "unclosed"
    colour = colour if colour in Colour.values else ""
    trigger = trigger if trigger in Trigger.values else ""
    cards = selectors.cards_for(
        request.user,
        status=status if status in Card.Status.values else "",
        open_only=status == "unclosed",
        colour=colour,
        trigger=trigger,
    )
    page = Paginator(cards, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision_cards/list.html",
        {
            "page": page,
            "counts": selectors.open_card_counts(request.user),
            "status": status,
            "colour": colour,
            "trigger": trigger,
            "statuses": Card.Status.choices,
            "colours": Colour.choices,
            "triggers": Trigger.choices,
        },
    )


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """督办待办 of the department's 审核/决定 staff: their department's open cards (empty, with a
    word on who answers, for other staff who follow the home page's tile)."""
    return render(
        request,
        "supervision_cards/inbox.html",
        {
            "cards": selectors.inbox_for(request.user)[:200],
            "answers": bool(access.answering_departments(request.user)),
        },
    )


def _detail(request: HttpRequest, card: Card, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "supervision_cards/card.html",
        {
            "card": card,
            "order": card.order if hasattr(card, "order") else None,
            "answers": selectors.answers_of(card),
            "can_supervise": access.can_supervise(request.user, card),
            "can_answer": access.can_answer(request.user, card),
            "error": error,
            "form": request.POST if error else {},
        },
        status=status,
    )


@staff_required
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.card_for(request.user, pk))


def _act(request: HttpRequest, pk: int, act, done: str) -> HttpResponse:
    card = selectors.card_for(request.user, pk)
    try:
        act(card)
    except (InvalidInput, Conflict) as exc:
        return _detail(request, card, error=exc.message, status=exc.status)
    messages.success(request, done)
    return redirect("supervision_cards:card", pk=card.pk)


@staff_required
@require_POST
def issue_order(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda card: services.issue_order(
            actor=request.user,
            card=card,
            instruction=request.POST.get("instruction", ""),
            workdays=request.POST.get("workdays", ""),
        ),
        _("已督办，承办部门将收到通知。"),
    )


@staff_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda card: services.answer_order(
            actor=request.user, card=card, measures=request.POST.get("measures", "")
        ),
        _("已答复督办，等待监察审核。"),
    )


@staff_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("verdict") == "accept"
    return _act(
        request,
        pk,
        lambda card: services.review_answer(
            actor=request.user,
            card=card,
            accept=accept,
            opinion=request.POST.get("opinion", ""),
            workdays=request.POST.get("workdays") or None,
        ),
        _("已认可答复，该牌已办结。") if accept else _("已退回答复，承办部门将重新答复。"),
    )
