"""Import and export of the catalogue as CSV or XLSX (layouts described in docs/catalog-format.md).

Layout A is the county list ``department, group, name, item_code, area_code, task_type,
dept_code``. Layout B adds a column for every other element; it is a superset of A, so one
reader handles both: a column present in the file sets its field, a missing column leaves an
existing item's field alone and gives a new item a default that satisfies the cross-checks.

Import is idempotent by implementation code (``item_code`` → ``ServiceItem.code``): a row equal
to what is stored changes nothing. Bad rows are reported (row, field, message) and skipped; good
rows are written in one transaction and the search index is refreshed once at the end.
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, ServiceError
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.departments.services import get_or_create_department_for_import
from tongban.regions.codes import RegionCodeError, normalize_region_code, to_code12
from tongban.regions.models import Region

from .models import (
    Audience,
    CaseKind,
    ItemChange,
    ItemType,
    OnlineDepth,
    ServiceItem,
    ServiceObject,
    Theme,
)
from .services import (
    CHILDREN,
    GUIDE_ELEMENTS,
    Prepared,
    _check_can_manage,
    compare,
    history_actor,
    indexing,
    normalize_children,
    prepare,
    snapshot,
    write_children,
)

LAYOUT_A = ("department", "group", "name", "item_code", "area_code", "task_type", "dept_code")

# Layout B: layout A followed by every other element, in export order.
LAYOUT_B = (
    *LAYOUT_A,
    "base_code",
    "status",
    "service_objects",
    "themes",
    *GUIDE_ELEMENTS,
    "materials",
    "steps",
    "fees",
    "faqs",
)

# Chinese headers accepted as well (the names used on 实施清单 spreadsheets).
HEADER_ALIASES = {
    "实施主体": "department",
    "部门": "department",
    "分组": "group",
    "主项": "group",
    "事项名称": "name",
    "实施编码": "item_code",
    "事项编码": "item_code",
    "区划代码": "area_code",
    "事项类型": "task_type",
    "实施主体编码": "dept_code",
    "部门编码": "dept_code",
    "基本编码": "base_code",
    "状态": "status",
    "服务对象": "service_objects",
    "主题": "themes",
    "事项简介": "summary",
    "设定依据": "legal_basis",
    "受理条件": "conditions",
    "禁止性要求": "prohibited",
    "办件类型": "case_kind",
    "法定办结时限": "legal_limit",
    "法定时限单位": "legal_limit_unit",
    "承诺办结时限": "promised_limit",
    "承诺时限单位": "promised_limit_unit",
    "是否收费": "is_charged",
    "收费依据": "fee_basis",
    "办理地点": "handling_place",
    "办理时间": "handling_hours",
    "办理渠道": "channels",
    "咨询电话": "consult_phone",
    "咨询方式": "consult_channels",
    "投诉电话": "complaint_phone",
    "投诉方式": "complaint_channels",
    "到办事现场次数": "visits_required",
    "网办深度": "online_depth",
    "审批结果类型": "result_type",
    "审批结果名称": "result_name",
    "支持预约办理": "supports_appointment",
    "支持网上支付": "supports_online_payment",
    "支持物流快递": "supports_delivery",
    "关键词": "keywords",
    "申请材料": "materials",
    "办理流程": "steps",
    "收费项目": "fees",
    "常见问题": "faqs",
}


def _kind(name: str) -> str:
    """How a column's text is read, from the model field it sets."""
    model_field = ServiceItem._meta.get_field(name)
    if isinstance(model_field, models.JSONField):
        return "list"
    if isinstance(model_field, models.BooleanField):
        return "bool"
    if isinstance(model_field, models.IntegerField):
        return "int"
    return "choice" if model_field.choices else "text"


# The columns that set one element each: the elements the catalogue services take
# (``services.GUIDE_ELEMENTS``, declared once there), grouped by how their text is read.
ELEMENT_COLUMNS = ("service_objects", *GUIDE_ELEMENTS)
TEXT_COLUMNS, INT_COLUMNS, BOOL_COLUMNS, CHOICE_COLUMNS, LIST_COLUMNS = (
    tuple(name for name in ELEMENT_COLUMNS if _kind(name) == kind)
    for kind in ("text", "int", "bool", "choice", "list")
)
TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", ""}

COLUMN_LABELS = {
    "department": "实施主体",
    "group": "分组",
    "name": "事项名称",
    "item_code": "实施编码",
    "area_code": "区划代码",
    "task_type": "事项类型",
    "dept_code": "实施主体编码",
    "base_code": "基本编码",
    "status": "状态",
    "themes": "主题",
    **{v: k for k, v in HEADER_ALIASES.items() if v not in {"department", "group", "item_code", "dept_code"}},
}

_BASE_CODE = re.compile(r"^\d{3}[0-9A-Z]{9,11}$")

# Default time limits by item type: (case kind, legal, unit, promised, unit, result type).
_TYPE_DEFAULTS = {
    "01": ("2", 20, "G", 10, "G", "approval"),
    "02": ("2", 90, "Z", 60, "Z", "other"),
    "03": ("2", 30, "Z", 30, "Z", "other"),
    "04": ("2", 20, "G", 10, "G", "other"),
    "05": ("2", 20, "G", 15, "G", "other"),
    "06": ("2", 30, "Z", 30, "Z", "other"),
    "07": ("2", 20, "G", 10, "G", "proof"),
    "08": ("2", 20, "G", 20, "G", "other"),
    "09": ("2", 60, "Z", 60, "Z", "other"),
    "10": ("2", 20, "G", 10, "G", "approval"),
    "20": ("2", 10, "G", 5, "G", "other"),
}
_ENTERPRISE_WORDS = ("企业", "公司", "单位", "机构", "经营", "生产", "项目", "工程", "营业", "商", "厂", "店")
_PERSON_WORDS = (
    "个人",
    "居民",
    "公民",
    "儿童",
    "学生",
    "老年",
    "残疾",
    "婚",
    "户口",
    "户籍",
    "身份证",
    "驾驶",
)


@dataclass
class RowError:
    row: int
    field: str
    message: str
    code: str = ""

    def __str__(self) -> str:
        code = f"（{self.code}）" if self.code else ""
        return f"第 {self.row} 行{code} [{self.field}] {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    departments_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.errors)

    def summary(self) -> str:
        return (
            f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}，"
            f"错误 {len(self.errors)}（新建实施主体 {self.departments_created}）"
        )


class RowProblem(Exception):
    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# Reading files


def _decode(raw: bytes) -> str:
    """UTF-8 with or without BOM; GB18030 (a superset of GBK/GB2312) as the fallback."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(names: Iterable[Any]) -> list[str]:
    result = []
    for name in names:
        text = _cell(name).lstrip("\ufeff").strip()
        result.append(HEADER_ALIASES.get(text, text.lower()))
    return result


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row number in the file, {column: text})``; the header is row 1."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path)
        return
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    for number, values in enumerate(reader, start=1):
        if header is None:
            header = _header(values)
            continue
        if not any(v.strip() for v in values):
            continue
        yield number, {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header) if h}


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        header = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                header = _header(values)
                continue
            cells = [_cell(v) for v in values]
            if not any(cells):
                continue
            yield number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------
# Parsing one row into the data ``create_item``/``update_item`` understand


def parse_item_type(text: str) -> str:
    """National type numbering; single digits mean two (``1`` → ``01``); names are accepted too."""
    text = (text or "").strip()
    if text.isdigit():
        code = f"{int(text):02d}"
        if code in ItemType.values:
            return code
    for value, label in ItemType.choices:
        if text == str(label):
            return value
    raise RowProblem("task_type", f"“事项类型”{text or '（空）'}无效：应为国家标准编号 01–10 或 20。")


def derive_base_code(item_code: str) -> str:
    """The first segment of an implementation code when it has the shape of a base code."""
    first = (item_code or "").split("-", 1)[0].strip().upper()
    return first if _BASE_CODE.match(first) else ""


def guess_service_objects(name: str) -> list[str]:
    enterprise = any(w in name for w in _ENTERPRISE_WORDS)
    person = any(w in name for w in _PERSON_WORDS)
    if enterprise and not person:
        return [ServiceObject.ENTERPRISE.value]
    if person and not enterprise:
        return [ServiceObject.NATURAL_PERSON.value]
    return [ServiceObject.NATURAL_PERSON.value, ServiceObject.ENTERPRISE.value]


def defaults_for(item_type: str, name: str, department: Department) -> dict[str, Any]:
    """Elements a new item gets when the file does not carry them; they pass every cross-check."""
    kind, legal, legal_unit, promised, promised_unit, result = _TYPE_DEFAULTS.get(
        item_type, _TYPE_DEFAULTS["10"]
    )
    return {
        "service_objects": guess_service_objects(name),
        "case_kind": kind,
        "legal_limit": legal,
        "legal_limit_unit": legal_unit,
        "promised_limit": promised,
        "promised_limit_unit": promised_unit,
        "result_type": result,
        "channels": ["1", "2"],
        "online_depth": OnlineDepth.III,
        "visits_required": 1,
        "handling_place": department.address,
        "handling_hours": department.office_hours,
        "consult_phone": department.phone,
    }


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;；,，、|\s]+", text or "") if p.strip()]


def _parse_bool(name: str, text: str) -> bool:
    lowered = (text or "").strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise RowProblem(name, f"“{COLUMN_LABELS.get(name, name)}”应为 是/否（1/0）：{text}")


def _parse_int(name: str, text: str) -> int:
    text = (text or "").strip()
    roman = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
    if name == "online_depth" and text.upper() in roman:
        return roman[text.upper()]
    if text.isdigit():
        return int(text)
    raise RowProblem(name, f"“{COLUMN_LABELS.get(name, name)}”应为非负整数：{text or '（空）'}")


def _parse_choice(name: str, text: str) -> str:
    text = (text or "").strip()
    choices = ServiceItem._meta.get_field(name).choices
    for value, label in choices:
        if text in (value, str(label)):
            return value
    return text  # left to the model's validation, which names the field


def _parse_json_list(name: str, text: str) -> list[dict[str, Any]]:
    text = (text or "").strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowProblem(name, f"“{COLUMN_LABELS.get(name, name)}”不是有效的 JSON：{exc.msg}") from exc
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RowProblem(name, f"“{COLUMN_LABELS.get(name, name)}”应为对象数组（JSON）。")
    try:
        return normalize_children(name, value)
    except InvalidInput as exc:
        raise RowProblem(name, exc.message) from exc


class _Context:
    """Lookups shared by all rows of one import (one query per table, not per row)."""

    def __init__(self, default_region: Region | None):
        self.default_region = default_region
        self.regions: dict[str, Region] = {}
        self.departments: dict[tuple[int, str], Department] = {
            (d.region_id, d.name): d for d in Department.objects.all()
        }
        self.themes: dict[tuple[str, str], Theme] = {}
        for theme in Theme.objects.all():
            for audience in (theme.audience, str(Audience(theme.audience).label)):
                self.themes[(audience, theme.name)] = theme
                self.themes[(audience, theme.slug)] = theme
        self.departments_created = 0

    def region(self, text: str) -> Region:
        if not (text or "").strip():
            if self.default_region is None:
                raise RowProblem("area_code", "缺少“区划代码”，也未用 --region 指定区划。")
            return self.default_region
        try:
            code = normalize_region_code(text)
        except RegionCodeError as exc:
            raise RowProblem("area_code", f"“区划代码”无效：{exc}") from exc
        if self.default_region is not None and not code.startswith(self.default_region.code):
            raise RowProblem("area_code", f"“区划代码”{text}不在指定区划 {self.default_region} 之内。")
        if code not in self.regions:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise RowProblem("area_code", f"“区划代码”{text}对应的区划不存在，请先加载行政区划。")
            self.regions[code] = region
        return self.regions[code]

    def department(self, region: Region, name: str, code: str) -> Department:
        try:
            department, created = get_or_create_department_for_import(
                region, name, code, cache=self.departments
            )
        except InvalidInput as exc:
            raise RowProblem("department", exc.message) from exc
        if created:
            self.departments_created += 1
        return department

    def theme_ids(self, text: str) -> list[int]:
        ids = []
        for part in re.split(r"[;；|\n]+", text or ""):
            part = part.strip()
            if not part:
                continue
            audience, _, name = part.partition(":") if ":" in part else part.partition("：")
            theme = self.themes.get((audience.strip(), name.strip()))
            if theme is None:
                raise RowProblem(
                    "themes", f"“主题”{part}不存在（格式：person:生育收养 或 enterprise:设立变更）。"
                )
            ids.append(theme.pk)
        return sorted(set(ids))


def parse_row(values: dict[str, str], ctx: _Context) -> tuple[str, dict[str, Any], str | None]:
    """``(implementation code, data for the item, status or None)`` from one file row."""
    code = (values.get("item_code") or "").strip()
    if not code:
        raise RowProblem("item_code", "“实施编码”不能为空。")
    if len(code) > ServiceItem._meta.get_field("code").max_length:
        raise RowProblem("item_code", "“实施编码”过长。")
    data: dict[str, Any] = {}
    if "name" in values:
        data["name"] = values["name"].strip()
    if "group" in values:
        data["group"] = values["group"].strip()
    if "task_type" in values:
        data["item_type"] = parse_item_type(values["task_type"])
    region = ctx.region(values.get("area_code", ""))
    data["region"] = region
    if "department" in values:
        data["department"] = ctx.department(region, values["department"], values.get("dept_code", ""))
    if "base_code" in values:
        data["base_code"] = values["base_code"].strip()
    elif derive_base_code(code):
        data["base_code"] = derive_base_code(code)
    for name in TEXT_COLUMNS:
        if name in values:
            data[name] = values[name]
    for name in INT_COLUMNS:
        if name in values:
            data[name] = _parse_int(name, values[name])
    for name in BOOL_COLUMNS:
        if name in values:
            data[name] = _parse_bool(name, values[name])
    for name in CHOICE_COLUMNS:
        if name in values:
            data[name] = _parse_choice(name, values[name])
    for name in LIST_COLUMNS:
        if name in values:
            data[name] = _split_list(values[name])
    if "themes" in values:
        data["themes"] = ctx.theme_ids(values["themes"])
    for name in CHILDREN:
        if name in values:
            data[name] = _parse_json_list(name, values[name])
    status = None
    if values.get("status", "").strip():
        status = _parse_status(values["status"])
    return code, data, status


def _parse_status(text: str) -> str:
    text = text.strip()
    for value, label in ServiceItem.Status.choices:
        if text in (value, str(label)):
            return value
    raise RowProblem("status", f"“状态”{text}无效：应为 draft、published 或 withdrawn。")


# ---------------------------------------------------------------------------------------------
# Import


def _existing_items(codes: list[str]) -> dict[str, ServiceItem]:
    found: dict[str, ServiceItem] = {}
    children = [Prefetch(name) for name in CHILDREN]
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        qs = (
            ServiceItem.objects.filter(code__in=chunk)
            .select_related("department", "region")
            .prefetch_related("themes", *children)
        )
        found.update({item.code: item for item in qs})
    return found


def import_catalog(
    path: str | Path,
    *,
    actor: User | None = None,
    region: str | Region | None = None,
    status: str | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file of items; see the module docstring and docs/catalog-format.md.

    ``status`` (``published`` or ``draft``) sets the status of every item in the file; without it
    new items take the file's ``status`` column, else ``published``, and existing items keep theirs
    unless the file's ``status`` column says otherwise.
    """
    _check_can_manage(actor, None)
    if isinstance(region, str) and region.strip():
        try:
            region = Region.objects.get_by_code(region)
        except (Region.DoesNotExist, RegionCodeError) as exc:
            raise InvalidInput(f"区划 {region} 不存在。", field="region") from exc
    if status not in (None, ServiceItem.Status.PUBLISHED, ServiceItem.Status.DRAFT):
        raise InvalidInput("状态只能是 published 或 draft。", field="status")
    rows = list(read_rows(path))
    report = ImportReport()
    label = history_actor(actor)
    with indexing(report.item_ids), transaction.atomic():
        ctx = _Context(region or None)
        existing = _existing_items([(v.get("item_code") or "").strip() for _, v in rows])
        seen: set[str] = set()
        creates: list[Prepared] = []
        updates: list[tuple[Prepared, dict[str, Any], str]] = []
        for number, values in rows:
            try:
                code, data, row_status = parse_row(values, ctx)
                if code in seen:
                    raise RowProblem("item_code", f"“实施编码”{code}在文件中重复出现。")
                seen.add(code)
                target = status or row_status
                item = existing.get(code)
                _check_can_manage(actor, data.get("department") or (item.department if item else None))
                if item is None:
                    creates.append(_prepare_new(code, data, target or ServiceItem.Status.PUBLISHED))
                else:
                    before = snapshot(item)
                    diff = compare(before, data)
                    old_status = item.status
                    if target and target != item.status:
                        diff["status"] = {"from": item.status, "to": target}
                    if not diff:
                        report.unchanged += 1
                        continue
                    changed = {k: v for k, v in data.items() if k in diff}
                    prepared = prepare(item, changed)
                    if target:
                        item.status = target
                    updates.append((prepared, diff, old_status))
            except RowProblem as exc:
                report.errors.append(RowError(number, exc.field, exc.message))
            except ServiceError as exc:
                report.errors.append(RowError(number, exc.field or "", exc.message, exc.code))
        report.departments_created = ctx.departments_created
        _write(creates, updates, label, report)
        if report.created or report.updated:
            audit.append(
                "catalog.import",
                actor=actor,
                summary={
                    "file": Path(path).name,
                    "created": report.created,
                    "updated": report.updated,
                    "items_sha256": audit.digest(",".join(map(str, sorted(report.item_ids)))),
                },
            )
    return report


def _prepare_new(code: str, data: dict[str, Any], status: str) -> Prepared:
    if "department" not in data:
        raise RowProblem("department", "新事项必须填写“实施主体”。")
    if not data.get("name"):
        raise RowProblem("name", "“事项名称”不能为空。")
    if "item_type" not in data:
        raise RowProblem("task_type", "新事项必须填写“事项类型”。")
    full = defaults_for(data["item_type"], data["name"], data["department"])
    full.update(data)
    if full.get("case_kind") == CaseKind.INSTANT and "promised_limit" not in data:
        full["promised_limit"] = 0
    full["code"] = code
    item = ServiceItem(status=status, version=1)
    return prepare(item, full)


def _write(
    creates: list[Prepared],
    updates: list[tuple[Prepared, dict[str, Any], str]],
    label: str,
    report: ImportReport,
) -> None:
    now = timezone.now()
    history = []
    for prepared in creates:
        item = prepared.item
        if item.status == ServiceItem.Status.PUBLISHED:
            item.published_at = now
        item.save()
        history.append(
            ItemChange(item=item, actor=label, action="import", to_status=item.status, version=item.version)
        )
    _bulk_children(creates)
    for prepared, diff, old_status in updates:
        item = prepared.item
        item.version += 1
        if item.status == ServiceItem.Status.PUBLISHED and old_status != item.status:
            item.published_at = now
        item.save()
        write_children(prepared)
        history.append(
            ItemChange(
                item=item,
                actor=label,
                action="import",
                from_status=old_status,
                to_status=item.status,
                changes=diff,
                version=item.version,
            )
        )
    ItemChange.objects.bulk_create(history, batch_size=500)
    report.created = len(creates)
    report.updated = len(updates)
    report.item_ids.extend([p.item.pk for p in creates] + [p.item.pk for p, _, _ in updates])


def _bulk_children(creates: list[Prepared]) -> None:
    """Children and themes of new items in a few bulk inserts (new items have no old rows)."""
    rows: dict[type, list[Any]] = {}
    theme_links = []
    through = ServiceItem.themes.through
    for prepared in creates:
        item = prepared.item
        for name, values in prepared.children.items():
            model, _ = CHILDREN[name]
            for order, row in enumerate(values, start=1):
                obj = model(item=item, **row)
                if hasattr(obj, "order"):
                    obj.order = order
                rows.setdefault(model, []).append(obj)
        for theme_id in prepared.themes or []:
            theme_links.append(through(serviceitem_id=item.pk, theme_id=theme_id))
    for model, objs in rows.items():
        model.objects.bulk_create(objs, batch_size=500)
    through.objects.bulk_create(theme_links, batch_size=500)


# ---------------------------------------------------------------------------------------------
# Export


def _export_values(item: ServiceItem) -> list[str]:
    department = item.department
    values = {
        "department": department.name,
        "group": item.group,
        "name": item.name,
        "item_code": item.code,
        "area_code": to_code12(item.region.code),
        "task_type": item.item_type,
        "dept_code": department.uscc or department.local_code,
        "base_code": item.base_code,
        "status": item.status,
        "themes": ";".join(f"{t.audience}:{t.name}" for t in sorted(item.themes.all(), key=lambda t: t.pk)),
    }
    for name in LIST_COLUMNS:
        values[name] = ";".join(map(str, getattr(item, name) or []))
    for name in (*TEXT_COLUMNS, *INT_COLUMNS, *CHOICE_COLUMNS):
        values[name] = str(getattr(item, name))
    for name in BOOL_COLUMNS:
        values[name] = "1" if getattr(item, name) else "0"
    snap = {name: normalize_children(name, _children_rows(item, name)) for name in CHILDREN}
    for name in CHILDREN:
        values[name] = json.dumps(snap[name], ensure_ascii=False) if snap[name] else ""
    return [values[c] for c in LAYOUT_B]


def _children_rows(item: ServiceItem, name: str) -> list[dict[str, Any]]:
    _, fields = CHILDREN[name]
    return [{f: getattr(row, f) for f in fields} for row in getattr(item, name).all()]


def export_queryset(region: Region | None = None) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.select_related("department", "region").prefetch_related("themes", *CHILDREN)
    if region is not None:
        qs = qs.in_region(region)
    return qs.order_by("code")


def _text_cell(sheet: Any, value: str) -> Any:
    """Every exported value is text: a name starting with "=" must not become a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def export_catalog(path: str | Path, *, region: str | Region | None = None) -> int:
    """Write every item (of a region, if given) in layout B; ``.xlsx`` gives a workbook, else CSV."""
    if isinstance(region, str) and region.strip():
        region = Region.objects.get_by_code(region)
    path = Path(path)
    count = 0
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("items")
        sheet.append(list(LAYOUT_B))
        for item in export_queryset(region or None).iterator(chunk_size=500):
            sheet.append([_text_cell(sheet, value) for value in _export_values(item)])
            count += 1
        workbook.save(path)
        return count
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(LAYOUT_B)
        for item in export_queryset(region or None).iterator(chunk_size=500):
            writer.writerow(_export_values(item))
            count += 1
    return count
