"""Django forms for the pages of applying: one step of a form definition, a correction answer.

A ``FormDefinition`` is JSON Schema plus layout; ``SectionForm`` turns the fields of one layout
section into Django form fields (composite widgets — an address with its province → city →
county chain, repeating rows — become several plain fields) and turns the POST back into the
JSON the schema expects. Fields are never ``required`` here: completeness and format are
checked by ``tongban.forms.schema.validate_data`` (Chinese messages, one source of truth), and
its errors are put back on the fields with ``add_schema_errors``. Everything works without
JavaScript: the region chain refreshes and rows are added or removed by submit buttons.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _

from tongban.catalog import materials as catalog_materials
from tongban.core.masking import mask_id_number, mask_mobile
from tongban.core.types import User
from tongban.forms.schema import SIMPLE_WIDGETS, visible_fields
from tongban.regions.codes import RegionCodeError, ancestor_codes, normalize_region_code
from tongban.regions.models import Region
from tongban.regions.selectors import children_of, region_by_code, region_code_exists

ADDRESS_LEVELS = ("province", "city", "county")
# x-prefill sources read from the base registries when applying starts: filled in, still editable
# (a contact address may differ from the registered one). Account values are fixed instead
# (cases.services._prefill).
REGISTRY_DEFAULTS = {"person.address", "enterprise.address"}
SEP = "__"


def is_application_form(material: Any) -> bool:
    """Whether a material requirement is the application form that the online form replaces
    (the catalogue's one rule, so the single and the joint flows agree)."""
    return catalog_materials.is_application_form(material.name)


def materials_to_upload(materials: list, channel: str) -> list:
    """The materials an applicant uploads: online the application form is not one of them (it
    is the form they fill in); at the window and on paper it stays, to be printed and signed."""
    from tongban.catalog.models import Channel

    if channel == Channel.WINDOW:
        return list(materials)
    return [m for m in materials if not is_application_form(m)]


def registry_defaults(
    schema: dict, applicant: User, enterprise: Any, *, accessor: User, purpose: str, department: Any = None
) -> dict:
    """Values of ``x-prefill: person.address / enterprise.address`` fields from the registries,
    so nothing the registries hold is asked again (国务院令第716号 第7条). Each registry read is
    logged with its purpose, as every read of a person's or enterprise's data is."""
    from tongban.registries.selectors import read_enterprise, read_person, registered_address

    wanted = {
        name: prop.get("x-prefill")
        for name, prop in (schema.get("properties") or {}).items()
        if prop.get("x-widget") == "address" and prop.get("x-prefill") in REGISTRY_DEFAULTS
    }
    sources: dict[str, dict | None] = {}
    if "person.address" in wanted.values() and getattr(applicant, "id_number", ""):
        record = read_person(applicant.id_number, accessor=accessor, purpose=purpose, department=department)
        sources["person.address"] = registered_address(record)
    if "enterprise.address" in wanted.values() and enterprise is not None:
        record = read_enterprise(enterprise.uscc, accessor=accessor, purpose=purpose, department=department)
        sources["enterprise.address"] = registered_address(record)
    return {name: sources[source] for name, source in wanted.items() if sources.get(source)}


@dataclass
class Step:
    """One page of the form: a layout section."""

    index: int
    title: str
    help: str
    fields: list[str]


def steps_of(schema: dict, layout: dict | None, fallback_title: str = "") -> list[Step]:
    """Layout sections in order; defined fields no section mentions go on a last page."""
    props = schema.get("properties") or {}
    steps: list[Step] = []
    seen: set[str] = set()
    for section in (layout or {}).get("sections") or []:
        names = [n for n in section.get("fields", []) if n in props and n not in seen]
        if not names:
            continue
        seen.update(names)
        steps.append(Step(len(steps), section.get("title") or _("申请信息"), section.get("help", ""), names))
    rest = [n for n in props if n not in seen]
    if rest:
        title = _("其他信息") if steps else (fallback_title or _("申请信息"))
        steps.append(Step(len(steps), title, "", rest))
    return steps


def step_of_field(steps: list[Step], name: str) -> int:
    for step in steps:
        if name in step.fields:
            return step.index
    return 0


@dataclass
class Entry:
    """What a template renders for one schema field of a step."""

    name: str
    kind: str  # simple, prefilled, address, rows, file
    title: str
    help: str = ""
    required: bool = False
    condition: str = ""
    display: str = ""
    widget: str = ""
    errors: list[str] = field(default_factory=list)
    subfields: list[Any] = field(default_factory=list)  # address: bound fields; rows: list of rows
    row_titles: list[str] = field(default_factory=list)
    current_file: Any = None
    bound: Any = None  # the Django bound field of a simple or file widget
    count_field: Any = None  # rows: the hidden row count

    @property
    def dom_id(self) -> str:
        return f"id_{self.name}"

    @property
    def uses_fieldset(self) -> bool:
        return self.kind in {"address", "rows"} or self.widget in {"multichoice", "choice_radio"}


def _choices(values: list, blank: bool) -> list[tuple[str, str]]:
    options = [(str(v), str(v)) for v in values]
    return [("", _("请选择"))] + options if blank else options


def _django_field(prop: dict, title: str) -> forms.Field:
    widget = prop.get("x-widget")
    attrs: dict[str, Any] = {}
    if prop.get("maxLength"):
        attrs["maxlength"] = prop["maxLength"]
    if widget == "textarea":
        return forms.CharField(
            label=title,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4, **attrs}),
        )
    if widget == "number":
        return forms.CharField(
            label=title,
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
    if widget == "date":
        return forms.CharField(label=title, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if widget == "choice":
        values = prop.get("enum") or []
        if len(values) <= 5:
            return forms.CharField(
                label=title,
                required=False,
                widget=forms.RadioSelect(choices=_choices(values, False)),
            )
        return forms.CharField(
            label=title,
            required=False,
            widget=forms.Select(choices=_choices(values, True)),
        )
    if widget == "multichoice":
        values = (prop.get("items") or {}).get("enum") or []
        return forms.MultipleChoiceField(
            label=title,
            required=False,
            choices=_choices(values, False),
            widget=forms.CheckboxSelectMultiple,
        )
    if widget == "id_number":
        attrs.update({"autocomplete": "off", "maxlength": 18, "spellcheck": "false"})
    elif widget == "uscc":
        attrs.update({"autocomplete": "off", "maxlength": 18, "spellcheck": "false"})
    elif widget == "mobile":
        attrs.update({"autocomplete": "tel-national", "inputmode": "tel", "maxlength": 11})
        return forms.CharField(
            label=title,
            required=False,
            widget=forms.TextInput(attrs={"type": "tel", **attrs}),
        )
    return forms.CharField(label=title, required=False, widget=forms.TextInput(attrs=attrs))


def _initial_simple(prop: dict, value: Any) -> Any:
    if value is None:
        return [] if prop.get("x-widget") == "multichoice" else ""
    if prop.get("x-widget") == "number" and isinstance(value, (int, float)):
        return str(value)
    return value


def _json_simple(prop: dict, raw: Any) -> Any:
    """POST text → the JSON value; an unparsable number stays text so the schema reports it."""
    widget = prop.get("x-widget")
    if widget == "multichoice":
        return [str(v) for v in raw or []]
    text = (raw or "").strip() if isinstance(raw, str) else raw
    if widget == "number" and text:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        return int(number) if number == number.to_integral_value() else float(number)
    if widget in {"id_number", "uscc"} and isinstance(text, str):
        return text.upper().replace(" ", "")
    if widget == "mobile" and isinstance(text, str):
        return text.replace(" ", "").replace("-", "")
    return text


def _region_levels(code: str | None) -> dict[str, str]:
    """{"province": "51", "city": "5116", "county": "511602"} for a stored region code."""
    try:
        codes = ancestor_codes(normalize_region_code(code)) if code else []
    except (RegionCodeError, KeyError, ValueError):
        codes = []
    return {level: codes[i] for i, level in enumerate(ADDRESS_LEVELS) if i < len(codes)}


def region_label(code: str | None) -> str:
    region = region_by_code(code) if code else None
    if region is None:
        return code or ""
    return region.full_name or region.name


class SectionForm(forms.Form):
    """The fields ``names`` of a definition, bound to a POST or initialised from saved JSON.

    ``prefilled`` fields are shown, not editable. ``post`` may carry the no-JavaScript
    actions ``add_row=<field>``, ``remove_row=<field>:<index>`` and ``refresh_region``.
    """

    def __init__(
        self,
        *,
        schema: dict,
        layout: dict | None,
        names: list[str],
        saved: dict,
        prefilled: set[str] | frozenset[str] = frozenset(),
        post: QueryDict | None = None,
        files: Any = None,
        attachments: dict[str, Any] | None = None,
        show_all: bool = False,
        htmx_url: str = "",
    ):
        self.schema, self.layout = schema, layout or {}
        self.props = schema.get("properties") or {}
        self.saved = saved or {}
        self.prefilled = set(prefilled)
        self.attachments = attachments or {}
        self.htmx_url = htmx_url
        post = self._row_changes(post, names) if post is not None else None
        super().__init__(data=post, files=files)
        conditions = self.layout.get("conditions") or {}
        required = set(schema.get("required") or [])
        current = {**self.saved, **self._posted_controllers(post, names)}
        visible = visible_fields(schema, self.layout, current)
        self.entries: list[Entry] = []
        for name in names:
            prop = self.props.get(name) or {}
            condition = conditions.get(name)
            same_section = condition is not None and condition.get("field") in names
            if name not in visible and not (same_section or show_all):
                continue
            title = prop.get("title", name)
            entry = Entry(
                name=name,
                kind="simple",
                title=title,
                help=prop.get("description") or prop.get("x-help") or "",
                required=name in required,
                widget=prop.get("x-widget", "text"),
            )
            if condition is not None:
                controller = (self.props.get(condition["field"]) or {}).get("title", condition["field"])
                entry.condition = _("仅当“%(field)s”为“%(value)s”时填写") % {
                    "field": controller,
                    "value": condition["equals"],
                }
            if name in self.prefilled:
                entry.kind = "prefilled"
                entry.display = _masked(entry.widget, self.saved.get(name, ""))
            elif entry.widget in SIMPLE_WIDGETS:
                self.fields[name] = _django_field(prop, title)
                self.initial[name] = _initial_simple(prop, self.saved.get(name))
                if entry.help:
                    self.fields[name].widget.attrs["aria-describedby"] = f"hint-{name}"
                if entry.widget == "choice" and len(prop.get("enum") or []) <= 5:
                    entry.widget = "choice_radio"
                entry.bound = self[name]
            elif entry.widget == "address":
                entry.kind = "address"
                if prop.get("x-prefill") in REGISTRY_DEFAULTS and self.saved.get(name):
                    entry.help = entry.help or _("已按登记信息预先填写；如联系地址不同，可以修改。")
                self._add_address(entry, post)
            elif entry.widget == "rows":
                entry.kind = "rows"
                self._add_rows(entry, prop, post)
            elif entry.widget == "file":
                entry.kind = "file"
                self.fields[name] = forms.FileField(
                    label=title,
                    required=False,
                    widget=forms.FileInput(
                        attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
                    ),
                )
                entry.current_file = self.attachments.get(str(self.saved.get(name, "")))
                entry.bound = self[name]
            self.entries.append(entry)

    # -- composite widgets

    def _posted_controllers(self, post: QueryDict | None, names: list[str]) -> dict:
        """Values of this step's fields that decide other fields' conditions (for visibility)."""
        if post is None:
            return {}
        controllers = {c.get("field") for c in (self.layout.get("conditions") or {}).values()}
        return {n: post.get(n) for n in names if n in controllers and n in post}

    def _add_address(self, entry: Entry, post: QueryDict | None) -> None:
        name = entry.name
        saved = self.saved.get(name) if isinstance(self.saved.get(name), dict) else {}
        if post is not None:
            chosen = {level: post.get(f"{name}{SEP}{level}", "") for level in ADDRESS_LEVELS}
            # A changed province empties the city and county that belonged to the old one.
            if chosen["city"] and not chosen["city"].startswith(chosen["province"] or "-"):
                chosen["city"] = chosen["county"] = ""
            if chosen["county"] and not chosen["county"].startswith(chosen["city"] or "-"):
                chosen["county"] = ""
        else:
            chosen = {level: "" for level in ADDRESS_LEVELS} | _region_levels(saved.get("region"))
        parents: dict[str, Region | None] = {"province": None}
        parents["city"] = region_by_code(chosen["province"]) if chosen["province"] else None
        parents["county"] = region_by_code(chosen["city"]) if chosen["city"] else None
        labels = {
            "province": _("省（自治区、直辖市）"),
            "city": _("市（地区、州）"),
            "county": _("县（市、区）"),
        }
        for level in ADDRESS_LEVELS:
            key = f"{name}{SEP}{level}"
            if level != "province" and parents[level] is None:
                options: list[tuple[str, str]] = []
            else:
                options = [(r.code, r.name) for r in children_of(parents[level]).order_by("code")]
            waiting = {"city": _("请先选择省"), "county": _("请先选择市")}.get(level, "")
            blank = _("请选择") if options or level == "province" else waiting
            attrs: dict[str, Any] = {"disabled": True} if not options and level != "province" else {}
            if self.htmx_url and level != "county":
                # Enhancement only: the "更新下级区划选项" button does the same without JavaScript.
                attrs |= {
                    "hx-post": self.htmx_url,
                    "hx-trigger": "change",
                    "hx-target": f"#entry-{name}",
                    "hx-select": f"#entry-{name}",
                    "hx-swap": "outerHTML",
                    "hx-vals": json.dumps({"refresh_region": name}),
                }
            self.fields[key] = forms.ChoiceField(
                label=labels[level],
                required=False,
                choices=[("", blank), *options],
                widget=forms.Select(attrs={**attrs, "autocomplete": "off"}),
            )
            self.initial[key] = chosen[level]
        detail = f"{name}{SEP}detail"
        self.fields[detail] = forms.CharField(
            label=_("详细地址"),
            required=False,
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "street-address",
                    "maxlength": 200,
                    "aria-describedby": f"hint-{detail}",
                }
            ),
            help_text=_("街道、门牌号、楼栋单元等"),
        )
        self.initial[detail] = saved.get("detail", "")
        entry.subfields = [self[f"{name}{SEP}{level}"] for level in (*ADDRESS_LEVELS, "detail")]

    def _row_props(self, prop: dict) -> dict:
        return (prop.get("items") or {}).get("properties") or {}

    def _row_changes(self, post: QueryDict, names: list[str]) -> QueryDict:
        """Apply the "添加一行"/"删除此行" buttons to a copy of the POST."""
        post = post.copy()
        add = post.get("add_row")
        remove = post.get("remove_row", "")
        for name in names:
            prop = self.props.get(name) or {}
            if prop.get("x-widget") != "rows" or name in self.prefilled:
                continue
            count = _int(post.get(f"{name}{SEP}count"), 0)
            subs = list(self._row_props(prop))
            if add == name:
                count += 1
            target, _sep, index = remove.partition(":")
            if target == name and index.isdigit() and int(index) < count:
                drop = int(index)
                for i in range(drop, count - 1):
                    for sub in subs:
                        post.setlist(
                            f"{name}{SEP}{i}{SEP}{sub}", post.getlist(f"{name}{SEP}{i + 1}{SEP}{sub}")
                        )
                for sub in subs:
                    post.pop(f"{name}{SEP}{count - 1}{SEP}{sub}", None)
                count -= 1
            post[f"{name}{SEP}count"] = str(count)
        return post

    def _add_rows(self, entry: Entry, prop: dict, post: QueryDict | None) -> None:
        name = entry.name
        row_props = self._row_props(prop)
        saved_rows = self.saved.get(name) if isinstance(self.saved.get(name), list) else []
        count = _int(post.get(f"{name}{SEP}count"), 0) if post is not None else max(len(saved_rows), 1)
        count = min(count, int(prop.get("maxItems") or 50))
        self.fields[f"{name}{SEP}count"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        self.initial[f"{name}{SEP}count"] = count
        if post is not None:
            self.data = self.data.copy()
            self.data[f"{name}{SEP}count"] = str(count)
        entry.count_field = self[f"{name}{SEP}count"]
        entry.row_titles = [p.get("title", s) for s, p in row_props.items()]
        entry.subfields = []
        for i in range(count):
            row = saved_rows[i] if i < len(saved_rows) and isinstance(saved_rows[i], dict) else {}
            cells = []
            for sub, sub_prop in row_props.items():
                key = f"{name}{SEP}{i}{SEP}{sub}"
                title = sub_prop.get("title", sub)
                self.fields[key] = _django_field(sub_prop, title)
                self.initial[key] = _initial_simple(sub_prop, row.get(sub))
                cells.append(self[key])
            entry.subfields.append(cells)
        entry.display = str(count)

    # -- POST → JSON

    def to_json(self) -> dict:
        """The answers of this step as the schema expects them (prefilled fields left out)."""
        raw = self.data
        result: dict[str, Any] = {}
        for entry in self.entries:
            name = entry.name
            prop = self.props.get(name) or {}
            if entry.kind == "simple":
                value = raw.getlist(name) if entry.widget == "multichoice" else raw.get(name, "")
                result[name] = _json_simple(prop, value)
            elif entry.kind == "address":
                chosen = {level: self._value(f"{name}{SEP}{level}") for level in ADDRESS_LEVELS}
                region = chosen["county"] or chosen["city"] or chosen["province"]
                detail = (raw.get(f"{name}{SEP}detail") or "").strip()
                result[name] = {"region": region, "detail": detail} if (region or detail) else None
            elif entry.kind == "rows":
                rows = []
                for i, _cells in enumerate(entry.subfields):
                    row = {}
                    for sub, sub_prop in self._row_props(prop).items():
                        value = _json_simple(sub_prop, raw.get(f"{name}{SEP}{i}{SEP}{sub}", ""))
                        if value not in ("", None, []):
                            row[sub] = value
                    if row:
                        rows.append(row)
                result[name] = rows
        return result

    def _value(self, key: str) -> str:
        """A select's value as the form shows it (after a changed province reset the city)."""
        value = self[key].value() or ""
        return value if any(value == code for code, _label in self.fields[key].choices) else ""

    def uploads(self) -> dict[str, Any]:
        """Files chosen for ``file`` widgets: {field name: uploaded file}."""
        return {e.name: self.files[e.name] for e in self.entries if e.kind == "file" and e.name in self.files}

    # -- schema errors back on the page

    def add_schema_errors(self, errors: dict[str, list[str]]) -> list[tuple[str, str]]:
        """Attach ``validate_data`` errors (keyed by path) to entries and widgets.

        Returns (anchor id, message) pairs for the error summary at the top of the page. An error
        about a field this page does not show (another step's field, or a value the platform
        filled in) is listed with an empty anchor: a refusal never comes without its reason.
        """
        summary: list[tuple[str, str]] = []
        by_name = {e.name: e for e in self.entries}
        for path, messages in errors.items():
            parts = path.split(".")
            entry = by_name.get(parts[0])
            if entry is None:
                summary.extend(("", m) for m in messages)
                continue
            if entry.kind == "prefilled":
                note = _(
                    "此项来自您的实名信息或政府部门共享的信息，不能在此修改；如有错误请联系登记部门更正。"
                )
                entry.errors.extend(m for m in messages if m not in entry.errors)
                summary.extend((f"entry-{entry.name}", f"{m}{note}") for m in messages)
                continue
            if entry.kind == "rows" and len(parts) >= 3 and parts[1].isdigit():
                keys = [f"{entry.name}{SEP}{parts[1]}{SEP}{parts[2]}"]
            elif entry.kind == "address":
                keys = self._address_problems(entry.name)
            else:
                keys = [entry.name]
            keys = [k for k in keys if k in self.fields]
            anchor = f"id_{keys[0]}" if keys else f"entry-{entry.name}"
            entry.errors.extend(m for m in messages if m not in entry.errors)
            for key in keys:
                self._mark_invalid(key, f"err-{entry.name}")
            summary.extend((anchor, m) for m in messages)
        return summary

    def _address_problems(self, name: str) -> list[str]:
        """The parts of an address its errors are about: the region chain, the detail, or both."""
        values = self.to_json().get(name) if self.is_bound else self.saved.get(name)
        values = values if isinstance(values, dict) else {}
        keys = []
        if not region_code_exists(values.get("region")):
            keys.append(f"{name}{SEP}province")
        if not str(values.get("detail", "")).strip():
            keys.append(f"{name}{SEP}detail")
        return keys or [f"{name}{SEP}province"]

    def _mark_invalid(self, key: str, described_by: str) -> None:
        attrs = self.fields[key].widget.attrs
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = " ".join(filter(None, [attrs.get("aria-describedby"), described_by]))


def _masked(widget: str, value: Any) -> str:
    """ID and mobile numbers are shown masked where the person only needs to recognise them."""
    if widget == "id_number":
        return mask_id_number(str(value))
    if widget == "mobile":
        return mask_mobile(str(value))
    return str(value)


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------- check your answers


@dataclass
class Answer:
    name: str
    title: str
    kind: str  # text, rows, file, address
    value: Any
    step: int
    missing: bool = False


@dataclass
class AnswerSection:
    step: Step
    answers: list[Answer]


def answers(
    schema: dict,
    layout: dict | None,
    data: dict,
    attachments: dict[str, Any],
    fallback_title: str = "",
    *,
    mask: bool = False,
) -> list[AnswerSection]:
    """Every visible answer by section, as people read them (option text, region names, rows)."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    visible = visible_fields(schema, layout, data)
    sections = []
    for step in steps_of(schema, layout, fallback_title):
        rows = []
        for name in step.fields:
            if name not in visible:
                continue
            prop = props.get(name) or {}
            value = data.get(name)
            answer = _answer(name, prop, value, step.index, attachments, name in required)
            if mask and answer.kind == "text" and answer.value:
                answer.value = _masked(prop.get("x-widget", ""), answer.value)
            rows.append(answer)
        sections.append(AnswerSection(step, rows))
    return sections


def _answer(name: str, prop: dict, value: Any, step: int, attachments: dict, required: bool) -> Answer:
    widget = prop.get("x-widget")
    title = prop.get("title", name)
    empty = value in (None, "", [], {})
    if widget == "rows" and isinstance(value, list):
        subs = (prop.get("items") or {}).get("properties") or {}
        table = {
            "head": [p.get("title", s) for s, p in subs.items()],
            "rows": [[_plain(row.get(s)) if isinstance(row, dict) else "" for s in subs] for row in value],
        }
        return Answer(name, title, "rows", table, step, missing=required and empty)
    if widget == "address" and isinstance(value, dict):
        text = " ".join(filter(None, [region_label(value.get("region")), str(value.get("detail", ""))]))
        return Answer(name, title, "text", text, step, missing=required and empty)
    if widget == "file":
        attachment = attachments.get(str(value)) if value else None
        return Answer(name, title, "file", attachment, step, missing=required and attachment is None)
    return Answer(name, title, "text", "" if empty else _plain(value), step, missing=required and empty)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


# ---------------------------------------------------------------- staff actions


class ReasonForm(forms.Form):
    opinion = forms.CharField(required=False, max_length=2000)


def correction_field_choices(schema: dict) -> list[tuple[str, str]]:
    """Fields a correction notice may list: every field of the form, by title."""
    return [(name, prop.get("title", name)) for name, prop in (schema.get("properties") or {}).items()]
