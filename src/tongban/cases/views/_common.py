"""What several case pages share: deadline words, the case's letters, safe return addresses."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..documents import available_documents
from ..models import Application, Attachment, Case
from ..selectors import current_attachments

DEADLINE_LABELS = {
    "green": _("正常"),
    "yellow": _("即将到期"),
    "red": _("已超期"),
    "paused": _("暂停计时"),
    "none": "—",
}


def next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` address posted with a form, when it stays on this site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def attachments_by_id(application: Application) -> dict[str, Attachment]:
    return {str(a.public_id): a for a in current_attachments(application)}


def deadline(case: Case) -> dict:
    colour = clock.deadline_colour(case)
    return {
        "colour": colour,
        "label": DEADLINE_LABELS[colour],
        "due": clock.current_due(case) if case.is_open else None,
        "estimated": case.due_estimated,
    }


def documents(case: Case) -> list[dict]:
    """The case's letters (PDF) that exist by now, with their download addresses."""
    return [
        {"title": kind.title, "url": reverse("case_documents:download", args=[case.number, kind.slug])}
        for kind in available_documents(case)
    ]
