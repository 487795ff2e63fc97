"""Figures of 一件事 (docs/joint.md): what the applicant provides jointly against separately.

For each bundle, with the guidance questions at their defaults, in the bundle's region:
- fields: questions of the merged form against the sum of the items' own forms (the active
  form, or the default form an application would start with);
- materials: documents the catalogue asks (not the application forms, which are the online
  form, nor results of the bundle's own prerequisite items) merged by material code, against
  the sum over the items. ``separate_materials`` is the published 分别（指南所列） column; the
  published joint figure is not ``joint_materials`` but what the joint upload page really asks,
  measured after the 免提交 providers ran (``cases.joint_figures.measure``);
- pages: what an applicant opens, as the apply pages are built (cases.urls): separately, per
  item the guide, the apply notice, one page per form section, materials, check-your-answers
  and the confirmation; jointly, the bundle page (guidance and notice), one page per section of
  the merged form, materials, check-your-answers and the confirmation.
"""

from dataclasses import dataclass

from tongban.catalog.bundles import BundlePlan
from tongban.catalog.models import ServiceItem

from .merging import merged_form
from .models import FormDefinition
from .selectors import active_form
from .services import default_schema_for

SEPARATE_FIXED_PAGES = 5  # guide, apply notice, materials, check, confirmation
JOINT_FIXED_PAGES = 4  # bundle page, materials, check, confirmation


@dataclass
class BundleFigures:
    slug: str
    name: str
    items: int
    departments: int
    joint_fields: int
    separate_fields: int
    joint_materials: int
    separate_materials: int
    joint_pages: int
    separate_pages: int

    @property
    def field_ratio(self) -> float:
        return self.joint_fields / self.separate_fields if self.separate_fields else 0.0

    @property
    def material_ratio(self) -> float:
        return self.joint_materials / self.separate_materials if self.separate_materials else 0.0

    @property
    def page_ratio(self) -> float:
        return self.joint_pages / self.separate_pages if self.separate_pages else 0.0


def form_of(item: ServiceItem) -> FormDefinition:
    """The form an application for ``item`` uses (unsaved default form when it has none)."""
    form = active_form(item)
    if form is None:
        schema, layout = default_schema_for(item)
        form = FormDefinition(item=item, version=0, title=f"{item.name}申请表", schema=schema, layout=layout)
    return form


def section_pages(schema: dict, layout: dict) -> int:
    """Pages of a form: its sections with fields, plus one for fields no section places."""
    props = schema.get("properties") or {}
    placed: set[str] = set()
    pages = 0
    for section in layout.get("sections") or []:
        names = [n for n in section.get("fields", []) if n in props and n not in placed]
        if names:
            pages += 1
            placed.update(names)
    return pages + (1 if set(props) - placed else 0)


def bundle_figures(plan: BundlePlan) -> BundleFigures:
    forms = [form_of(e.item) for e in plan.selected]
    merged = merged_form(forms, {e.item.pk: e.item.name for e in plan.selected})
    separate_pages = sum(SEPARATE_FIXED_PAGES + section_pages(f.schema, f.layout or {}) for f in forms)
    return BundleFigures(
        slug=plan.bundle.slug,
        name=plan.bundle.name,
        items=len(plan.selected),
        departments=len(plan.departments),
        joint_fields=merged.field_count,
        separate_fields=merged.separate_field_count,
        joint_materials=len(plan.upload_materials),
        separate_materials=plan.separate_material_count,
        joint_pages=JOINT_FIXED_PAGES + section_pages(merged.schema, merged.layout),
        separate_pages=separate_pages,
    )
