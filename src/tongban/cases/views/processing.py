"""Staff processing: the work queue, the case page with the actions of the current step,
claiming and releasing. What the page offers comes from ``cases.access`` — the same checks
the services make — so a button is shown exactly when the service accepts it."""

import html

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongban.core.errors import InvalidInput, NotFound, ServiceError
from tongban.identity import selectors as identity_selectors
from tongban.identity.views import staff_required

from .. import access, document_templates, panels, selectors, services
from ..forms import answers
from ..models import Case
from ..services.revealing import reveal_identifiers
from ._common import DEADLINE_LABELS, deadline, documents, next_url


def _item_options(items: list[tuple[int, str]], selected: int | None) -> str:
    """The item filter's ``<option>`` list, escaped here: hundreds of options through the template
    engine (or ``format_html`` per option) cost more than the whole queue query."""
    return mark_safe(  # noqa: S308 - every value is escaped or an integer
        "".join(
            f'<option value="{pk}"{" selected" if pk == selected else ""}>{html.escape(name)}</option>'
            for pk, name in items
        )
    )


@staff_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    params = request.GET
    item_id = int(params["item"]) if params.get("item", "").isdigit() else None
    status = params.get("status") if params.get("status") in Case.OPEN_STATUSES else None
    colour = params.get("deadline") if params.get("deadline") in selectors.DEADLINE_FILTERS else None
    applicant = (params.get("applicant") or "").strip()[:50] or None
    mine = params.get("mine") == "1"
    page = int(params["page"]) if params.get("page", "").isdigit() else 1
    queue = selectors.staff_queue(
        request.user,
        item_id=item_id,
        status=status,
        deadline=colour,
        applicant=applicant,
        mine=mine,
        page=page,
    )
    context = {
        "queue": queue,
        "rows": [(r.case, r.colour, DEADLINE_LABELS[r.colour]) for r in queue.rows],
        "item_options": _item_options(selectors.queue_items(request.user, item_id), item_id),
        "statuses": [(s, Case.Status(s).label) for s in Case.OPEN_STATUSES],
        "deadlines": [(d, DEADLINE_LABELS[d]) for d in selectors.DEADLINE_FILTERS],
        "f": {
            "item": item_id,
            "status": status or "",
            "deadline": colour or "",
            "applicant": applicant or "",
            "mine": mine,
        },
        "has_roles": bool(selectors.processing_departments(request.user)),
    }
    return render(request, "cases/staff_queue.html", context)


# What the staff case page shows of the applicant, as "who used my data" names it.
CASE_PAGE_FIELDS = ("申请人信息", "申请表内容", "申请材料")


def _staff_case_page(
    request: HttpRequest,
    case: Case,
    *,
    action_error: dict | None = None,
    status: int = 200,
    revealed: bool = False,
    reveal_error: str = "",
) -> HttpResponse:
    user = request.user
    if request.method == "GET":  # a refused action changes nothing, not even the log
        identity_selectors.log_case_read(user, case, "办理办件", CASE_PAGE_FIELDS)
    application = case.application
    form = case.form
    attachments = selectors.current_attachments(application)
    by_id = {str(a.public_id): a for a in attachments}
    actions = access.staff_actions(user, case)
    claim_refused = access.refusal(access.check_claim, user, case)
    # An error of an action the page no longer offers (taken by someone else meanwhile) is
    # shown above the actions instead of in its card.
    other_error = next((m for a, m in (action_error or {}).items() if a not in actions), "")
    if claim_refused is not None and other_error == claim_refused.message:
        other_error = ""  # the claim box says it already (taken by someone else)
    context = {
        "case": case,
        "events": selectors.timeline(case, staff_view=True),
        "deadline": deadline(case),
        # ID and mobile numbers masked unless revealed by this very request (``staff_reveal``).
        "sections": answers(form.schema, form.layout, case.data, by_id, form.title, mask=not revealed)
        if form
        else [],
        "has_identifiers": bool(selectors.personal_identifiers(case)),
        "revealed": revealed,
        "reveal_error": reveal_error,
        "reveal_purpose": request.POST.get("purpose", "") if reveal_error else "",
        "attachments": [a for a in attachments if a.requirement_id],
        "corrections": selectors.corrections(case),
        "actions": actions,
        "can_release": access.can_release(user, case),
        "can_claim": claim_refused is None and case.assignee_id is None,
        "claimed_by_other": claim_refused is not None and claim_refused.code == "claimed_by_other",
        "field_choices": [(n, p.get("title", n)) for n, p in (form.schema.get("properties") or {}).items()]
        if form
        else [],
        "materials": selectors.item_materials(case),
        "results": Case.Result.choices,
        "action_error": action_error or {},
        "other_error": other_error,
        "posted": request.POST if action_error else {},
        "posted_fields": request.POST.getlist("fields") if action_error else [],
        "documents": documents(case),
        "conclude_warnings": selectors.conclude_warnings(case),
        "records_uscc": services.records_uscc(case.item),
        "outcome": document_templates.outcome(case.item.item_type),
        "panels": panels.render(request, case, "staff"),
    }
    return render(request, "cases/staff_case.html", context, status=status)


@staff_required
def staff_case(request: HttpRequest, number: str) -> HttpResponse:
    return _staff_case_page(request, selectors.get_staff_case(request.user, number))


@staff_required
@require_POST
def staff_reveal(request: HttpRequest, number: str) -> HttpResponse:
    """One action shows the case's full ID and mobile numbers, once, logged with its purpose."""
    case = selectors.get_staff_case(request.user, number)
    try:
        reveal_identifiers(actor=request.user, case=case, purpose=request.POST.get("purpose", ""))
    except InvalidInput as exc:
        return _staff_case_page(request, case, reveal_error=exc.message, status=400)
    response = _staff_case_page(request, case, revealed=True)
    response["Cache-Control"] = "no-store"
    return response


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


@staff_required
@require_POST
def staff_claim(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.get_staff_case(request.user, number)
    try:
        services.claim_case(actor=request.user, case=case, expected_version=_version(request))
        messages.success(request, _("已认领办件 %(number)s。") % {"number": case.number})
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, reverse("cases:staff_case", args=[case.number])))


@staff_required
@require_POST
def staff_release(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.get_staff_case(request.user, number)
    try:
        services.release_case(actor=request.user, case=case)
        messages.success(request, _("已释放办件 %(number)s。") % {"number": case.number})
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, reverse("cases:staff_case", args=[case.number])))


DONE_MESSAGES = {
    "accept": gettext_lazy("已受理。"),
    "refuse": gettext_lazy("已作出不予受理决定。"),
    "correct": gettext_lazy("已发出一次性补正告知，计时暂停。"),
    "review": gettext_lazy("审查意见已提交。"),
    "special_start": gettext_lazy("已进入特别程序，计时暂停。"),
    "special_end": gettext_lazy("特别程序已结束，恢复计时。"),
    "forward": gettext_lazy("已转报上级机关。"),
    "decide": gettext_lazy("决定已作出。"),
    "conclude": gettext_lazy("办件已办结。"),
}


def _act(request: HttpRequest, case: Case, action: str) -> None:
    """Call the service of ``action`` with what the card posted."""
    post = request.POST
    common = {
        "actor": request.user,
        "case": case,
        "expected_step": post.get("expected_step") or None,
        "expected_version": _version(request),
    }
    opinion = (post.get("opinion") or "").strip()
    if action == "accept":
        services.accept_case(**common, opinion=opinion, uscc=post.get("uscc", "").strip())
    elif action == "refuse":
        services.refuse_case(**common, reason=opinion)
    elif action == "correct":
        chosen = [int(pk) for pk in post.getlist("materials") if pk.isdigit()]
        services.request_correction(
            **common,
            notice=opinion,
            fields=post.getlist("fields"),
            materials=selectors.item_materials(case, chosen),
        )
    elif action == "review":
        services.review_case(**common, opinion=opinion)
    elif action == "special_start":
        services.start_special_procedure(**common, kind=post.get("kind", ""), notice=opinion)
    elif action == "special_end":
        services.end_special_procedure(
            actor=request.user, case=case, outcome=opinion, expected_version=common["expected_version"]
        )
    elif action == "forward":
        services.forward_case(**common, reason=opinion)
    elif action == "decide":
        decision = post.get("decision")
        if decision not in ("grant", "deny"):
            raise InvalidInput(_("请选择决定结果（准予或不予）。"), field="decision")
        services.decide_case(**common, grant=decision == "grant", reason=opinion)
    elif action == "conclude":
        services.conclude_case(
            **common, result=post.get("result", ""), opinion=opinion, uscc=post.get("uscc", "").strip()
        )


@staff_required
@require_POST
def staff_act(request: HttpRequest, number: str) -> HttpResponse:
    """One action of the current step; stale pages are refused by expected step and version."""
    case = selectors.get_staff_case(request.user, number)
    action = request.POST.get("action", "")
    if action not in DONE_MESSAGES:
        raise Http404()
    try:
        _act(request, case, action)
    except NotFound:
        raise
    except ServiceError as exc:  # shown in the action's card, with what was typed
        case.refresh_from_db()
        return _staff_case_page(request, case, action_error={action: exc.message}, status=exc.status)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("cases:staff_case", case.number)
