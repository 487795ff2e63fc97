"""Writes to the base registries: CSV import and the records the demo generator produces.

Imports are all-or-nothing: one bad row (invalid checksum, unknown region, an ID number whose
birth date disagrees with the row) aborts the file with every error listed by line number.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tongban.core.errors import InvalidInput
from tongban.regions.codes import RegionCodeError, normalize_region_code
from tongban.regions.models import Region

from .models import EnterpriseRecord, PopulationRecord
from .validators import id_number_error, normalize_id_number, normalize_uscc, parse_id_number, uscc_error

PEOPLE_COLUMNS = ("name", "id_number", "sex", "birth_date", "ethnicity", "address", "region_code", "status")
ENTERPRISE_COLUMNS = (
    "name",
    "uscc",
    "legal_rep_name",
    "legal_rep_id_number",
    "kind",
    "address",
    "region_code",
    "established_on",
    "status",
)

SEX_WORDS = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


class ImportFailed(InvalidInput):
    code = "import_failed"

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"导入失败，共 {len(errors)} 处错误：\n" + "\n".join(errors[:50]))


def _region(code: str, cache: dict[str, Region | None]) -> Region | None:
    try:
        code = normalize_region_code(code)
    except RegionCodeError:
        return None
    if code not in cache:
        cache[code] = Region.objects.filter(code=code).first()
    return cache[code]


def _date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _choice(value: str, choices: Any, default: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return default
    for key, label in choices.choices:
        if value in (key, str(label)):
            return key
    return None


def read_csv_rows(source: str | bytes | io.TextIOBase) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV (a BOM from spreadsheet programs is accepted) as dicts."""
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig")
    if isinstance(source, str):
        source = io.StringIO(source.removeprefix("\ufeff"))
    reader = csv.DictReader(source)
    return [{(k or "").strip().lstrip("\ufeff"): (v or "").strip() for k, v in row.items()} for row in reader]


def _person_from_row(
    row: dict[str, str], line: int, regions: dict
) -> tuple[dict[str, Any] | None, list[str]]:
    errors: list[str] = []
    name = row.get("name", "")
    if not name:
        errors.append(f"第 {line} 行：姓名不能为空。")
    error = id_number_error(row.get("id_number"))
    if error:
        return None, [*errors, f"第 {line} 行：{error}"]
    facts = parse_id_number(row["id_number"])
    sex = SEX_WORDS.get(row.get("sex", "") or facts.sex)
    if sex is None:
        errors.append(f"第 {line} 行：性别应为 男/女。")
    elif sex != facts.sex:
        errors.append(f"第 {line} 行：性别与身份证号码不一致。")
    try:
        birth = _date(row.get("birth_date", "")) or facts.birth_date
    except ValueError:
        errors.append(f"第 {line} 行：出生日期格式应为 YYYY-MM-DD。")
        birth = facts.birth_date
    if birth != facts.birth_date:
        errors.append(f"第 {line} 行：出生日期与身份证号码不一致。")
    region = _region(row.get("region_code") or facts.region_code, regions)
    if region is None:
        errors.append(f"第 {line} 行：户籍地区划代码“{row.get('region_code') or facts.region_code}”不存在。")
    status = _choice(row.get("status", ""), PopulationRecord.Status, PopulationRecord.Status.ALIVE)
    if status is None:
        errors.append(f"第 {line} 行：状态应为 alive/deceased/migrated（正常/已死亡/已迁出）。")
    if errors:
        return None, errors
    return {
        "name": name[:50],
        "id_number": facts.number,
        "sex": sex,
        "birth_date": facts.birth_date,
        "ethnicity": row.get("ethnicity", "")[:20],
        "address": row.get("address", "")[:200],
        "region": region,
        "status": status,
    }, []


def _enterprise_from_row(
    row: dict[str, str], line: int, regions: dict
) -> tuple[dict[str, Any] | None, list[str]]:
    errors: list[str] = []
    for column, label in (("name", "名称"), ("legal_rep_name", "法定代表人")):
        if not row.get(column):
            errors.append(f"第 {line} 行：{label}不能为空。")
    error = uscc_error(row.get("uscc"))
    if error:
        errors.append(f"第 {line} 行：{error}")
    error = id_number_error(row.get("legal_rep_id_number"))
    if error:
        errors.append(f"第 {line} 行：法定代表人{error}")
    code = row.get("region_code") or normalize_uscc(row.get("uscc"))[2:8]
    region = _region(code, regions)
    if region is None:
        errors.append(f"第 {line} 行：登记区划代码“{code}”不存在。")
    kind = _choice(row.get("kind", ""), EnterpriseRecord.Kind, EnterpriseRecord.Kind.LIMITED)
    if kind is None:
        errors.append(f"第 {line} 行：企业类型“{row.get('kind')}”无法识别。")
    status = _choice(row.get("status", ""), EnterpriseRecord.Status, EnterpriseRecord.Status.ACTIVE)
    if status is None:
        errors.append(f"第 {line} 行：登记状态应为 active/revoked/cancelled（存续/吊销/注销）。")
    try:
        established = _date(row.get("established_on", ""))
    except ValueError:
        errors.append(f"第 {line} 行：成立日期格式应为 YYYY-MM-DD。")
        established = None
    if errors:
        return None, errors
    return {
        "name": row["name"][:200],
        "uscc": normalize_uscc(row["uscc"]),
        "legal_rep_name": row["legal_rep_name"][:50],
        "legal_rep_id_number": normalize_id_number(row["legal_rep_id_number"]),
        "kind": kind,
        "address": row.get("address", "")[:200],
        "region": region,
        "established_on": established,
        "status": status,
    }, []


def _upsert(model: type, key: str, rows: list[dict[str, Any]], report: ImportReport) -> None:
    existing = {
        getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]})
    }
    new = []
    for values in rows:
        obj = existing.get(values[key])
        if obj is None:
            new.append(model(**values))
            continue
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if changed:
            obj.save()
            report.updated += 1
    model.objects.bulk_create(new, batch_size=500)
    report.created += len(new)


def _import(rows: Iterable[dict[str, str]], parse: Any, model: type, key: str) -> ImportReport:
    report = ImportReport()
    regions: dict[str, Region | None] = {}
    seen: dict[str, int] = {}
    valid = []
    for line, row in enumerate(rows, start=2):
        values, errors = parse(row, line, regions)
        if values is not None and values[key] in seen:
            errors = [f"第 {line} 行：与第 {seen[values[key]]} 行重复。"]
            values = None
        report.errors.extend(errors)
        if values is not None:
            seen[values[key]] = line
            valid.append(values)
    if report.errors:
        raise ImportFailed(report.errors)
    with transaction.atomic():
        _upsert(model, key, valid, report)
    return report


def import_people(rows: Iterable[dict[str, str]]) -> ImportReport:
    """Create or update population records keyed by ID number (system task: CLI, demo)."""
    return _import(rows, _person_from_row, PopulationRecord, "id_number")


def import_enterprises(rows: Iterable[dict[str, str]]) -> ImportReport:
    """Create or update enterprise records keyed by USCC (system task: CLI, demo)."""
    return _import(rows, _enterprise_from_row, EnterpriseRecord, "uscc")
