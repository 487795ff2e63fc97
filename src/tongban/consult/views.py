"""Pages of 咨询投诉: the assistant, the request form, the status page with the rating, the
published answers; for staff the 12345 centre's and the departments' queues and one request
with the actions the person may take (each offered exactly when ``access`` allows it)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tongban.catalog.models import ServiceItem
from tongban.core.downloads import file_response
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.masking import mask_mobile
from tongban.departments.models import Department
from tongban.identity.views import staff_required

from . import access, assistant, selectors, services
from .models import Category, Kind, KindRule, Petition, Satisfaction

TRANSCRIPT_KEY = "consult_transcript"
TRANSCRIPT_TURNS = 10


def _region(request: HttpRequest) -> str:
    return getattr(request, "region_code", "") or getattr(settings, "TONGBAN_DEFAULT_REGION", "") or ""


def _remember(request: HttpRequest, question: str, reply: assistant.Answer) -> None:
    lines = list(request.session.get(TRANSCRIPT_KEY, []))
    said = reply.text + (" " + reply.link if reply.link else "")
    lines += [assistant.transcript_line("问", question), assistant.transcript_line("答", said)]
    request.session[TRANSCRIPT_KEY] = lines[-2 * TRANSCRIPT_TURNS :]


def ask(request: HttpRequest) -> HttpResponse:
    """智能客服: a question form that works without JavaScript; htmx swaps in just the answer."""
    question = request.GET.get("q", "").strip()
    reply, error = None, ""
    if question:
        try:
            reply = assistant.answer(question, region_code=_region(request))
            _remember(request, question, reply)
        except InvalidInput as exc:
            error = exc.message
    context = {"question": question, "reply": reply, "error": error}
    if request.headers.get("HX-Request") and question:
        return render(request, "consult/_answer.html", context)
    return render(request, "consult/ask.html", context)


def _kind_rules() -> dict[str, KindRule]:
    return {rule.kind: rule for rule in KindRule.objects.all()}


def new_request(request: HttpRequest) -> HttpResponse:
    """提交诉求: anonymous only for the kinds that allow it; after the assistant, its transcript goes along."""
    from_assistant = request.GET.get("from") == "assistant" or request.POST.get("from") == "assistant"
    transcript = "\n".join(request.session.get(TRANSCRIPT_KEY, [])) if from_assistant else ""
    item = ServiceItem.objects.filter(code=request.GET.get("item") or request.POST.get("item") or "").first()
    values = {
        "kind": request.GET.get("kind") or ("consult" if from_assistant else "complain"),
        "title": request.GET.get("title", ""),
        "body": "",
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "")
            for k in ("kind", "category", "title", "body", "address", "contact_name", "contact_phone")
        }
        values["anonymous"] = request.POST.get("anonymous") == "1"
        category = Category.objects.filter(code=values["category"], active=True).first()
        try:
            petition = services.submit(
                user=request.user,
                kind=values["kind"],
                title=values["title"],
                body=values["body"],
                channel=Petition.Channel.ASSISTANT if from_assistant else Petition.Channel.WEB,
                category=category,
                item=item,
                region_code=item.region_code if item else _region(request),
                address=values["address"],
                anonymous=values["anonymous"],
                contact_name=values["contact_name"],
                contact_phone=values["contact_phone"],
                transcript=transcript,
                attachments=request.FILES.getlist("attachments"),
                source=request.META.get("REMOTE_ADDR", ""),
            )
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            status = 400
        else:
            request.session.pop(TRANSCRIPT_KEY, None)
            messages.success(request, _("诉求已提交，编号 %(number)s。") % {"number": petition.number})
            url = reverse("consult:status", args=[petition.number])
            return redirect(url if petition.requester_id else f"{url}?t={petition.token}")
    context = {
        "values": values,
        "errors": errors,
        "kinds": Kind.choices,
        "rules": _kind_rules(),
        "categories": Category.objects.filter(active=True),
        "item": item,
        "transcript": transcript,
        "from_assistant": from_assistant,
    }
    return render(request, "consult/new.html", context, status=status)


def status_page(request: HttpRequest, number: str) -> HttpResponse:
    """The requester's page: where the request stands, the answer, and the rating once answered."""
    token = request.GET.get("t") or request.POST.get("t") or None
    petition = selectors.petition_for(request.user, number, token)
    if not access.is_requester(request.user, petition, token):
        raise NotFound()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            outcome = services.rate(
                user=request.user,
                petition=petition,
                satisfaction=request.POST.get("satisfaction", ""),
                comment=request.POST.get("comment", ""),
                token=token,
            )
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            status = 400
        else:
            notes = {
                "closed": _("感谢您的评价，诉求已办结。"),
                "reopened": _("已退回承办部门重新办理，请留意答复。"),
                "escalated": _("已转热线中心督办，请留意答复。"),
            }
            messages.success(request, notes[outcome])
            url = reverse("consult:status", args=[number])
            return redirect(f"{url}?t={token}" if token else url)
    context = {
        "petition": petition,
        "events": selectors.timeline(petition),
        "can_rate": access.can_rate(request.user, petition, token),
        "satisfactions": Satisfaction.choices,
        "token": token,
        "errors": errors,
    }
    return render(request, "consult/status.html", context, status=status)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_petitions(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "consult/my.html", {"page_obj": page})


def faq(request: HttpRequest) -> HttpResponse:
    item = ServiceItem.objects.filter(code=request.GET.get("item", "")).first()
    page = Paginator(selectors.published_answers(item.pk if item else None), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "consult/faq.html", {"page_obj": page, "item": item})


# ---------------------------------------------------------------- staff


def _row(petition: Petition) -> dict:
    return {"petition": petition, "colour": services.colour(petition)}


@staff_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The centre's queue (待派单, 延期申请, 办理中, 已答复, 已办结) and the department's."""
    centre = bool(access.centres_of(request.user))
    handler = bool(access.handler_departments(request.user))
    show = request.GET.get("show", "new" if centre else "open")
    if centre and show in ("new", "extension", "handling", "answered", "closed"):
        rows = selectors.centre_queue(request.user, show)
    elif handler:
        show = show if show in ("open", "done") else "open"
        rows = selectors.department_queue(request.user, show)
    else:
        raise NotFound()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "rows": [_row(p) for p in page.object_list],
        "is_centre": centre,
        "is_handler": handler,
        "show": show,
        "centre_tabs": [
            ("new", _("待派单")),
            ("extension", _("延期申请")),
            ("handling", _("办理中")),
            ("answered", _("已答复")),
            ("closed", _("已办结")),
        ],
        "department_tabs": [("open", _("本部门待办")), ("done", _("本部门已答复"))],
    }
    return render(request, "consult/staff_queue.html", context)


ACTIONS = {
    "dispatch": lambda r, p, post: services.dispatch(
        actor=r.user,
        petition=p,
        department=Department.objects.filter(pk=post.get("department") or 0).first(),
        joint=list(Department.objects.filter(pk__in=[int(x) for x in post.getlist("joint") if x.isdigit()])),
        note=post.get("note", ""),
    ),
    "accept": lambda r, p, post: services.accept(actor=r.user, petition=p),
    "return": lambda r, p, post: services.return_to_centre(
        actor=r.user, petition=p, reason=post.get("reason", "")
    ),
    "answer": lambda r, p, post: services.answer(actor=r.user, petition=p, text=post.get("text", "")),
    "contribute": lambda r, p, post: services.contribute(actor=r.user, petition=p, text=post.get("text", "")),
    "extension": lambda r, p, post: services.request_extension(
        actor=r.user, petition=p, reason=post.get("reason", "")
    ),
    "grant": lambda r, p, post: services.decide_extension(actor=r.user, petition=p, grant=True),
    "refuse": lambda r, p, post: services.decide_extension(actor=r.user, petition=p, grant=False),
    "escalate": lambda r, p, post: services.escalate(actor=r.user, petition=p, note=post.get("note", "")),
    "callback": lambda r, p, post: services.record_callback(
        actor=r.user, petition=p, satisfaction=post.get("satisfaction", ""), note=post.get("note", "")
    ),
    "merge": lambda r, p, post: services.merge(
        actor=r.user, petition=p, into=selectors.petition_for(r.user, post.get("into", ""))
    ),
    "publish": lambda r, p, post: services.publish_answer(
        actor=r.user, petition=p, question=post.get("question", ""), answer=post.get("answer", "")
    ),
}


@staff_required
def staff_petition(request: HttpRequest, number: str) -> HttpResponse:
    petition = selectors.petition_for(request.user, number)
    user = request.user
    errors: dict[str, str] = {}
    status = 200
    revealed = ""
    if request.method == "POST" and request.POST.get("action") == "reveal":
        revealed = selectors.reveal_contact(user, petition)
    elif request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise InvalidInput(_("未知的操作。"))
        try:
            ACTIONS[action](request, petition, request.POST)
        except InvalidInput as exc:
            errors[action] = exc.message
            status = 400
        else:
            messages.success(request, _("已保存。"))
            return redirect("consult:staff_petition", number)
    rule = services.kind_rule(petition.kind)
    is_centre = access.is_centre_staff(user, petition.centre)
    context = {
        "petition": petition,
        "events": selectors.timeline(petition),
        "assignments": list(petition.assignments.all()),
        "colour": services.colour(petition),
        "rule": rule,
        "errors": errors,
        "is_centre": is_centre,
        "contact_phone": revealed or mask_mobile(petition.contact_phone),
        "revealed": bool(revealed),
        "can": {
            "dispatch": access.can_dispatch(user, petition),
            "accept": access.can_accept(user, petition),
            "return": access.can_return(user, petition),
            "answer": access.can_answer(user, petition),
            "contribute": access.can_contribute(user, petition),
            "extension": access.can_request_extension(user, petition, rule),
            "decide_extension": access.can_decide_extension(user, petition),
            "escalate": access.can_escalate(user, petition),
            "callback": access.can_callback(user, petition),
            "publish": access.can_publish(user, petition),
            "merge": is_centre and petition.status == Petition.Status.NEW,
        },
        "suggested": services.rule_department(petition) if access.can_dispatch(user, petition) else None,
        "departments": Department.objects.filter(
            region__code__startswith=petition.centre.region.code
        ).order_by("name")
        if is_centre
        else [],
        "duplicates": selectors.likely_duplicates(petition)
        if is_centre and petition.status == Petition.Status.NEW
        else [],
        "satisfactions": Satisfaction.choices,
        "published_question": services.strip_personal(petition.title, petition),
        "published_answer": services.strip_personal(petition.answer, petition),
    }
    return render(request, "consult/staff_petition.html", context, status=status)


@staff_required
def record_call(request: HttpRequest) -> HttpResponse:
    """登记来电: the centre's staff type in what a caller says."""
    access.check_record_call(request.user)
    values: dict = {"kind": "consult"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "")
            for k in (
                "kind",
                "category",
                "title",
                "body",
                "address",
                "contact_name",
                "contact_phone",
                "region",
            )
        }
        values["anonymous"] = request.POST.get("anonymous") == "1"
        try:
            petition = services.submit(
                user=None,
                kind=values["kind"],
                title=values["title"],
                body=values["body"],
                category=Category.objects.filter(code=values["category"]).first(),
                region_code=values["region"],
                address=values["address"],
                anonymous=values["anonymous"],
                contact_name=values["contact_name"],
                contact_phone=values["contact_phone"],
                recorded_by=request.user,
            )
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            status = 400
        else:
            messages.success(request, _("来电已登记，编号 %(number)s。") % {"number": petition.number})
            return redirect("consult:staff_petition", petition.number)
    context = {
        "values": values,
        "errors": errors,
        "kinds": Kind.choices,
        "categories": Category.objects.filter(active=True),
    }
    return render(request, "consult/record_call.html", context, status=status)


def attachment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """An attachment, for whoever may see the request (its requester with the token too)."""
    petition = selectors.petition_for(request.user, number, request.GET.get("t") or None)
    found = petition.attachments.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    with found.file.open("rb") as handle:
        return file_response(handle.read(), found.display_name, found.content_type)
