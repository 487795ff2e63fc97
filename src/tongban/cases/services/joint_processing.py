"""一件事 after the submission: what a child case's step means for its joint case (联办件).

Every child runs its own item's process and clock in its own department (it is an ordinary
``Case``); this module adds what joins them, called from ``_common._log`` inside the child's
step, before its audit append (``after_child_step``), never from a signal:

- order constraints: a child held for prerequisites (``Case.Status.HELD``) starts when none of
  them is open any more, with the prerequisites' answers copied into its empty fields (by the
  fields' ``x-semantic`` key or name: the new company's 统一社会信用代码 reaches 食品经营许可);
- 一次告知: correction requests of several departments on the same working day join one
  ``JointNotice``; the applicant answers it once (``answer_joint_correction``), each child gets
  its part and its clock resumes by ``correcting``'s rules;
- refusals: a child that ends without a grant stops what its bundle entry's ``on_refusal``
  names ("all": every open child; "dependents": the children waiting for it; "none": nothing,
  its dependents start all the same), with a notice to the applicant and a history line on each
  stopped child (its department sees it, its webhooks carry it);
- 统一出件: the results are released together when no essential child is open any more (one
  combined result notice; ``steps.release_steps`` deliver, e.g. ``certificates`` issues the
  licences then); a child ending after that is released at once.
"""

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tongban.catalog.models import LifeEventItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.workdays import calendar
from tongban.workflow.selectors import process_for

from .. import clock, steps
from ..access import applicant_filter, check_correct
from ..models import Case, CorrectionRequest, JointCase, JointNotice
from ..selectors import open_correction
from ._common import Conflict, _apply_ready, _lock, _log, _save
from .correcting import _apply_answer
from .processing import RESULT_USCC

# Where a started child keeps the 统一社会信用代码 its prerequisite registered (its licence shows it).
PREREQUISITE_USCC = "prerequisite_uscc"


def after_child_step(case: Case, actor: User | None, action: str, from_status: str) -> list[dict]:
    """What ``case``'s step (already saved, history line written) changes in its joint case;
    returns the audit entries to append after the child's own."""
    entries: list[dict] = []
    if action == "request_correction":
        _gather_correction(case)
    if from_status in Case.OPEN_STATUSES and not case.is_open:
        entries += _settled(case, actor)
    return entries


# ---------------------------------------------------------------- 一次告知


def notice_day(now: dt.datetime | None = None) -> dt.date:
    """The working day a request belongs to: today, or the next working day on a day off."""
    day = timezone.localdate(now)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _gather_correction(case: Case) -> None:
    """Put the correction request just made into the joint case's notice of the working day;
    the applicant is told once per notice (``steps.notice_steps``), when it is opened."""
    correction = (
        CorrectionRequest.objects.filter(case=case, answered_at__isnull=True, joint_notice__isnull=True)
        .order_by("-requested_at", "-pk")
        .first()
    )
    if correction is None:
        return
    JointCase.objects.select_for_update().filter(pk=case.joint_id).first()  # one notice per day
    day = notice_day()
    notice = (
        JointNotice.objects.filter(
            joint_id=case.joint_id, kind=JointNotice.Kind.CORRECTION, on_date=day, answered_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    part = {
        "case": case.number,
        "item": case.item.name,
        "department": case.department.name,
        "notice": correction.notice,
    }
    if notice is None:
        notice = JointNotice.objects.create(
            joint_id=case.joint_id, kind=JointNotice.Kind.CORRECTION, on_date=day, payload={"parts": [part]}
        )
        _send(notice)
    else:
        notice.payload = {**notice.payload, "parts": [*notice.payload.get("parts", []), part]}
        notice.save(update_fields=["payload"])
    correction.joint_notice = notice
    correction.save(update_fields=["joint_notice"])


def _send(notice: JointNotice) -> None:
    for step in steps.notice_steps:
        step.send(notice)
    notice.sent_at = timezone.now()
    notice.save(update_fields=["sent_at"])


def open_joint_corrections(joint: JointCase) -> list[tuple[Case, CorrectionRequest]]:
    """The children waiting for a correction with their open notice, in the joint's order."""
    pairs = []
    for child in (
        joint.children.filter(status=Case.Status.CORRECTION)
        .select_related("item", "department", "form")
        .order_by("pk")
    ):
        correction = open_correction(child)
        if correction is not None:
            pairs.append((child, correction))
    return pairs


@transaction.atomic
def answer_joint_correction(
    *,
    user: User,
    joint: JointCase,
    data: dict | None = None,
    files: dict[int, UploadedFile] | None = None,
) -> JointCase:
    """The applicant answers the combined notice once: a field several departments asked for is
    answered once and reaches each of them; each child gets only what its notice listed and its
    clock resumes. Anything wrong in one part changes nothing anywhere."""
    if not JointCase.objects.filter(applicant_filter(user), pk=joint.pk).exists():
        raise NotFound()
    pairs = open_joint_corrections(joint)
    if not pairs:
        raise Conflict("该联办件当前不需要补正。", code="no_correction")
    data, files = dict(data or {}), dict(files or {})
    asked_fields = {name for _child, c in pairs for name in c.fields}
    asked_materials = {m.pk for _child, c in pairs for m in c.materials.all()}
    not_listed = [k for k in data if k not in asked_fields]
    if not_listed:
        raise InvalidInput("只能修改补正告知中列出的内容。", field=not_listed[0], code="not_in_notice")
    if any(pk not in asked_materials for pk in files):
        raise InvalidInput("只能补交补正告知中列出的材料。", field="materials", code="not_in_notice")
    entries: list[dict] = []
    for child, correction in sorted(pairs, key=lambda p: p[0].pk):
        locked = _lock(child)
        check_correct(user, locked)
        part_data = {k: v for k, v in data.items() if k in correction.fields}
        part_files = {}
        for requirement in correction.materials.all():
            if requirement.pk in files:
                files[requirement.pk].seek(0)  # one upload may answer several departments
                part_files[requirement.pk] = files[requirement.pk]
        before = _apply_answer(user, locked, part_data, part_files)
        _log(
            locked,
            user,
            "correct",
            "申请人已补正（联办件一次补正）",
            from_status=before,
            emit="corrected",
            audit_later=entries,
        )
    now = timezone.now()
    answered = list(
        JointNotice.objects.filter(joint=joint, kind=JointNotice.Kind.CORRECTION, answered_at__isnull=True)
    )
    JointNotice.objects.filter(pk__in=[n.pk for n in answered]).update(answered_at=now)
    entries.append(
        {
            "action": "cases.joint_correct",
            "actor": user,
            "obj": joint,
            "summary": {"number": joint.number, "notices": [n.pk for n in answered], "cases": len(pairs)},
        }
    )
    _append(entries)
    return joint


def _append(entries: list[dict]) -> None:
    for entry in entries:
        audit.append(entry.pop("action"), **entry)


# ---------------------------------------------------------------- a child ends


def _entry(joint: JointCase, case: Case) -> LifeEventItem | None:
    return LifeEventItem.objects.filter(bundle_id=joint.bundle_id, item_id=case.item_id).first()


def _dependents_closure(case: Case) -> list[Case]:
    """Every open child that waits for ``case``, directly or through another child."""
    found: dict[int, Case] = {}
    todo = [case]
    while todo:
        for child in todo.pop().dependents.all():
            if child.pk not in found and child.is_open:
                found[child.pk] = child
                todo.append(child)
    return list(found.values())


def _settled(case: Case, actor: User | None) -> list[dict]:
    joint = JointCase.objects.select_for_update().get(pk=case.joint_id)
    entries: list[dict] = []
    granted = case.status == Case.Status.CONCLUDED and case.result != Case.Result.RETURNED
    entry = _entry(joint, case)
    rule = entry.on_refusal if entry is not None else LifeEventItem.OnRefusal.DEPENDENTS
    refusal: dict | None = None
    if granted or rule == LifeEventItem.OnRefusal.NONE:
        for dependent in case.dependents.filter(status=Case.Status.HELD).order_by("pk"):
            if not dependent.prerequisites.filter(status__in=Case.OPEN_STATUSES).exists():
                entries += _start_held(dependent, actor)
    else:
        if rule == LifeEventItem.OnRefusal.ALL:
            stopping = [c for c in joint.children.exclude(pk=case.pk) if c.is_open]
        else:
            stopping = _dependents_closure(case)
        reason = f"联办事项“{case.item.name}”（{case.department.name}）{case.get_status_display()}，本事项随之终止。"
        for child in sorted(stopping, key=lambda c: c.pk):
            entries += _stop(child, actor, reason)
        refusal = {
            "case": case.number,
            "item": case.item.name,
            "department": case.department.name,
            "status": case.get_status_display(),
            "reason": case.decision_reason,
            "stopped": [{"case": c.number, "item": c.item.name} for c in stopping],
        }
    entries += _release_if_due(joint, case, actor, refusal)
    return entries


def _carry_results(prerequisites: list[Case], dependent: Case) -> list[str]:
    """Copy the prerequisites' answers into the dependent's empty fields of the same meaning
    (``x-semantic`` key, else the field's name), and the 统一社会信用代码 a registration recorded
    at its 办结 (``RESULT_USCC``); returns the titles of what was filled."""
    offered: dict[str, object] = {}
    for prerequisite in prerequisites:
        if (prerequisite.data or {}).get(RESULT_USCC):
            offered["enterprise.uscc"] = prerequisite.data[RESULT_USCC]
        props = (prerequisite.form.schema.get("properties") or {}) if prerequisite.form else {}
        for name, prop in props.items():
            value = (prerequisite.data or {}).get(name)
            if value not in (None, "", [], {}):
                offered.setdefault(prop.get("x-semantic") or name, value)
    filled = []
    if "enterprise.uscc" in offered:  # the registered business's code, whatever the form asks
        dependent.data = {**(dependent.data or {}), PREREQUISITE_USCC: offered["enterprise.uscc"]}
    props = (dependent.form.schema.get("properties") or {}) if dependent.form else {}
    for name, prop in props.items():
        key = prop.get("x-semantic") or name
        if key in offered and (dependent.data or {}).get(name) in (None, "", [], {}):
            dependent.data = {**(dependent.data or {}), name: offered[key]}
            filled.append(prop.get("title") or name)
    return filled


def _still_empty(case: Case) -> list[str]:
    """Titles of required fields of ``case`` that are still empty (the split left them to the
    prerequisites' results, which did not bring them)."""
    schema = case.form.schema if case.form else {}
    props = schema.get("properties") or {}
    return [
        props.get(name, {}).get("title") or name
        for name in schema.get("required") or []
        if (case.data or {}).get(name) in (None, "", [], {})
    ]


def _start_held(dependent: Case, actor: User | None) -> list[dict]:
    """A held child starts: its process's first step in its department's queue, its intake
    clock from today, the prerequisites' results in its data."""
    locked = _lock(dependent)
    if locked.status != Case.Status.HELD:
        return []
    prerequisites = list(locked.prerequisites.select_related("item", "form"))
    filled = _carry_results(prerequisites, locked)
    if filled:
        locked.application.data = locked.data
        locked.application.save(update_fields=["data", "updated_at"])
    process = process_for(locked.process_id, locked.process.digest)
    if locked.workflow_state:
        ready = process.ready(locked.workflow_state)
    else:  # the split chose the process but did not start it
        locked.workflow_state, ready = process.start({"item": locked.item.code})
    locked.status = Case.Status.PENDING_INTAKE
    _apply_ready(locked, ready)
    clock.set_intake_deadline(locked, timezone.localdate())
    locked.version += 1
    _save(locked)
    try:  # the submission steps the split left for the start (a wallet licence still valid …)
        with transaction.atomic():
            for step in steps.submission_steps:
                step.run(locked.application, locked, locked.submitted_by)
    except InvalidInput as exc:
        return _stop(locked, actor, f"前置事项已办结，但本事项无法开始办理：{exc.message}")
    done = "；".join(
        f"{p.item.name}（{p.number}）{p.get_status_display()}"
        + (f"：{p.get_result_display()}" if p.result else "")
        for p in prerequisites
    )
    opinion = f"前置事项已办结：{done}。" + (f"已带入：{'、'.join(filled)}。" if filled else "")
    lacking = _still_empty(locked)
    if lacking:
        opinion += f"尚缺：{'、'.join(lacking)}（前置事项的结果中没有，请办理时核实）。"
    entries: list[dict] = []
    _log(
        locked,
        actor,
        "joint_start",
        "前置事项已办结，开始办理",
        from_status=Case.Status.HELD,
        opinion=opinion,
        emit="joint_started",
        audit_later=entries,
    )
    return entries


def _stop(child: Case, actor: User | None, reason: str) -> list[dict]:
    locked = _lock(child)
    if not locked.is_open:
        return []
    before = locked.status
    locked.status = Case.Status.STOPPED
    locked.result = Case.Result.VOIDED
    locked.current_step = locked.current_step_title = locked.current_role = ""
    locked.assignee, locked.claimed_at = None, None
    locked.concluded_at = timezone.now()
    locked.paused_since = None
    locked.version += 1
    _save(locked)
    entries: list[dict] = []
    _log(
        locked,
        actor,
        "joint_stop",
        "联办事项不予办理，本事项终止",
        from_status=before,
        opinion=reason,
        emit="stopped",
        audit_later=entries,
    )
    child.status = locked.status
    return entries


def _child_summary(child: Case) -> dict:
    return {
        "case": child.number,
        "item": child.item.name,
        "department": child.department.name,
        "essential": child.essential,
        "status": child.status,
        "status_label": child.get_status_display(),
        "result": child.get_result_display() if child.result else "",
    }


def _release(child: Case, actor: User | None, now: dt.datetime) -> None:
    Case.objects.filter(pk=child.pk).update(released_at=now)
    child.released_at = now
    for step in steps.release_steps:
        step.release(child, actor)


def _release_if_due(joint: JointCase, case: Case, actor: User | None, refusal: dict | None) -> list[dict]:
    """统一出件: the first moment no essential child is open, every ended child is released with
    one combined notice; afterwards each child is released as it ends."""
    children = list(joint.children.select_related("item", "department").order_by("pk"))
    for child in children:
        if child.pk == case.pk:
            child.status, child.result, child.released_at = case.status, case.result, case.released_at
    now = timezone.now()
    released: list[Case] = []
    if joint.released_at is None and not any(c.essential and c.is_open for c in children):
        joint.released_at = now
        joint.status = JointCase.Status.RELEASED
        released = [c for c in children if not c.is_open and c.released_at is None]
        payload = {
            "released": [_child_summary(c) for c in released],
            "following": [_child_summary(c) for c in children if c.is_open],
        }
        if refusal:
            payload["refusal"] = refusal
        notice = JointNotice.objects.create(
            joint=joint, kind=JointNotice.Kind.RESULT, on_date=notice_day(), payload=payload
        )
    elif joint.released_at is not None:
        released = [c for c in children if not c.is_open and c.released_at is None]
        notice = None
        if refusal:
            notice = JointNotice.objects.create(
                joint=joint, kind=JointNotice.Kind.RESULT, on_date=notice_day(), payload={"refusal": refusal}
            )
    else:
        notice = None
        if refusal:
            notice = JointNotice.objects.create(
                joint=joint,
                kind=JointNotice.Kind.RESULT,
                on_date=notice_day(),
                payload={"refusal": refusal, "following": [_child_summary(c) for c in children if c.is_open]},
            )
    for child in released:
        _release(child, actor, now)
        if child.pk == case.pk:
            case.released_at = now
    if notice is not None:
        _send(notice)
    if not any(c.is_open for c in children) and joint.concluded_at is None:
        joint.concluded_at = now
        essential_granted = all(c.status == Case.Status.CONCLUDED for c in children if c.essential)
        joint.status = JointCase.Status.CONCLUDED if essential_granted else JointCase.Status.STOPPED
    joint.save(update_fields=["released_at", "status", "concluded_at"])
    return [
        {
            "action": "cases.joint_settle",
            "actor": actor,
            "obj": joint,
            "summary": {
                "number": joint.number,
                "case": case.number,
                "status": joint.status,
                "released": [c.number for c in released],
                "stopped": [s["case"] for s in (refusal or {}).get("stopped", [])],
            },
        }
    ]
