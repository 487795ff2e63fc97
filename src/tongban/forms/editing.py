"""Changes the form editor makes to a definition, as pure functions on (schema, layout).

Each function returns new dicts and raises ``InvalidInput`` with a Chinese message when the
change would leave the form inconsistent. The result is still plain versioned JSON Schema plus
layout (see ``schema``): every field sits in one layout section, and a field's display condition
(``layout.conditions``) names a single-choice field placed before it.
"""

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tongban.core.errors import InvalidInput

from .schema import SIMPLE_WIDGETS, WIDGET_TYPES, WIDGETS

FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Widgets an admin can add in the editor (repeating rows are kept, but edited as a whole).
EDITOR_WIDGETS = (*SIMPLE_WIDGETS, "address", "file")
TEXT_WIDGETS = {"text", "textarea"}
OPTION_WIDGETS = {"choice", "multichoice"}
# Keys of a property the editor manages; any other key (x-prefill, …) is kept as it was.
MANAGED_KEYS = {
    "type",
    "x-widget",
    "title",
    "description",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "enum",
    "items",
    "properties",
}
DEFAULT_SECTION = "申请信息"


@dataclass
class FieldSpec:
    """What the editor's field form says about one field."""

    title: str
    widget: str
    name: str = ""
    required: bool = False
    help: str = ""
    options: list[str] = field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    section: str = ""
    condition_field: str = ""
    condition_value: str = ""


def normalized(schema: dict, layout: dict | None) -> tuple[dict, dict]:
    """Deep copies in which every defined field sits in exactly one section, in display order."""
    schema = copy.deepcopy(schema or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    layout = copy.deepcopy(layout or {})
    props = schema["properties"]
    seen: set[str] = set()
    sections = []
    for section in layout.get("sections") or []:
        names = [n for n in section.get("fields", []) if n in props and n not in seen]
        seen.update(names)
        if names:
            sections.append({**section, "fields": names})
    rest = [n for n in props if n not in seen]
    if rest:
        title = "其他信息" if sections else DEFAULT_SECTION
        sections.append({"title": title, "fields": rest})
    layout["sections"] = sections
    conditions = {n: c for n, c in (layout.get("conditions") or {}).items() if n in props}
    if conditions:
        layout["conditions"] = conditions
    else:
        layout.pop("conditions", None)
    return schema, layout


def order_of(layout: dict) -> list[str]:
    return [n for section in layout.get("sections") or [] for n in section.get("fields", [])]


def spec_of(schema: dict, layout: dict, name: str) -> FieldSpec:
    """The editor's view of an existing field."""
    prop = (schema.get("properties") or {}).get(name)
    if prop is None:
        raise InvalidInput("表单中没有这个字段。", field="name")
    section = next((s["title"] for s in layout.get("sections") or [] if name in s.get("fields", [])), "")
    condition = (layout.get("conditions") or {}).get(name) or {}
    widget = prop.get("x-widget", "text")
    options = prop.get("enum") or (prop.get("items") or {}).get("enum") or []
    return FieldSpec(
        name=name,
        title=prop.get("title", name),
        widget=widget,
        required=name in (schema.get("required") or []),
        help=prop.get("description", ""),
        options=[str(o) for o in options] if widget in OPTION_WIDGETS else [],
        min_length=prop.get("minLength"),
        max_length=prop.get("maxLength"),
        pattern=prop.get("pattern", ""),
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        section=section,
        condition_field=condition.get("field", ""),
        condition_value=str(condition.get("equals", "")) if condition else "",
    )


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _property(spec: FieldSpec, old: dict | None) -> dict:
    widget = spec.widget
    prop = {k: v for k, v in (old or {}).items() if k not in MANAGED_KEYS}
    prop.update({"type": WIDGET_TYPES[widget], "x-widget": widget, "title": spec.title.strip()})
    if spec.help.strip():
        prop["description"] = spec.help.strip()
    if widget in TEXT_WIDGETS:
        if spec.min_length is not None and spec.min_length > 0:
            prop["minLength"] = spec.min_length
        if spec.max_length is not None:
            prop["maxLength"] = spec.max_length
        if spec.pattern and widget == "text":
            prop["pattern"] = spec.pattern
    if widget == "number":
        if spec.minimum is not None:
            prop["minimum"] = _number(spec.minimum)
        if spec.maximum is not None:
            prop["maximum"] = _number(spec.maximum)
    if widget == "choice":
        prop["enum"] = spec.options
    if widget == "multichoice":
        prop["items"] = {"type": "string", "enum": spec.options}
    if widget == "address":
        prop["properties"] = {"region": {"type": "string"}, "detail": {"type": "string"}}
    return prop


def _check_spec(spec: FieldSpec) -> None:
    if not spec.title.strip():
        raise InvalidInput("请填写字段名称。", field="title")
    if spec.widget not in WIDGETS or spec.widget == "rows":
        raise InvalidInput(
            f"请选择控件类型（{'、'.join(WIDGETS[w] for w in EDITOR_WIDGETS)}）。", field="widget"
        )
    if spec.widget in OPTION_WIDGETS:
        if len(spec.options) < 2:
            raise InvalidInput("单选或多选字段至少需要两个选项（每行一个）。", field="options")
        if len(set(spec.options)) != len(spec.options):
            raise InvalidInput("选项不能重复。", field="options")
    if spec.min_length is not None and spec.max_length is not None and spec.min_length > spec.max_length:
        raise InvalidInput("“最少字数”不能大于“最多字数”。", field="min_length")
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        raise InvalidInput("“最小值”不能大于“最大值”。", field="minimum")
    if spec.pattern:
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            raise InvalidInput("“格式（正则表达式）”写得不正确。", field="pattern") from exc


def _new_key(props: dict) -> str:
    number = len(props) + 1
    while f"field_{number}" in props:
        number += 1
    return f"field_{number}"


def put_field(
    schema: dict, layout: dict | None, spec: FieldSpec, original: str | None = None
) -> tuple[dict, dict]:
    """Add a field (``original`` None) or change one; returns the new (schema, layout)."""
    _check_spec(spec)
    schema, layout = normalized(schema, layout)
    props = schema["properties"]
    if original is not None and original not in props:
        raise InvalidInput("表单中没有这个字段。", field="name")
    name = (spec.name or "").strip() or (original or _new_key(props))
    if not FIELD_KEY_RE.match(name):
        raise InvalidInput("字段标识只能用小写英文字母、数字和下划线，并以字母开头。", field="name")
    if name != original and name in props:
        raise InvalidInput(f"已有标识为“{name}”的字段。", field="name")
    old = props.get(original) if original else None
    if original and name != original:
        if any(c.get("field") == original for c in (layout.get("conditions") or {}).values()):
            raise InvalidInput("其他字段的显示条件引用了这个字段，不能修改它的标识。", field="name")
    new_props = {}
    for key, value in props.items():
        new_props[name if key == original else key] = value
    new_props[name] = _property(spec, old)
    schema["properties"] = new_props
    required = [n for n in schema.get("required") or [] if n not in {name, original}]
    if spec.required:
        required.append(name)
    schema["required"] = required
    # Section: keep the place in its section; a new section goes to the end.
    target = (spec.section or "").strip()
    sections = layout["sections"]
    current = next((s for s in sections if original in s["fields"]), None) if original else None
    if current is not None:
        current["fields"] = [name if n == original else n for n in current["fields"]]
    if target and (current is None or current["title"] != target):
        if current is not None:
            current["fields"].remove(name)
        destination = next((s for s in sections if s["title"] == target), None)
        if destination is None:
            destination = {"title": target, "fields": []}
            sections.append(destination)
        destination["fields"].append(name)
    elif current is None:
        if not sections:
            sections.append({"title": target or DEFAULT_SECTION, "fields": []})
        sections[-1]["fields"].append(name)
    layout["sections"] = [s for s in sections if s["fields"]]
    conditions = {k: v for k, v in (layout.get("conditions") or {}).items() if k not in {name, original}}
    if spec.condition_field:
        conditions[name] = {"field": spec.condition_field, "equals": spec.condition_value}
    layout["conditions"] = conditions
    return _checked(schema, layout)


def remove_field(schema: dict, layout: dict | None, name: str) -> tuple[dict, dict]:
    schema, layout = normalized(schema, layout)
    if name not in schema["properties"]:
        raise InvalidInput("表单中没有这个字段。", field="name")
    users = [n for n, c in (layout.get("conditions") or {}).items() if c.get("field") == name]
    if users:
        titles = "、".join(schema["properties"][n].get("title", n) for n in users)
        raise InvalidInput(f"字段“{titles}”的显示条件引用了这个字段，请先修改那些条件。", field="name")
    if len(schema["properties"]) == 1:
        raise InvalidInput("表单至少需要一个字段。", field="name")
    del schema["properties"][name]
    schema["required"] = [n for n in schema.get("required") or [] if n != name]
    for section in layout["sections"]:
        section["fields"] = [n for n in section["fields"] if n != name]
    layout["sections"] = [s for s in layout["sections"] if s["fields"]]
    layout.get("conditions", {}).pop(name, None)
    return _checked(schema, layout)


def move_field(schema: dict, layout: dict | None, name: str, direction: str) -> tuple[dict, dict]:
    """One place up or down within its section (across to the next section at either end)."""
    schema, layout = normalized(schema, layout)
    if direction not in {"up", "down"}:
        raise InvalidInput("移动方向只能是上移或下移。", field="direction")
    sections = layout["sections"]
    for index, section in enumerate(sections):
        if name not in section["fields"]:
            continue
        fields = section["fields"]
        position = fields.index(name)
        target = position - 1 if direction == "up" else position + 1
        if 0 <= target < len(fields):
            fields[position], fields[target] = fields[target], fields[position]
        elif direction == "up" and index > 0:
            fields.remove(name)
            sections[index - 1]["fields"].append(name)
        elif direction == "down" and index < len(sections) - 1:
            fields.remove(name)
            sections[index + 1]["fields"].insert(0, name)
        layout["sections"] = [s for s in sections if s["fields"]]
        return _checked(schema, layout)
    raise InvalidInput("表单中没有这个字段。", field="name")


def reorder(schema: dict, layout: dict | None, sections: list[list[str]]) -> tuple[dict, dict]:
    """Drag-and-drop: the fields of each section in their new order (the same fields, moved)."""
    schema, layout = normalized(schema, layout)
    current = layout["sections"]
    flat = [n for names in sections for n in names]
    if len(sections) != len(current) or sorted(flat) != sorted(order_of(layout)):
        raise InvalidInput("表单已被修改，请刷新页面后再排序。", field="order")
    for section, names in zip(current, sections, strict=True):
        section["fields"] = list(names)
    layout["sections"] = [s for s in current if s["fields"]]
    return _checked(schema, layout)


def problems(schema: dict, layout: dict) -> list[str]:
    """Conditions the editor can keep honest: a choice field, one of its options, placed before."""
    props = schema.get("properties") or {}
    order = order_of(layout)
    errors = []
    for name, condition in (layout.get("conditions") or {}).items():
        title = (props.get(name) or {}).get("title", name)
        controller = props.get(condition.get("field")) or {}
        if controller.get("x-widget") != "choice":
            errors.append(f"字段“{title}”的显示条件只能依据单选字段。")
            continue
        if condition.get("equals") not in (controller.get("enum") or []):
            errors.append(f"字段“{title}”的显示条件所选的值不在“{controller.get('title')}”的选项中。")
        if condition["field"] == name:
            errors.append(f"字段“{title}”的显示条件不能依据它自己。")
        elif (
            name in order
            and condition["field"] in order
            and order.index(condition["field"]) > order.index(name)
        ):
            errors.append(f"字段“{title}”必须排在它的条件字段“{controller.get('title')}”之后。")
        if condition["field"] in layout.get("conditions", {}):
            errors.append(f"字段“{controller.get('title')}”本身有显示条件，不能再作为其他字段的条件。")
    return errors


def _checked(schema: dict, layout: dict) -> tuple[dict, dict]:
    if not layout.get("conditions"):
        layout.pop("conditions", None)
    errors = problems(schema, layout)
    if errors:
        raise InvalidInput("；".join(errors), field="condition")
    return schema, layout


def condition_choices(schema: dict, layout: dict, exclude: str | None = None) -> list[tuple[str, str]]:
    """Every (field, value) a condition may name, as form choices "field:index"."""
    conditions = layout.get("conditions") or {}
    choices = []
    for name, prop in (schema.get("properties") or {}).items():
        if name == exclude or prop.get("x-widget") != "choice" or name in conditions:
            continue
        for index, value in enumerate(prop.get("enum") or []):
            choices.append((f"{name}:{index}", f"当“{prop.get('title', name)}”为“{value}”时"))
    return choices


def parse_condition(schema: dict, value: str) -> tuple[str, str]:
    """ "field:index" from the form back to (field, option value); "" means always shown."""
    if not value:
        return "", ""
    name, _, index = value.rpartition(":")
    prop = (schema.get("properties") or {}).get(name) or {}
    options = prop.get("enum") or []
    if not index.isdigit() or int(index) >= len(options):
        raise InvalidInput("所选的显示条件无效。", field="condition")
    return name, options[int(index)]


def condition_value(schema: dict, spec: FieldSpec) -> str:
    if not spec.condition_field:
        return ""
    options = ((schema.get("properties") or {}).get(spec.condition_field) or {}).get("enum") or []
    if spec.condition_value in options:
        return f"{spec.condition_field}:{options.index(spec.condition_value)}"
    return ""


def describe(prop: dict) -> list[str]:
    """Short Chinese notes on a field's rules, for the editor's list."""
    notes = [WIDGETS.get(prop.get("x-widget"), prop.get("x-widget", ""))]
    if "minLength" in prop:
        notes.append(f"至少 {prop['minLength']} 字")
    if "maxLength" in prop:
        notes.append(f"最多 {prop['maxLength']} 字")
    if "pattern" in prop:
        notes.append("格式限制")
    if "minimum" in prop:
        notes.append(f"不小于 {prop['minimum']}")
    if "maximum" in prop:
        notes.append(f"不大于 {prop['maximum']}")
    options = prop.get("enum") or (prop.get("items") or {}).get("enum")
    if options:
        notes.append("选项：" + "／".join(str(o) for o in options))
    if prop.get("x-prefill"):
        notes.append("自动填写")
    return notes


def spec_from(data: dict[str, Any]) -> FieldSpec:
    """A ``FieldSpec`` from the cleaned editor form."""
    options = [line.strip() for line in (data.get("options") or "").splitlines() if line.strip()]
    return FieldSpec(
        name=(data.get("name") or "").strip(),
        title=(data.get("title") or "").strip(),
        widget=data.get("widget") or "",
        required=bool(data.get("required")),
        help=(data.get("help") or "").strip(),
        options=options,
        min_length=data.get("min_length"),
        max_length=data.get("max_length"),
        pattern=(data.get("pattern") or "").strip(),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        section=(data.get("section") or "").strip(),
    )
