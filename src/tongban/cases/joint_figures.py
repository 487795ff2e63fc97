"""What the 一件事 upload page really asks (docs/joint.md, Figures), read from the flow itself.

A material is *asked* when the page offers it for upload with nothing there yet: a row the
applicant still has to give a file for, for at least one item. A required document a provider
holds (免提交: shared data, the wallet) has its attachment from the start, or is held and never
reported missing; an optional or conditional one without a file is offered, so it is asked. The
joint page (``views.joint_applying``) and the figures use this one rule.

``measure`` starts the real drafts for a demo applicant, counts, and undoes everything (the
transaction is rolled back and the files the providers stored are removed), so the published
figure is what the page shows, not a parallel calculation.
"""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction

from tongban.catalog.models import LifeEvent, MaterialRequirement
from tongban.core.types import User
from tongban.identity.models import EnterpriseAccount

from . import steps
from .forms import materials_to_upload
from .models import Application, Attachment
from .services.applying import missing_materials, start_application
from .services.joint_applying import JointMaterial, children_of, joint_materials, start_joint_application

REQUIRED = MaterialRequirement.Necessity.REQUIRED


def asked_pairs(row: JointMaterial) -> list[tuple[Application, MaterialRequirement]]:
    """The (child, requirement) pairs of a joint row the applicant still has to upload for."""
    missing = {c.pk for c in row.missing_for}
    return [
        (child, requirement)
        for child, requirement in row.needs
        if child.pk not in row.current and (child.pk in missing or requirement.necessity != REQUIRED)
    ]


def is_asked(row: JointMaterial) -> bool:
    return bool(asked_pairs(row))


def asked_notes(rows: list[JointMaterial]) -> dict[str, list[str]]:
    """Material code → why a document the catalogue says comes by sharing is still asked (the
    department without a grant, or the registry without the subject), once per sentence."""
    by_child: dict[int, dict[int, str]] = {}
    notes: dict[str, list[str]] = {}
    for row in rows:
        for child, requirement in asked_pairs(row):
            if child.pk not in by_child:
                by_child[child.pk] = steps.material_notes(child)
            note = by_child[child.pk].get(requirement.pk)
            if note and note not in notes.setdefault(row.code, []):
                notes[row.code].append(note)
    return notes


def single_asked(application: Application) -> list[MaterialRequirement]:
    """The same rule on a single item's upload page (its materials, one row each)."""
    materials = materials_to_upload(list(application.item.materials.all()), application.channel)
    attached = set(
        Attachment.objects.filter(
            application=application, replaced=False, requirement__isnull=False
        ).values_list("requirement_id", flat=True)
    )
    missing = {m.pk for m in missing_materials(application)}
    return [m for m in materials if m.pk not in attached and (m.pk in missing or m.necessity != REQUIRED)]


@dataclass
class FlowMaterials:
    joint_asked: list[str]  # names on the joint upload page still to upload
    separate_asked: int  # sum over the items applied for one by one, same providers
    fetched: list[str]  # joint rows given by a provider (shared data, the wallet)


class _Undo(Exception):
    """Leaves the measuring transaction, carrying what was counted."""

    def __init__(self, result: FlowMaterials, stored: list[str]) -> None:
        super().__init__("measured")
        self.result, self.stored = result, stored


def measure(
    *,
    user: User,
    bundle: LifeEvent,
    region_code: str | None,
    enterprise: EnterpriseAccount | None = None,
    answers: dict | None = None,
) -> FlowMaterials:
    """Start the joint draft (and, for the comparison, one single draft per item) as ``user``,
    count what the upload pages ask, then roll everything back."""
    try:
        with transaction.atomic():
            joint = start_joint_application(
                user=user, bundle=bundle, answers=answers, region_code=region_code, enterprise=enterprise
            )
            children = children_of(joint)
            rows = joint_materials(children)
            singles = [
                start_application(user=user, item=child.item, enterprise=enterprise) for child in children
            ]
            result = FlowMaterials(
                joint_asked=[r.name for r in rows if is_asked(r)],
                separate_asked=sum(len(single_asked(s)) for s in singles),
                fetched=[r.name for r in rows if not is_asked(r) and r.current],
            )
            drafts = [*children, *singles]
            stored = [
                name
                for name in Attachment.objects.filter(application__in=drafts).values_list("file", flat=True)
                if name
            ]
            raise _Undo(result, stored)
    except _Undo as undone:
        for name in undone.stored:  # the providers' files of the drafts that no longer exist
            default_storage.delete(name)
        return undone.result
