"""Form definitions: JSON Schema for data, layout hints for pages, Chinese validation messages.

A definition's schema is a JSON Schema object whose properties carry ``x-widget`` (one of
WIDGETS) and ``title``. Widgets add checks JSON Schema cannot express (ID number and USCC
check characters, mobile numbers, region codes). Layout: ``{"sections": [{"title", "help",
"fields": [...]}], "conditions": {"field": {"field": other, "equals": value}}}`` — a field
with a condition is shown, required and validated only while the condition holds.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tongban.registries.validators import id_number_error, uscc_error

WIDGETS = {
    "text": "单行文字",
    "textarea": "多行文字",
    "number": "数字",
    "date": "日期",
    "choice": "单选",
    "multichoice": "多选",
    "id_number": "身份证号码",
    "uscc": "统一社会信用代码",
    "mobile": "手机号码",
    "address": "地址（含区划）",
    "rows": "重复行",
    "file": "附件",
}
# Widgets whose value is one plain input (no region chain, rows or upload), in the editor's order.
SIMPLE_WIDGETS = (
    "text",
    "textarea",
    "number",
    "date",
    "choice",
    "multichoice",
    "id_number",
    "uscc",
    "mobile",
)
WIDGET_TYPES = {
    "text": "string",
    "textarea": "string",
    "number": "number",
    "date": "string",
    "choice": "string",
    "multichoice": "array",
    "id_number": "string",
    "uscc": "string",
    "mobile": "string",
    "address": "object",
    "rows": "array",
    "file": "string",
}
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class FormSchemaError(ValueError):
    """The definition itself is wrong (raised to catalogue admins when they save a form)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


@dataclass
class FormErrors:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def check_definition(schema: dict, layout: dict | None = None) -> None:
    """Validate a definition before it is stored; collects every problem."""
    errors: list[str] = []
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise FormSchemaError(["表单结构的顶层必须是 object。"])
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormSchemaError([f"表单结构不是合法的 JSON Schema：{exc.message}"]) from exc
    props = schema.get("properties") or {}
    if not props:
        errors.append("表单至少需要一个字段。")
    for name, prop in props.items():
        errors.extend(_check_property(name, prop))
    for name in schema.get("required", []):
        if name not in props:
            errors.append(f"必填字段“{name}”没有定义。")
    layout = layout or {}
    seen: set[str] = set()
    for section in layout.get("sections", []):
        for name in section.get("fields", []):
            if name not in props:
                errors.append(f"布局中的字段“{name}”没有定义。")
            seen.add(name)
    for name, cond in (layout.get("conditions") or {}).items():
        if name not in props:
            errors.append(f"条件字段“{name}”没有定义。")
        if not isinstance(cond, dict) or cond.get("field") not in props or "equals" not in cond:
            errors.append(f"字段“{name}”的显示条件应为 {{field, equals}}，且 field 已定义。")
    if errors:
        raise FormSchemaError(errors)


def _check_property(name: str, prop: dict, prefix: str = "") -> list[str]:
    label = f"{prefix}{name}"
    widget = prop.get("x-widget")
    if widget not in WIDGETS:
        return [f"字段“{label}”的控件类型 x-widget 无效（可选：{'、'.join(WIDGETS)}）。"]
    errors = []
    if not prop.get("title"):
        errors.append(f"字段“{label}”缺少标题 title。")
    if prop.get("type") != WIDGET_TYPES[widget]:
        errors.append(f"字段“{label}”的类型应为 {WIDGET_TYPES[widget]}。")
    if widget in {"choice"} and not prop.get("enum"):
        errors.append(f"单选字段“{label}”需要 enum 选项。")
    if widget == "multichoice" and not (prop.get("items") or {}).get("enum"):
        errors.append(f"多选字段“{label}”需要 items.enum 选项。")
    if widget == "rows":
        row = prop.get("items") or {}
        if row.get("type") != "object" or not row.get("properties"):
            errors.append(f"重复行字段“{label}”需要 items 为含 properties 的 object。")
        for sub, sub_prop in (row.get("properties") or {}).items():
            if sub_prop.get("x-widget") in {"rows", "file"}:
                errors.append(f"重复行“{label}”内不能再嵌套重复行或附件。")
            else:
                errors.extend(_check_property(sub, sub_prop, prefix=f"{label}."))
    return errors


def visible_fields(schema: dict, layout: dict | None, data: dict) -> set[str]:
    conditions = (layout or {}).get("conditions") or {}
    names = set((schema.get("properties") or {}).keys())
    return {
        n for n in names if n not in conditions or data.get(conditions[n]["field"]) == conditions[n]["equals"]
    }


def clean_data(schema: dict, layout: dict | None, data: dict) -> dict:
    """Keep only defined, visible fields; drop empty strings so 'required' means something."""
    visible = visible_fields(schema, layout, data)
    cleaned: dict[str, Any] = {}
    for name in visible:
        value = data.get(name)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        cleaned[name] = value
    return cleaned


def validate_data(schema: dict, layout: dict | None, data: dict, *, partial: bool = False) -> FormErrors:
    """Server-side validation with Chinese messages keyed by field path.

    ``partial`` (saving a draft) skips 'required' so applicants can save and return.
    """
    errors = FormErrors()
    props = schema.get("properties") or {}
    visible = visible_fields(schema, layout, data)
    effective = dict(schema)
    effective["required"] = [] if partial else [n for n in schema.get("required", []) if n in visible]
    effective["additionalProperties"] = False
    validator = Draft202012Validator(effective)
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            target = f"{path}.{missing}" if path else missing
            title = _title_at(props, target)
            errors.add(target, f"请填写“{title}”。")
            continue
        errors.add(path or "__all__", _message(err, _title_at(props, path)))
    for name in visible & set(data):
        _check_widget(props.get(name) or {}, data[name], name, errors)
    return errors


def _title_at(props: dict, path: str) -> str:
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    node: dict = {"properties": props}
    title = path
    for part in parts:
        node = (node.get("properties") or (node.get("items") or {}).get("properties") or {}).get(part) or {}
        title = node.get("title", part)
    return title


def _message(err: Any, title: str) -> str:
    v, value = err.validator, err.validator_value
    messages = {
        "type": f"“{title}”的格式不正确。",
        "minLength": f"“{title}”至少 {value} 个字。",
        "maxLength": f"“{title}”最多 {value} 个字。",
        "minimum": f"“{title}”不能小于 {value}。",
        "maximum": f"“{title}”不能大于 {value}。",
        "enum": f"“{title}”请从给定选项中选择。",
        "pattern": f"“{title}”的格式不正确。",
        "minItems": f"“{title}”至少需要 {value} 项。",
        "maxItems": f"“{title}”最多 {value} 项。",
        "additionalProperties": "表单中有未定义的字段。",
    }
    return messages.get(v, f"“{title}”填写不正确。")


def _check_widget(prop: dict, value: Any, path: str, errors: FormErrors) -> None:
    widget = prop.get("x-widget")
    title = prop.get("title", path)
    if widget == "id_number" and isinstance(value, str) and (reason := id_number_error(value)):
        errors.add(path, f"“{title}”不是有效的身份证号码：{reason}")
    elif widget == "uscc" and isinstance(value, str) and (reason := uscc_error(value)):
        errors.add(path, f"“{title}”不是有效的统一社会信用代码：{reason}")
    elif widget == "mobile" and isinstance(value, str) and not MOBILE_RE.match(value):
        errors.add(path, f"“{title}”应为 11 位手机号码。")
    elif widget == "date" and isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            errors.add(path, f"“{title}”应为日期，例如 2026-11-22。")
    elif widget == "address" and isinstance(value, dict):
        from tongban.regions.selectors import region_code_exists

        if not region_code_exists(value.get("region")):
            errors.add(path, f"“{title}”请选择有效的行政区划。")
        if not str(value.get("detail", "")).strip():
            errors.add(path, f"“{title}”请填写详细地址。")
    elif widget == "rows" and isinstance(value, list):
        row_props = (prop.get("items") or {}).get("properties") or {}
        for index, row in enumerate(value):
            if isinstance(row, dict):
                for sub, sub_value in row.items():
                    _check_widget(row_props.get(sub) or {}, sub_value, f"{path}.{index}.{sub}", errors)
