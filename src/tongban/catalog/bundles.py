"""一件事 plans: which items of a bundle apply, in a region, and what they ask for together.

``bundle_plan`` is the one read behind the bundle page (一次告知), the API and the joint
application (cases): the guidance answers select entries, each entry is resolved to the
published item of the applicant's region (same 基本编码, else same name, in that region or
above it), entries without one are reported as missing instead of failing, and the materials
of the selected items are merged by material code (a document asked by several items is
listed once, with the requirement of each item that asks for it).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound
from tongban.departments.models import Department
from tongban.regions.codes import ancestor_codes

from .materials import is_application_form, material_code
from .models import GuidanceQuestion, LifeEvent, LifeEventItem, MaterialRequirement, ServiceItem

PUBLISHED = ServiceItem.Status.PUBLISHED
NECESSITY_RANK = {
    MaterialRequirement.Necessity.REQUIRED: 0,
    MaterialRequirement.Necessity.CONDITIONAL: 1,
    MaterialRequirement.Necessity.OPTIONAL: 2,
}


@dataclass
class PlanEntry:
    """A selected entry and the item that implements it in the plan's region."""

    entry: LifeEventItem
    item: ServiceItem
    essential: bool
    after: list[int]  # ids of the entries that must conclude first (selected ones only)

    @property
    def department(self) -> Department:
        return self.item.department


@dataclass
class MissingEntry:
    """A selected entry with no published item in the region: the page says so."""

    entry: LifeEventItem
    essential: bool


@dataclass
class MergedMaterial:
    """One document of the notice: asked once, used by every item in ``requirement_ids``."""

    code: str
    name: str
    necessity: str
    forms: list[str]
    source: str
    source_note: str
    requirement_ids: dict[int, int] = field(default_factory=dict)  # item id -> requirement id
    requirements: list[MaterialRequirement] = field(default_factory=list)
    online_form: bool = False  # an item's application form: filled in online as the joint form
    # The bundle's own item whose result this document is (营业执照 from 个体工商户设立登记): every
    # item asking for it comes after that item, so it reaches them from the joint case, not the applicant.
    produced_by: ServiceItem | None = None

    @property
    def item_count(self) -> int:
        return len(self.requirement_ids)

    def get_necessity_display(self) -> str:
        return str(MaterialRequirement.Necessity(self.necessity).label)


@dataclass
class AnsweredQuestion:
    question: GuidanceQuestion
    answer: bool
    answered: bool  # False: the default answer was used


@dataclass
class BundlePlan:
    bundle: LifeEvent
    version: int
    region_code: str | None
    questions: list[AnsweredQuestion]
    selected: list[PlanEntry]
    not_selected: list[LifeEventItem]
    missing: list[MissingEntry]
    materials: list[MergedMaterial]

    @property
    def answers(self) -> dict[int, bool]:
        return {q.question.pk: q.answer for q in self.questions}

    @property
    def essential(self) -> list[PlanEntry]:
        return [e for e in self.selected if e.essential]

    @property
    def optional(self) -> list[PlanEntry]:
        return [e for e in self.selected if not e.essential]

    @property
    def items(self) -> list[ServiceItem]:
        return [e.item for e in self.selected]

    @property
    def departments(self) -> list[Department]:
        seen: dict[int, Department] = {}
        for e in self.selected:
            seen.setdefault(e.item.department_id, e.item.department)
        return list(seen.values())

    @property
    def lead_department(self) -> Department | None:
        return self.bundle.lead_department

    @property
    def joint_limit_days(self) -> int:
        """The bundle's joint promise; without one, the longest promise of its items."""
        if self.bundle.joint_limit_days:
            return self.bundle.joint_limit_days
        return max((e.item.promised_limit for e in self.selected), default=0)

    @property
    def applicable(self) -> bool:
        """Can be applied for here: something selected and no essential entry missing."""
        return bool(self.selected) and not any(m.essential for m in self.missing)

    @property
    def upload_materials(self) -> list[MergedMaterial]:
        """Documents the applicant provides: not the application forms (the joint online form)
        and not the results of the bundle's own prerequisite items."""
        return [m for m in self.materials if not m.online_form and m.produced_by is None]

    @property
    def produced_materials(self) -> list[MergedMaterial]:
        return [m for m in self.materials if m.produced_by is not None]

    def documents_before(self) -> dict[int, frozenset[str]]:
        """Item id → material codes of the documents that the entries it waits for issue
        (出生医学证明 for 新生儿入户, 营业执照 for 食品经营许可): they reach it from those cases
        when it starts, so the applicant does not upload them for it."""
        earlier = _earlier(self.selected)
        by_entry = {p.entry.pk: p for p in self.selected}
        return {
            p.item.pk: frozenset(code for pk in earlier[p.entry.pk] if (code := _issues(by_entry[pk])))
            for p in self.selected
        }

    @property
    def separate_material_count(self) -> int:
        """Documents the applicant provides over the separate applications of the selected items."""
        return sum(len(m.requirement_ids) for m in self.materials if not m.online_form)


def answers_from(data: Mapping[str, Any], questions: list[GuidanceQuestion]) -> dict[int, bool]:
    """Answers from a GET form or JSON: ``q<id>`` (or ``<id>``) → "yes"/"no"/true/false."""
    answers: dict[int, bool] = {}
    for question in questions:
        for key in (f"q{question.pk}", str(question.pk)):
            value = data.get(key)
            if value is None or value == "":
                continue
            parsed = _parse_answer(value)
            if parsed is not None:
                answers[question.pk] = parsed
            break
    return answers


def _parse_answer(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1", "是"}:
        return True
    if text in {"no", "n", "false", "0", "否"}:
        return False
    return None


def bundle_queryset(*, items: bool = True):
    """Bundles with what ``bundle_plan`` reads; ``items=False`` leaves the entries' items to the
    caller (a joint submission has them, locked with its drafts) or to a read on first use."""
    entries = LifeEventItem.objects.prefetch_related("after").order_by("order", "id")
    if items:
        entries = entries.select_related("item__department", "item__region")
    return LifeEvent.objects.select_related("region", "lead_department").prefetch_related(
        Prefetch("entries", queryset=entries),
        Prefetch(
            "questions",
            queryset=GuidanceQuestion.objects.prefetch_related("if_yes", "if_no").order_by("order", "id"),
        ),
    )


def get_bundle(slug: str, *, published_only: bool = True) -> LifeEvent:
    """A bundle with its entries and questions prefetched (what ``bundle_plan`` reads)."""
    bundles = bundle_queryset().filter(slug=slug)
    if published_only:
        bundles = bundles.filter(status=LifeEvent.Status.PUBLISHED)
    bundle = bundles.first()
    if bundle is None:
        raise NotFound(_("找不到“一件事” %(slug)s。") % {"slug": slug})
    return bundle


def _selected(entries: list[LifeEventItem], questions: list[AnsweredQuestion]) -> set[int]:
    needs: dict[int, list[bool]] = {}
    for q in questions:
        for entry in q.question.if_yes.all():
            needs.setdefault(entry.pk, []).append(q.answer)
        for entry in q.question.if_no.all():
            needs.setdefault(entry.pk, []).append(not q.answer)
    return {e.pk for e in entries if all(needs.get(e.pk, [True]))}


def _resolve(entries: list[LifeEventItem], region_code: str | None) -> dict[int, ServiceItem]:
    """Entry id → the published item implementing it in ``region_code`` (and the regions above)."""
    resolved: dict[int, ServiceItem] = {}
    pending: list[LifeEventItem] = []
    scope = set(ancestor_codes(region_code)) if region_code else set()
    for entry in entries:
        item = entry.item
        if item.status == PUBLISHED and (region_code is None or item.region_code in scope):
            resolved[entry.pk] = item
        elif region_code is not None:
            pending.append(entry)
    if not pending:
        return resolved
    bases = {e.item.base_code for e in pending if e.item.base_code}
    names = {e.item.name for e in pending}
    candidates = list(
        ServiceItem.objects.published()
        .select_related("department", "region")
        .filter(region_code__in=scope)
        .filter(Q(base_code__in=bases) | Q(name__in=names))
        .order_by("-region_code", "-popularity", "id")  # the nearest region first
    )
    for entry in pending:
        base, name = entry.item.base_code, entry.item.name
        match = next((c for c in candidates if base and c.base_code == base), None) or next(
            (c for c in candidates if c.name == name), None
        )
        if match is not None:
            resolved[entry.pk] = match
    return resolved


def _merge_materials(items: list[ServiceItem]) -> list[MergedMaterial]:
    requirements = MaterialRequirement.objects.filter(item__in=[i.pk for i in items]).order_by("order", "id")
    by_item: dict[int, list[MaterialRequirement]] = {}
    for requirement in requirements:
        by_item.setdefault(requirement.item_id, []).append(requirement)
    merged: dict[str, MergedMaterial] = {}
    for item in items:
        for requirement in by_item.get(item.pk, []):
            code = requirement.material_code or material_code(requirement.name)
            material = merged.get(code)
            if material is None:
                material = merged[code] = MergedMaterial(
                    code=code,
                    name=requirement.name,
                    necessity=requirement.necessity,
                    forms=list(requirement.forms or []),
                    source=requirement.source,
                    source_note=requirement.source_note,
                    online_form=is_application_form(requirement.name),
                )
            elif NECESSITY_RANK.get(requirement.necessity, 2) < NECESSITY_RANK.get(material.necessity, 2):
                material.necessity = requirement.necessity
            material.requirement_ids.setdefault(item.pk, requirement.pk)
            material.requirements.append(requirement)
            for form in requirement.forms or []:
                if form not in material.forms:
                    material.forms.append(form)
    return list(merged.values())


def _earlier(selected: list[PlanEntry]) -> dict[int, set[int]]:
    """Entry id → every selected entry that concludes before it, directly or through another."""
    by_entry = {p.entry.pk: p for p in selected}
    before: dict[int, set[int]] = {}

    def prerequisites(pk: int) -> set[int]:
        if pk not in before:
            before[pk] = set()
            for a in by_entry[pk].after:
                before[pk] |= {a} | prerequisites(a)
        return before[pk]

    return {pk: prerequisites(pk) for pk in by_entry}


def _issues(entry: PlanEntry) -> str:
    """The material code of the document the entry's item issues ("" when it names none)."""
    return material_code(entry.item.result_name) if entry.item.result_name.strip() else ""


def _mark_produced(selected: list[PlanEntry], materials: list[MergedMaterial]) -> None:
    """Mark documents that a selected prerequisite item issues to every item asking for them."""
    earlier = _earlier(selected)
    producers = {_issues(p): p for p in selected if _issues(p)}
    entry_of_item = {p.item.pk: p.entry.pk for p in selected}
    for material in materials:
        producer = producers.get(material.code)
        if producer is None or material.online_form:
            continue
        askers = [entry_of_item[item_id] for item_id in material.requirement_ids]
        if all(producer.entry.pk in earlier[pk] for pk in askers):
            material.produced_by = producer.item


def bundle_plan(
    bundle: LifeEvent,
    answers: Mapping[Any, Any] | None = None,
    region_code: str | None = None,
    *,
    materials: bool = True,
) -> BundlePlan:
    """What the bundle means for these guidance answers in ``region_code`` (None: as defined).

    ``answers`` maps a question (id, or "q<id>") to yes/no; unanswered questions take their
    default. Pass a bundle from ``get_bundle``/``bundle_queryset`` to avoid extra queries.
    ``materials=False``: the merged materials are left empty (a submission reads only the
    selected entries; the children's own requirements are checked one by one).
    """
    questions = list(bundle.questions.all())
    given = answers_from({str(k): v for k, v in (answers or {}).items()}, questions)
    answered = [AnsweredQuestion(q, given.get(q.pk, q.default_answer), q.pk in given) for q in questions]
    entries = list(bundle.entries.all())
    chosen = _selected(entries, answered)
    resolved = _resolve([e for e in entries if e.pk in chosen], region_code)
    selected: list[PlanEntry] = []
    missing: list[MissingEntry] = []
    for entry in entries:
        if entry.pk not in chosen:
            continue
        item = resolved.get(entry.pk)
        if item is None:
            missing.append(MissingEntry(entry, entry.essential))
            continue
        selected.append(PlanEntry(entry, item, entry.essential, []))
    present = {p.entry.pk for p in selected}
    for planned in selected:
        planned.after = [a.pk for a in planned.entry.after.all() if a.pk in present]
    merged = _merge_materials([p.item for p in selected]) if materials else []
    _mark_produced(selected, merged)
    return BundlePlan(
        bundle=bundle,
        version=bundle.version,
        region_code=region_code,
        questions=answered,
        selected=selected,
        not_selected=[e for e in entries if e.pk not in chosen],
        missing=missing,
        materials=merged,
    )
