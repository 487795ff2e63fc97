"""一表申请: the forms of a bundle's items merged into one, each shared field asked once.

A field carries a semantic key in the JSON-Schema extension ``"x-semantic"`` (for example
``applicant.name``, ``enterprise.uscc``, ``address``). Fields with the same key across forms are
one question of the merged form, placed where the first form that asks it puts it; every other
field is asked as its own form asks it. ``MergedForm.split`` gives each item's form its values
back under its own field names, so every single-item check (validation, prefill, materials,
submission steps) runs unchanged on each child application.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import FormDefinition


@dataclass
class MergedForm:
    schema: dict
    layout: dict
    # merged field name -> [(item id, field name in that item's form)]
    sources: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    form_ids: dict[int, int] = field(default_factory=dict)  # item id -> form definition id

    @property
    def field_count(self) -> int:
        """Questions of the merged form."""
        return len(self.schema.get("properties") or {})

    @property
    def separate_field_count(self) -> int:
        """Questions over the separate forms of the same items."""
        return sum(len(targets) for targets in self.sources.values())

    def names_for(self, item_id: int) -> dict[str, str]:
        """The item's own field name -> the merged field name."""
        return {
            own: merged for merged, targets in self.sources.items() for iid, own in targets if iid == item_id
        }

    def split(self, data: dict[str, Any]) -> dict[int, dict[str, Any]]:
        """Merged data -> {item id: that item's form data}; absent fields stay absent."""
        parts: dict[int, dict[str, Any]] = {item_id: {} for item_id in self.form_ids}
        for merged, targets in self.sources.items():
            if merged not in data:
                continue
            for item_id, own in targets:
                parts[item_id][own] = data[merged]
        return parts

    def join(self, parts: dict[int, dict[str, Any]]) -> dict[str, Any]:
        """The inverse of ``split``: the first item's value of each merged field (prefill)."""
        data: dict[str, Any] = {}
        for merged, targets in self.sources.items():
            for item_id, own in targets:
                if own in parts.get(item_id, {}):
                    data[merged] = parts[item_id][own]
                    break
        return data


def semantic_key(prop: dict) -> str:
    return str(prop.get("x-semantic") or "").strip()


def merged_form(forms: Sequence[FormDefinition], titles: dict[int, str] | None = None) -> MergedForm:
    """One schema and layout for ``forms`` (in the bundle's order; one per item).

    ``titles`` names each item (item id -> name) in the section titles of the later forms;
    the item's name is used when not given.
    """
    properties: dict[str, dict] = {}
    required: list[str] = []
    sections: list[dict] = []
    conditions: dict[str, dict] = {}
    sources: dict[str, list[tuple[int, str]]] = {}
    by_semantic: dict[str, str] = {}
    form_ids: dict[int, int] = {}
    for index, form in enumerate(forms):
        item_id = form.item_id
        form_ids[item_id] = form.pk
        props: dict[str, dict] = (form.schema or {}).get("properties") or {}
        renamed: dict[str, str] = {}
        fresh: list[str] = []
        for own, prop in props.items():
            key = semantic_key(prop)
            if key and key in by_semantic:
                merged = by_semantic[key]
                _complete(properties[merged], prop)
            else:
                merged = own if own not in properties else f"{own}_{item_id}"
                properties[merged] = dict(prop)
                fresh.append(merged)
                if key:
                    by_semantic[key] = merged
            renamed[own] = merged
            sources.setdefault(merged, []).append((item_id, own))
        for own in (form.schema or {}).get("required") or []:
            merged = renamed.get(own)
            if merged and merged not in required:
                required.append(merged)
        layout = form.layout or {}
        for own, cond in (layout.get("conditions") or {}).items():
            if own in renamed and renamed[own] in fresh and cond.get("field") in renamed:
                conditions[renamed[own]] = {**cond, "field": renamed[cond["field"]]}
        placed: set[str] = set()
        name = (titles or {}).get(item_id) or getattr(form.item, "name", "")
        for section in layout.get("sections") or []:
            own_fields = [
                renamed[f] for f in section.get("fields") or [] if f in renamed and renamed[f] in fresh
            ]
            placed.update(own_fields)
            if not own_fields:
                continue
            title = section.get("title") or ""
            if index and name:
                title = f"{name}：{title}" if title else name
            sections.append({**section, "title": title, "fields": own_fields})
        rest = [f for f in fresh if f not in placed]
        if rest:
            sections.append({"title": name or "", "fields": rest})
    schema = {"type": "object", "properties": properties, "required": required}
    merged_layout: dict[str, Any] = {"sections": sections}
    if conditions:
        merged_layout["conditions"] = conditions
    return MergedForm(schema=schema, layout=merged_layout, sources=sources, form_ids=form_ids)


def _complete(first: dict, later: dict) -> None:
    """A shared field keeps the first form's definition; a prefill source is taken if it has none."""
    if "x-prefill" not in first and later.get("x-prefill"):
        first["x-prefill"] = later["x-prefill"]
