"""Formal letters of a case as PDF (WeasyPrint, Noto CJK fonts): 受理回执, 受理通知书, 补正材料通知书,
不予受理 and the decision, each worded for the item's type (``document_templates``).

A letter exists only once the step that produces it has happened; anyone who may see the
case (applicant side or the department's staff) may download it.
"""

import datetime
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import timezone

from tongban.catalog.models import ItemType, LimitUnit
from tongban.core.errors import NotFound
from tongban.core.masking import mask_id_number
from tongban.core.public import public_reverse, public_url
from tongban.core.types import User

from . import document_templates as wording_of
from .access import get_case_for, is_applicant_side
from .models import Case, DocumentTemplate

Kind = DocumentTemplate.Kind
ORDER = ("correction", "refusal", "receipt", "acceptance", "decision")


@dataclass(frozen=True)
class DocumentKind:
    slug: str
    title: str


def _decision_event(case: Case) -> Any:
    return case.events.filter(action="decided").order_by("-at").first()


def _decided_at_intake(case: Case) -> bool:
    """An instant item (即办件) is accepted and granted in one step: it has a decision too."""
    return (
        case.accepted_at is not None
        and case.status == Case.Status.CONCLUDED
        and case.events.filter(action="accept", to_status=Case.Status.CONCLUDED).exists()
    )


def _granted(case: Case, decision: Any) -> bool:
    if case.status == Case.Status.DENIED:
        return False
    return decision is None or not decision.title.startswith("不予")


def _template_kind(case: Case, slug: str, decision: Any = None) -> str:
    if slug != "decision":
        return slug
    return Kind.GRANT if _granted(case, decision) else Kind.DENY


def available_documents(case: Case) -> list[DocumentKind]:
    """The letters this case has, in the order they were produced, titled for its item type."""
    slugs = []
    if case.corrections.exists():
        slugs.append("correction")
    if case.status == Case.Status.REFUSED:
        slugs.append("refusal")
    if case.accepted_at is not None:
        slugs += ["receipt", "acceptance"]
    decision = _decision_event(case)
    if decision is not None or case.status == Case.Status.DENIED or _decided_at_intake(case):
        slugs.append("decision")
    if not slugs:
        return []
    rows = wording_of.template_rows(case.item.item_type, case.department)
    return [
        DocumentKind(
            slug,
            wording_of.pick(
                rows,
                case.item.item_type,
                _template_kind(case, slug, decision),
                _issued_at(case, slug, decision),
            ).title,
        )
        for slug in slugs
    ]


def _day(moment: datetime.datetime | datetime.date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localdate(moment)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _limit(days: int, unit: str) -> str:
    if not days:
        return "即时办结"
    return f"{days}个{LimitUnit(unit).label if unit in LimitUnit.values else '工作日'}"


def _basis(legal_basis: str) -> str:
    lines = [line.strip().rstrip("；;。") for line in (legal_basis or "").splitlines() if line.strip()]
    return "、".join(lines) or "有关法律、法规和规章"


def case_values(case: Case, issued_on: datetime.date) -> dict[str, str]:
    """The placeholder values of one case."""
    item = case.item
    return {
        "申请人": case.applicant_name,
        "办件编号": case.number,
        "事项名称": item.name,
        "事项类型": ItemType(item.item_type).label if item.item_type in ItemType.values else "",
        "实施机关": case.department.name,
        "提交日期": _day(case.submitted_at),
        "受理日期": _day(case.accepted_at),
        "承诺时限": _limit(item.promised_limit, item.promised_limit_unit),
        "承诺办结日期": _day(case.promised_due) or _day(case.accepted_at),
        "法定时限": _limit(item.legal_limit, item.legal_limit_unit),
        "法定办结日期": _day(case.legal_due) or _day(case.accepted_at),
        "决定理由": case.decision_reason.strip() or "申请材料齐全，符合规定的条件。",
        "设定依据": _basis(item.legal_basis),
        "文书日期": _day(issued_on),
    }


def sample_values(item_type: str, department: Any, item: Any = None) -> dict[str, str]:
    """Placeholder values of the preview's sample case (the department's own item if it has one)."""
    values = {name: sample for name, (_, sample) in wording_of.PLACEHOLDERS.items()}
    values["事项类型"] = ItemType(item_type).label
    if department is not None:
        values["实施机关"] = department.name
    if item is not None:
        values["事项名称"] = item.name
        values["设定依据"] = _basis(item.legal_basis)
    return values


def _paragraphs(body: str, values: dict[str, str]) -> list[str]:
    return [p for p in (wording_of.substitute(line, values).strip() for line in body.splitlines()) if p]


def _rows(case: Case, slug: str, values: dict[str, str]) -> list[tuple[str, str]]:
    """The fixed facts table of each letter (not editable: it states the record)."""
    item = case.item
    if slug == "receipt":
        if case.enterprise_id:
            holder = ("统一社会信用代码", case.enterprise.uscc)
        else:
            holder = ("证件号码", mask_id_number(case.applicant.id_number))
        materials = [
            f"{a.requirement.name}（{a.display_name}）"
            for a in case.application.attachments.filter(requirement__isnull=False, replaced=False)
            .select_related("requirement")
            .order_by("requirement_id", "uploaded_at")
        ]
        office = case.department.name + (f"（{case.department.address}）" if case.department.address else "")
        rows = [
            ("办件编号", case.number),
            ("申请人", case.applicant_name),
            holder,
            ("申请事项", item.name),
            ("受理日期", values["受理日期"]),
            ("承诺办结日期", values["承诺办结日期"]),
            ("收取材料", "；".join(materials) or "无"),
            ("受理机关", office),
        ]
        if case.department.phone:
            rows.append(("咨询电话", case.department.phone))
        return rows
    if slug == "acceptance":
        return [
            ("办件编号", case.number),
            ("申请事项", item.name),
            ("受理日期", values["受理日期"]),
            ("承诺办结期限", f"{values['承诺办结日期']}（{values['承诺时限']}）"),
            ("法定办结期限", f"{values['法定办结日期']}（{values['法定时限']}）"),
        ]
    if slug == "correction":
        correction = case.corrections.prefetch_related("materials").order_by("-requested_at").first()
        titles = {
            name: prop.get("title", name)
            for name, prop in ((case.form.schema.get("properties") or {}).items() if case.form else [])
        }
        rows = []
        if correction.fields:
            rows.append(("需补正的填报内容", "、".join(titles.get(name, name) for name in correction.fields)))
        materials = [m.name for m in correction.materials.all()]
        if materials:
            rows.append(("需补正的材料", "、".join(materials)))
        rows += [("补正说明", correction.notice), ("告知日期", _day(correction.requested_at))]
        return rows
    if slug == "decision":
        rows = [("办件编号", case.number), ("申请事项", item.name)]
        if item.legal_basis:
            rows.append(("设定依据", item.legal_basis))
        return rows
    return [("办件编号", case.number), ("申请事项", item.name)]


def _issued_at(case: Case, slug: str, decision: Any) -> datetime.datetime:
    """When the step that produced this letter happened: the letter is dated and worded then."""
    moment = None
    if slug in {"receipt", "acceptance"} or (slug == "decision" and decision is None):
        moment = case.accepted_at
    elif slug == "decision":
        moment = decision.at
    elif slug == "correction":
        latest = case.corrections.order_by("-requested_at").first()
        moment = latest.requested_at if latest is not None else None
    elif slug == "refusal":
        refused = case.events.filter(to_status=Case.Status.REFUSED).order_by("-at").first()
        moment = refused.at if refused is not None else None
    return moment or timezone.now()


def _query(case: Case) -> dict[str, str]:
    url = public_reverse("cases:my_case", case.number)
    png = segno.make_qr(url, error="m", mask=3).png_data_uri(scale=4, border=2)
    return {"url": url, "qr": png}


def letter_context(
    *,
    title: str,
    body: str,
    values: dict[str, str],
    department: Any,
    number: str,
    issued_on: datetime.date,
    rows: list[tuple[str, str]],
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    short = getattr(department, "short_name", "") or getattr(department, "name", "")
    return {
        "title": wording_of.substitute(title, values),
        "issuer": getattr(department, "name", values["实施机关"]),
        "ref": f"{short}〔{issued_on.year}〕{number}号",
        "addressee": values["申请人"],
        "paragraphs": _paragraphs(body, values),
        "rows": rows,
        "number": number,
        "issued_on": _day(issued_on),
        "query": query,
    }


def to_pdf(context: dict[str, Any]) -> bytes:
    html = render_to_string(
        "cases/documents/letter.html",
        {"letter": context, "title": context["title"], "number": context["number"]},
    )
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def render_case_document(user: User, number: str, slug: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) of one letter, after the access check."""
    case = get_case_for(user, number)
    if slug not in ORDER or slug not in {k.slug for k in available_documents(case)}:
        raise NotFound()
    if not is_applicant_side(user, case):
        # Staff print the applicant's name and ID number: a read of the applicant's data (issue 14).
        from tongban.identity.selectors import log_case_read

        log_case_read(user, case, "出具办件文书", ("申请人信息",))
    decision = _decision_event(case)
    issued_at = _issued_at(case, slug, decision)
    kind = _template_kind(case, slug, decision)
    text = wording_of.wording(case.item.item_type, kind, case.department, as_of=issued_at)
    issued_on = timezone.localdate(issued_at)
    values = case_values(case, issued_on)
    context = letter_context(
        title=text.title,
        body=text.body,
        values=values,
        department=case.department,
        number=case.number,
        issued_on=issued_on,
        rows=_rows(case, slug, values),
        query=_query(case) if slug == "receipt" else None,
    )
    return f"{case.number}-{context['title']}.pdf", to_pdf(context)


def sample_letter(
    *,
    item_type: str,
    kind: str,
    title: str,
    body: str,
    department: Any,
) -> dict[str, Any]:
    """The letter context of the preview: the text being edited, applied to a sample case."""
    item = None
    if department is not None:
        from tongban.catalog.models import ServiceItem

        item = ServiceItem.objects.filter(department=department, item_type=item_type).order_by("pk").first()
    values = sample_values(item_type, department, item)
    if kind in {Kind.DENY, Kind.REFUSAL}:
        values["决定理由"] = "申请人未能提供符合规定的证明材料。"
    issued_on = timezone.localdate()
    rows = [("办件编号", values["办件编号"]), ("申请事项", values["事项名称"])]
    if kind == Kind.RECEIPT:
        rows += [
            ("受理日期", values["受理日期"]),
            ("承诺办结日期", values["承诺办结日期"]),
            ("收取材料", "身份证明（身份证.pdf）"),
        ]
    issuer = department or SimpleNamespace(name="示例部门", short_name="")
    query = None
    if kind == Kind.RECEIPT:
        url = public_url("/my/cases/" + values["办件编号"] + "/")
        query = {"url": url, "qr": segno.make_qr(url, error="m", mask=3).png_data_uri(scale=4, border=2)}
    return letter_context(
        title=title,
        body=body,
        values=values,
        department=issuer,
        number=values["办件编号"],
        issued_on=issued_on,
        rows=rows,
        query=query,
    )
