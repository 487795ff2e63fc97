"""Writing and reading stored decision tables: upload (checked, as a draft), publish (the
version in force; the previous one retires) and deciding with a stored version."""

import hashlib
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department

from . import checks
from .evaluate import Outcome, evaluate
from .model import Definitions, ModelError, parse
from .tables import DecisionTable


def check_can_manage(actor: User | None, department: Department | None) -> None:
    """Catalogue admins of the department (the same rule as the items the table decides)."""
    from tongban.catalog.services import _check_can_manage

    _check_can_manage(actor, department)


def validate(dmn: str | bytes, known: checks.Known | None, decision: str = "") -> tuple[Definitions, str]:
    """The parsed document and the deciding decision's name, or ``InvalidInput`` listing every
    problem in Chinese (unknown inputs, overlaps under UNIQUE, unreachable rules, syntax)."""
    try:
        model = parse(dmn)
    except ModelError as exc:
        raise InvalidInput(str(exc), field="dmn", code="dmn_invalid") from exc
    if not model.tables:
        raise InvalidInput("DMN 文件中没有决策表（decisionTable）。", field="dmn", code="dmn_invalid")
    name = decision or next(iter(model.tables))
    if name not in model.tables:
        raise InvalidInput(f"DMN 文件中没有名为“{name}”的决策表。", field="decision", code="dmn_invalid")
    found = checks.problems(model, known)
    if found:
        raise InvalidInput("；".join(str(p) for p in found), field="dmn", code="dmn_invalid")
    return model, name


@transaction.atomic
def upload_table(
    *,
    actor: User | None,
    key: str,
    name: str,
    dmn: str | bytes,
    department: Department | None,
    known: checks.Known | None,
    decision: str = "",
    note: str = "",
) -> DecisionTable:
    """A new draft version under ``key`` after the checks; nothing is stored when they fail."""
    check_can_manage(actor, department)
    text = dmn.decode("utf-8") if isinstance(dmn, bytes) else dmn
    _model, decision = validate(text, known, decision)
    # The key's versions locked (an aggregate cannot be FOR UPDATE on PostgreSQL); two first
    # versions at once meet at the unique (key, version) constraint instead.
    latest = max(
        DecisionTable.objects.select_for_update().filter(key=key).values_list("version", flat=True), default=0
    )
    table = DecisionTable(
        key=key,
        name=name.strip() or key,
        version=latest + 1,
        dmn=text,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        decision=decision,
        department=department,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            table.save(force_insert=True)
    except IntegrityError as exc:
        raise InvalidInput("同一决策表正在上传另一版本，请稍后重试。", code="dmn_version_taken") from exc
    audit.append("workflow.dmn_upload", actor=actor, obj=table, summary=_summary(table))
    return table


@transaction.atomic
def publish_table(*, actor: User | None, table: DecisionTable) -> DecisionTable:
    """The version in force from now on; the one before it retires (cases keep theirs)."""
    check_can_manage(actor, table.department)
    locked = DecisionTable.objects.select_for_update().get(pk=table.pk)
    if locked.status != DecisionTable.Status.DRAFT:
        raise InvalidInput("只有草稿可以发布。", code="not_draft")
    DecisionTable.objects.filter(key=locked.key, status=DecisionTable.Status.PUBLISHED).update(
        status=DecisionTable.Status.RETIRED
    )
    locked.status = DecisionTable.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    audit.append("workflow.dmn_publish", actor=actor, obj=locked, summary=_summary(locked))
    return locked


def _summary(table: DecisionTable) -> dict:
    return {"key": table.key, "version": table.version, "digest": table.digest, "decision": table.decision}


def published(key: str) -> DecisionTable | None:
    return DecisionTable.objects.filter(key=key, status=DecisionTable.Status.PUBLISHED).first()


def get_table(table_id: int, actor: User | None) -> DecisionTable:
    table = DecisionTable.objects.select_related("department").filter(pk=table_id).first()
    if table is None:
        raise NotFound()
    try:
        check_can_manage(actor, table.department)
    except PermissionDenied as exc:
        raise NotFound() from exc
    return table


@lru_cache(maxsize=128)
def _model(digest: str, dmn: str) -> Definitions:
    return parse(dmn)


def model_of(table: DecisionTable) -> Definitions:
    """The parsed document of a stored version, once per process (keyed by its digest)."""
    return _model(table.digest, table.dmn)


def decide(table: DecisionTable, context: dict) -> Outcome:
    return evaluate(model_of(table), table.decision, context)
