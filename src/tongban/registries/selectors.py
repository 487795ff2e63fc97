"""Reads of the base registries. Every read of a person's or an enterprise's data is logged.

Callers state a ``purpose`` (shown to the person in "who used my data"); a read without one
is refused, so no code path can look someone up silently.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from tongban.core import rawsql
from tongban.core.types import User, actor_label
from tongban.departments.models import Department

from .models import DataAccessLog, EnterpriseRecord, PopulationRecord
from .validators import normalize_id_number, normalize_uscc


@rawsql.statement
def _insert_sql(returning: bool) -> str:
    """The log's INSERT, hand-written: every exchange and staff read writes one row, and the
    ORM took longer to build the statement than the database to run it."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in _LOG_FIELDS)
    places = ", ".join(["%s"] * len(_LOG_FIELDS))
    tail = f" RETURNING {qn(DataAccessLog._meta.pk.column)}" if returning else ""
    return f"INSERT INTO {rawsql.table(DataAccessLog)} ({columns}) VALUES ({places}){tail}"  # noqa: S608 (names from the model)


_LOG_FIELDS = [f for f in DataAccessLog._meta.concrete_fields if not f.primary_key]


def record_access(
    accessor: User | None,
    purpose: str,
    department: Department | None,
    found: bool = True,
    *,
    fields: Iterable[str] = (),
    case_number: str = "",
    grant_code: str = "",
    channel: str = "",
    accessor_label: str = "",
    **subject: object,
) -> DataAccessLog:
    """The one log of reads of a person's or an enterprise's data (DESIGN §6): one row per read.

    Who read is named as the person sees it in "who used my data": the platform's one actor
    label (a citizen without a real name appears with a masked mobile number, never in full),
    or ``accessor_label`` for a department system. ``subject`` is ``person=``/``enterprise=``
    and ``subject_id_number=``. A read without a purpose is refused (``ValueError``)."""
    log = DataAccessLog(
        accessor=accessor if getattr(accessor, "pk", None) else None,
        accessor_label=(accessor_label or actor_label(accessor))[:100],
        department=department,
        purpose=_require_purpose(purpose),
        found=found,
        fields=list(fields),
        case_number=case_number[:32],
        grant_code=grant_code[:40],
        channel=channel[:20],
        **subject,
    )
    values = [f.get_db_prep_save(f.pre_save(log, True), connection) for f in _LOG_FIELDS]
    returning = connection.features.can_return_columns_from_insert
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(returning), values)
        log.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    log._state.adding, log._state.db = False, connection.alias
    return log


def _require_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValueError("A registry read needs a purpose.")
    return purpose[:200]


def read_person(
    id_number: str,
    *,
    accessor: User | None,
    purpose: str,
    department: Department | None = None,
    **log: Any,
) -> PopulationRecord | None:
    """The population record for ``id_number`` (or None), leaving a ``DataAccessLog`` row;
    ``log`` adds ``fields``, ``case_number``, ``grant_code``, ``channel`` to it."""
    purpose = _require_purpose(purpose)
    number = normalize_id_number(id_number)
    record = PopulationRecord.objects.select_related("region").filter(id_number=number).first()
    record_access(
        accessor, purpose, department, record is not None, person=record, subject_id_number=number[:18], **log
    )
    return record


def read_enterprise(
    uscc: str,
    *,
    accessor: User | None,
    purpose: str,
    department: Department | None = None,
    **log: Any,
) -> EnterpriseRecord | None:
    """The enterprise record for ``uscc`` (or None), leaving a ``DataAccessLog`` row."""
    purpose = _require_purpose(purpose)
    code = normalize_uscc(uscc)
    record = EnterpriseRecord.objects.select_related("region").filter(uscc=code).first()
    record_access(accessor, purpose, department, record is not None, enterprise=record, **log)
    return record


def access_log_for_person(id_number: str) -> QuerySet[DataAccessLog]:
    """ "Who used my data": every logged read of this person's record, newest first."""
    number = normalize_id_number(id_number)
    if not number:
        return DataAccessLog.objects.none()
    return DataAccessLog.objects.filter(subject_id_number=number).select_related("department")


def access_log_for_enterprise(uscc: str) -> QuerySet[DataAccessLog]:
    code = normalize_uscc(uscc)
    return DataAccessLog.objects.filter(enterprise__uscc=code).select_related("department")


def registered_address(record: PopulationRecord | EnterpriseRecord | None) -> dict | None:
    """A registry record's address as the forms' ``address`` widget holds it: the county code
    and the detail without the province/city/county names the region chain already shows.
    None when the record has no street detail: the form refuses an address without one, and a
    prefilled value it refuses would block every step of the draft, not only the address's."""
    if record is None or record.region_id is None:
        return None
    from tongban.regions.codes import ancestor_codes
    from tongban.regions.models import Region

    region = record.region
    codes = ancestor_codes(region.code)  # province, city, county (itself included)
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    detail = (record.address or "").strip()
    for code in codes:
        name = names.get(code, "")
        if name and detail.startswith(name):
            detail = detail[len(name) :]
    if not detail:
        return None
    return {"region": region.code, "detail": detail}
