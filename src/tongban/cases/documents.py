"""Formal letters of a case as PDF (WeasyPrint, Noto CJK fonts): 受理通知书, 不予受理决定书,
补正告知书 and the decision (准予/不予行政许可决定书).

A letter exists only once the step that produces it has happened; anyone who may see the
case (applicant side or the department's staff) may download it.
"""

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from tongban.core.errors import NotFound

from .access import get_case_for
from .models import Case


@dataclass(frozen=True)
class DocumentKind:
    slug: str
    title: str
    template: str


KINDS = {
    "acceptance": DocumentKind("acceptance", "受理通知书", "cases/documents/acceptance.html"),
    "refusal": DocumentKind("refusal", "不予受理决定书", "cases/documents/refusal.html"),
    "correction": DocumentKind("correction", "补正材料通知书", "cases/documents/correction.html"),
    "decision": DocumentKind("decision", "行政许可决定书", "cases/documents/decision.html"),
}


def available_documents(case: Case) -> list[DocumentKind]:
    """The letters this case has, in the order they were produced."""
    kinds = []
    if case.corrections.exists():
        kinds.append(KINDS["correction"])
    if case.accepted_at is not None:
        kinds.append(KINDS["acceptance"])
    if case.status == Case.Status.REFUSED:
        kinds.append(KINDS["refusal"])
    if case.events.filter(action="decided").exists() or case.status == Case.Status.DENIED:
        kinds.append(KINDS["decision"])
    return kinds


def _decision_event(case: Case) -> Any:  # noqa: ANN401
    return case.events.filter(action="decided").order_by("-at").first()


def render_case_document(user: Any, number: str, slug: str) -> tuple[str, bytes]:  # noqa: ANN401
    """(file name, PDF bytes) of one letter, after the access check."""
    case = get_case_for(user, number)
    kind = KINDS.get(slug)
    if kind is None or kind not in available_documents(case):
        raise NotFound()
    decision = _decision_event(case)
    context = {
        "case": case,
        "kind": kind,
        "item": case.item,
        "department": case.department,
        "correction": case.corrections.prefetch_related("materials").order_by("-requested_at").first(),
        "granted": decision is not None and decision.title == "准予许可",
        "decision": decision,
        "issued_on": timezone.localdate(),
        "field_titles": {
            name: prop.get("title", name)
            for name, prop in ((case.form.schema.get("properties") or {}).items() if case.form else [])
        },
    }
    html = render_to_string(kind.template, context)
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf()
    return f"{case.number}-{kind.title}.pdf", pdf
