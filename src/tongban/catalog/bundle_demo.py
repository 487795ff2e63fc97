"""The shipped 一件事 bundles (``data/bundles.json``) applied to the demo city's counties.

The catalogue step of ``tongban demo`` creates each county's life events with their items; this
step makes them real bundles: essential and optional entries, prerequisites, refusal rules,
guidance questions, the lead department and the joint time limit, and the material codes of
their items' materials. A bundle whose configuration changed is recorded as a new published
version; running it again changes nothing.
"""

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from .bundle_services import snapshot
from .materials import material_code
from .models import GuidanceQuestion, LifeEvent, LifeEventItem, LifeEventVersion, MaterialRequirement

DATA = Path(__file__).resolve().parent / "data" / "bundles.json"
DEMO_CITY = "5116"


def shipped_bundles() -> list[dict[str, Any]]:
    return json.loads(DATA.read_text(encoding="utf-8"))["bundles"]


def _apply(bundle: LifeEvent, spec: dict[str, Any]) -> bool:
    """Configure ``bundle`` as ``spec`` says; True when anything changed (a new version)."""
    before = snapshot(bundle)
    entries = {
        e.item.name: e for e in bundle.entries.select_related("item__department").prefetch_related("after")
    }
    for order, row in enumerate(spec["entries"], start=1):
        entry = entries.get(row["item"])
        if entry is None:
            continue  # not in this county's catalogue: the bundle page says so
        changed = (entry.essential, entry.order, entry.on_refusal) != (
            row.get("essential", True),
            order,
            row.get("on_refusal", "dependents"),
        )
        if changed:
            entry.essential = row.get("essential", True)
            entry.order = order
            entry.on_refusal = row.get("on_refusal", "dependents")
            entry.save()
        wanted = {entries[name].pk for name in row.get("after", []) if name in entries}
        if {a.pk for a in entry.after.all()} != wanted:
            entry.after.set(wanted)
    lead = entries.get(spec["lead_item"])
    bundle.lead_department = lead.item.department if lead else bundle.lead_department
    bundle.joint_limit_days = spec.get("joint_limit_days", 0)
    bundle.cross_region = spec.get("cross_region", False)
    wanted_questions = [
        (
            q["text"],
            q.get("help", ""),
            q.get("default", False),
            sorted(entries[n].item.code for n in q.get("if_yes", []) if n in entries),
            sorted(entries[n].item.code for n in q.get("if_no", []) if n in entries),
        )
        for q in spec.get("questions", [])
    ]
    current = [
        (q["text"], q["help"], q["default_answer"], sorted(q["if_yes"]), sorted(q["if_no"]))
        for q in before["questions"]
    ]
    if current != wanted_questions:
        bundle.questions.all().delete()
        by_code = {e.item.code: e for e in entries.values()}
        for order, (text, help_text, default, yes, no) in enumerate(wanted_questions, start=1):
            if not yes and not no:
                continue
            question = GuidanceQuestion.objects.create(
                bundle=bundle, order=order, text=text, help=help_text, default_answer=default
            )
            question.if_yes.set([by_code[c] for c in yes])
            question.if_no.set([by_code[c] for c in no])
    after = snapshot(bundle)
    if after == before and bundle.versions.exists():
        return False
    bundle.status = LifeEvent.Status.PUBLISHED
    bundle.version = bundle.version + 1 if bundle.versions.exists() else bundle.version
    bundle.published_at = timezone.now()
    bundle.save()
    LifeEventVersion.objects.create(
        bundle=bundle,
        version=bundle.version,
        action="publish",
        status=bundle.status,
        actor="system",
        snapshot=after,
    )
    return True


def _code_materials(bundles: list[LifeEvent]) -> int:
    """Material codes of the bundles' items (the catalogue step bulk-creates without them)."""
    items = LifeEventItem.objects.filter(bundle__in=bundles).values_list("item_id", flat=True)
    rows = list(MaterialRequirement.objects.filter(item_id__in=items, material_code=""))
    for row in rows:
        row.material_code = material_code(row.name)
    MaterialRequirement.objects.bulk_update(rows, ["material_code"], batch_size=500)
    return len(rows)


def load(**_: object) -> str:
    """The demo step: the shipped bundles in every county of the demo city that has them."""
    with transaction.atomic():
        specs = {spec["slug"]: spec for spec in shipped_bundles()}
        bundles = list(
            LifeEvent.objects.filter(region__code__startswith=DEMO_CITY).select_related(
                "region", "lead_department"
            )
        )
        configured = [b for b in bundles if b.slug.rsplit("-", 1)[0] in specs]
        versions = sum(_apply(b, specs[b.slug.rsplit("-", 1)[0]]) for b in configured)
        coded = _code_materials(configured)
    return f"一件事 {len(configured)} 个（{len(specs)} 种）按清单配置，新版本 {versions}，材料编码 {coded}"
