"""补正 (一次性告知): staff ask once for everything missing; the applicant answers."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tongban.catalog.models import MaterialRequirement
from tongban.core.errors import InvalidInput
from tongban.core.types import User
from tongban.forms.schema import clean_data, validate_data

from .. import clock
from ..access import check_correct, check_staff_action
from ..models import Case, CorrectionRequest
from ..selectors import open_correction as open_correction  # a read, shared with the pages and the API
from ._common import (
    FormInvalid,
    _advance,
    _lock,
    _log,
    _require_opinion,
    _save,
)
from .applying import _store_attachment


@transaction.atomic
def request_correction(
    *,
    actor: User,
    case: Case,
    notice: str,
    fields: list[str] | None = None,
    materials: list[MaterialRequirement] | None = None,
    expected_step: str | None = None,
    expected_version: int | None = None,
) -> CorrectionRequest:
    """补正 (一次性告知): everything missing in one notice; the clock stops until answered."""
    notice = _require_opinion(notice, "补正告知内容")
    fields, materials = list(fields or []), list(materials or [])
    if not fields and not materials:
        raise InvalidInput("请至少选择一项需要补正的内容或材料。", field="fields")
    locked = _lock(case)
    check_staff_action(
        actor, locked, "correct", expected_step=expected_step, expected_version=expected_version
    )
    known = set((locked.form.schema.get("properties") or {}).keys()) if locked.form else set()
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise InvalidInput(f"表单中没有这些字段：{'、'.join(unknown)}。", field="fields")
    if any(m.item_id != locked.item_id for m in materials):
        raise InvalidInput("所选材料不属于该事项。", field="materials")
    before = locked.status
    _advance(locked, actor, "correct")
    clock.pause(locked, "correction")
    _save(locked)
    correction = CorrectionRequest.objects.create(
        case=locked, requested_by=actor, fields=fields, notice=notice
    )
    correction.materials.set(materials)
    _log(
        locked,
        actor,
        "request_correction",
        "一次性告知补正",
        from_status=before,
        opinion=notice,
        emit="correction_requested",
    )
    return correction


@transaction.atomic
def answer_correction(
    *,
    user: User,
    case: Case,
    data: dict | None = None,
    files: dict[int, UploadedFile] | None = None,
) -> Case:
    """The applicant fixes only what the notice listed; the clock resumes."""
    locked = _lock(case)
    check_correct(user, locked)
    before = _apply_answer(user, locked, data, files)
    _log(locked, user, "correct", "申请人已补正", from_status=before, emit="corrected")
    return locked


def _apply_answer(user: User, locked: Case, data: dict | None, files: dict[int, UploadedFile] | None) -> str:
    """Everything an answer writes but the history line (shared with the joint case's one
    answer, ``joint_processing.answer_joint_correction``); returns the status before."""
    correction = open_correction(locked)
    data, files = dict(data or {}), dict(files or {})
    not_listed = [k for k in data if k not in correction.fields]
    if not_listed:
        raise InvalidInput("只能修改补正告知中列出的内容。", field=not_listed[0], code="not_in_notice")
    allowed_materials = {m.pk: m for m in correction.materials.all()}
    if any(pk not in allowed_materials for pk in files):
        raise InvalidInput("只能补交补正告知中列出的材料。", field="materials", code="not_in_notice")
    missing = [m.name for pk, m in allowed_materials.items() if pk not in files]
    if missing:
        raise InvalidInput("请补交：" + "、".join(missing), field="materials", code="materials_missing")
    merged = {**locked.data, **data}
    merged = clean_data(locked.form.schema, locked.form.layout, merged)
    errors = validate_data(locked.form.schema, locked.form.layout, merged)
    # Only what the notice listed is answered now: a field the case still lacks for another
    # reason (a joint child's 统一社会信用代码 its prerequisite's result brings) is not the
    # applicant's to fix here.
    listed = {
        name: text
        for name, text in (errors.fields if errors else {}).items()
        if name.split(".")[0] in correction.fields
    }
    if listed:
        raise FormInvalid(listed)
    for pk, upload in files.items():
        _store_attachment(user, locked.application, allowed_materials[pk], upload)
    locked.data = merged
    locked.application.data = merged
    locked.application.save(update_fields=["data", "updated_at"])
    before = locked.status
    _advance(locked, user, None, {"corrected": True})
    clock.resume(locked)
    _save(locked)
    correction.answered_at = timezone.now()
    correction.save(update_fields=["answered_at"])
    return before
