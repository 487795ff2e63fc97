"""What a decision table may read, under fixed names (the ``known`` inputs checked on upload):

- ``表单``: the application's answers (``表单.字段名``);
- ``申请人``: the applicant's account (``年龄`` from the ID number, ``实名等级``);
- ``户籍``: the person's record in the population registry (``年龄``, ``出生日期``, ``状态``,
  ``区划``, ``性别``), read through the data-sharing service under the department's grant;
- ``今天``: the date of the decision.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tongban.core.errors import ServiceError
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.registries.models import PopulationRecord

if TYPE_CHECKING:
    from tongban.cases.models import Case

# Each name a table may read and its fields (None: any field, the form's answers).
KNOWN = {
    "表单": None,
    "申请人": frozenset({"年龄", "实名等级"}),
    "户籍": frozenset({"年龄", "出生日期", "状态", "区划", "性别"}),
    "今天": frozenset(),
}
FIELDS = ["birth_date", "status", "region_code", "sex"]
FIELD_LABELS = ["出生日期", "人口状态", "户籍地区划代码", "性别"]  # as the catalogue names them


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def birth_from_id(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, TypeError):
        return None


def population_resource() -> str | None:
    """The code of the population registry's catalogue entry (人口基础信息), if published."""
    from tongban.sharing.models import DataResource

    resource = DataResource.objects.filter(kind=DataResource.Kind.POPULATION, is_active=True).first()
    return resource.code if resource else None


def read_person(
    id_number: str, *, accessor: User | None, purpose: str, department: Department, case: "Case | None" = None
) -> tuple[dict[str, Any] | None, str]:
    """The person's registry record as a table reads it, or None and why it could not be read.

    The one registry read of this app: through the data-sharing service (``sharing``), which
    checks the department's grant in force, the case and the purpose, and logs the read."""
    from tongban.sharing.services import read_resource

    code = population_resource()
    if code is None:
        return None, "人口基础信息未在共享目录中发布。"
    try:
        read = read_resource(
            department, code, id_number, FIELDS, purpose, case, accessor=accessor, channel="decisions"
        )
    except ServiceError as exc:
        return None, exc.message
    if not read.found:
        return None, "人口基础信息中没有该人员。"
    row = read.first
    return {
        "出生日期": dt.date.fromisoformat(row["birth_date"]),
        "状态": row["status"],
        "区划": row["region_code"],
        "性别": row["sex"],
    }, ""


def person_context(record: PopulationRecord | dict | None, today: dt.date) -> dict[str, Any] | None:
    """The ``户籍`` input: from a read (dict) or from a record a policy sweep holds."""
    if record is None:
        return None
    if isinstance(record, dict):
        return {"年龄": Decimal(age_on(record["出生日期"], today)), **record}
    return {
        "年龄": Decimal(age_on(record.birth_date, today)),
        "出生日期": record.birth_date,
        "状态": record.get_status_display(),
        "区划": record.region.code if record.region_id else "",
        "性别": record.get_sex_display(),
    }


def applicant_context(user: User | None, today: dt.date) -> dict[str, Any]:
    birth = birth_from_id(getattr(user, "id_number", "") or "")
    return {
        "年龄": Decimal(age_on(birth, today)) if birth else None,
        "实名等级": Decimal(getattr(user, "real_name_level", 0) or 0),
    }


def plain(value: Any) -> Any:
    """A FEEL value as JSON keeps it (decimals as numbers or strings, dates as ISO text)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def describe(values: dict[str, Any]) -> str:
    """``年龄=81，状态=正常`` for histories and messages."""
    return "，".join(f"{k}={'空' if v is None else plain(v)}" for k, v in values.items())


def sweep_grant(department: Department) -> str | None:
    """The code of the department's grant in force for the population registry's fields a
    policy reads ("" when it provides the registry itself), or None without one: a sweep reads
    the registry as a whole, so it needs the grant before it starts."""
    from tongban.sharing.models import DataResource
    from tongban.sharing.services import grant_for

    resource = DataResource.objects.filter(kind=DataResource.Kind.POPULATION, is_active=True).first()
    if resource is None:
        return None
    if resource.provider_id == department.pk:
        return ""
    grant = grant_for(department, resource, FIELDS)
    return grant.code if grant is not None else None


SWEEP_SYSTEM = "通办平台·免申即享筛查"


def registry_people(
    department: Department, purpose: str, *, accessor: User | None = None, people: Iterable | None = None
):
    """The records a policy sweep or simulation reads (every one, or those of ``people``),
    through the data-sharing service: the department's grant is checked and every person read
    gets a log row with ``purpose``, whether or not an offer follows."""
    from tongban.sharing.services import read_population_records

    return read_population_records(
        department,
        FIELDS,
        purpose,
        accessor=accessor,
        accessor_label="" if accessor is not None else SWEEP_SYSTEM,
        id_numbers=None if people is None else [p.id_number for p in people],
        channel="decisions",
    )
