"""Rating a service and what follows: 差评 follow-up, appeals, the 7-day default.

Rules (DESIGN §5): only the applicant or their enterprise's agent rates, once per case, after
the case has ended; never forced; staff cannot rate their own department; ratings are rate
limited per person. Who may do what is written once, in ``access``; the pages ask the same
predicates before they offer an action.
"""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.cases.models import Case
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import ratelimit
from tongban.workdays import calendar

from . import access, selectors
from .access import RATEABLE, AlreadyRated
from .models import (
    BAD_LEVELS,
    ONLINE_INDICATORS,
    WINDOW_INDICATORS,
    Appeal,
    Level,
    Rating,
    Rectification,
    WindowVisit,
)
from .signals import rectification_completed

DEFAULT_AFTER = dt.timedelta(days=7)
CALLBACK_WORKDAYS = 1
RECTIFY_WORKDAYS = 15
VISIT_VALID = dt.timedelta(hours=24)
MAX_COMMENT = 500
TAGS = ("办事快", "态度好", "指南清楚", "一次办成", "材料太多", "跑了多次", "等待太久", "态度差", "系统难用")


def _clean_input(
    level: int | str | None, scores: dict | None, comment: str, tags: list | None, indicators: dict
) -> tuple:
    try:
        level = Level(int(level))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("请选择 1 到 5 星的评价。", field="level") from exc
    scores = dict(scores or {})
    unknown = [k for k in scores if k not in indicators]
    if unknown:
        raise InvalidInput("评价指标无效。", field="scores")
    for key, value in scores.items():
        try:
            scores[key] = int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"“{indicators[key]}”请打 1 到 5 分。", field=f"scores.{key}") from exc
        if not 1 <= scores[key] <= 5:
            raise InvalidInput(f"“{indicators[key]}”请打 1 到 5 分。", field=f"scores.{key}")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"评价内容不能超过 {MAX_COMMENT} 字。", field="comment")
    tags = [t for t in (tags or []) if t]
    if any(t not in TAGS for t in tags):
        raise InvalidInput("评价标签无效。", field="tags")
    if level in BAD_LEVELS and not comment and not tags:
        raise InvalidInput("差评请写明原因或选择标签，便于部门整改。", field="comment")
    return level, scores, comment, tags


def _audit(action: str, actor: User | None, obj: Rating | Rectification | Appeal, **summary: object) -> None:
    """Each rating-related change is a link of the audit chain (DESIGN §6)."""
    label = "匿名评价人" if actor is None else None  # a window rating from the QR code, not signed in
    audit.append(f"ratings.{action}", actor=actor, actor_label=label, obj=obj, summary=summary)


def _open_rectification(rating: Rating) -> None:
    if rating.level not in BAD_LEVELS:
        return
    today = timezone.localdate()
    Rectification.objects.create(
        rating=rating,
        department=rating.department,
        callback_due=calendar.add_workdays(today, CALLBACK_WORKDAYS).date,
        rectify_due=calendar.add_workdays(today, RECTIFY_WORKDAYS).date,
    )


@transaction.atomic
def rate_case(
    *,
    user: User | None,
    case: Case,
    level: int | str,
    scores: dict | None = None,
    comment: str = "",
    tags: list | None = None,
) -> Rating:
    """The applicant (or their enterprise's agent) rates a finished case online, once."""
    case = Case.objects.select_for_update().select_related("department", "item").get(pk=case.pk)
    access.check_rate_case(user, case)
    ratelimit.check(f"rating:user:{user.pk}", [(10, 3600), (30, 86400)], "评价过于频繁，请稍后再试。")
    level, scores, comment, tags = _clean_input(level, scores, comment, tags, ONLINE_INDICATORS)
    try:
        with transaction.atomic():
            rating = _create_online_rating(case, user, level, scores, comment, tags)
    except IntegrityError as exc:
        raise AlreadyRated() from exc
    _open_rectification(rating)
    _audit("rate_case", user, rating, case=case.number, level=int(level), department=case.department_id)
    return rating


def _create_online_rating(
    case: Case, user: User, level: int | str, scores: dict, comment: str, tags: list
) -> Rating:
    """An online rating of one case, for a single case and for each child of a joint case alike."""
    return Rating.objects.create(
        case=case,
        department=case.department,
        item=case.item,
        region_code=case.region_code,
        channel=Rating.Channel.ONLINE,
        rater=user,
        rater_name=user.display_name,
        level=level,
        scores=scores,
        comment=comment,
        tags=tags,
    )


@transaction.atomic
def open_window_visit(*, clerk: User, department: Department, case: Case | None = None) -> WindowVisit:
    """Window staff open a visit; the person scans its QR code to rate it."""
    access.check_open_window_visit(clerk, department)
    if case is not None and case.department_id != department.pk:
        raise InvalidInput("办件不属于该部门。", field="case")
    return WindowVisit.objects.create(
        department=department,
        clerk=clerk,
        case=case,
        item=case.item if case else None,
        expires_at=timezone.now() + VISIT_VALID,
    )


@transaction.atomic
def rate_visit(
    *,
    token: uuid.UUID | str,
    level: int | str,
    scores: dict | None = None,
    comment: str = "",
    tags: list | None = None,
    user: User | None = None,
    client_key: str = "",
) -> Rating:
    """One rating per window visit, from its QR code or the evaluator device."""
    visit = WindowVisit.objects.select_for_update().select_related("department").filter(token=token).first()
    if visit is None:
        raise NotFound()
    access.check_rate_visit(user, visit)
    if client_key:
        ratelimit.check(f"rating:client:{client_key}", [(20, 3600)], "评价过于频繁，请稍后再试。")
    level, scores, comment, tags = _clean_input(level, scores, comment, tags, WINDOW_INDICATORS)
    rater = user if user is not None and getattr(user, "is_authenticated", False) else None
    rating = Rating.objects.create(
        visit=visit,
        department=visit.department,
        item=visit.item,
        region_code=visit.department.region.code,
        channel=Rating.Channel.WINDOW,
        rater=rater,
        rater_name=rater.display_name if rater else "",
        level=level,
        scores=scores,
        comment=comment,
        tags=tags,
    )
    _open_rectification(rating)
    _audit("rate_visit", rater, rating, visit=visit.pk, level=int(level), department=visit.department_id)
    return rating


@transaction.atomic
def add_follow_up(*, user: User | None, rating: Rating, text: str) -> Rating:
    """追评: one follow-up comment by whoever rated."""
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    access.check_follow_up(user, rating)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写追评内容。", field="text")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"追评不能超过 {MAX_COMMENT} 字。", field="text")
    rating.follow_up, rating.followed_up_at = text, timezone.now()
    rating.save(update_fields=["follow_up", "followed_up_at"])
    _audit("follow_up", user, rating, text_sha256=audit.digest(text))
    return rating


def apply_default_ratings(now: dt.datetime | None = None) -> int:
    """Cases not rated within 7 days of ending count as 基本满意 (run by ``tongban tick``)."""
    now = now or timezone.now()
    cutoff = now - DEFAULT_AFTER
    pending = Case.objects.filter(status__in=RATEABLE, concluded_at__lte=cutoff, rating__isnull=True).values(
        "pk", "department_id", "item_id", "region_code"
    )[:5000]
    ratings = [
        Rating(
            case_id=row["pk"],
            department_id=row["department_id"],
            item_id=row["item_id"],
            region_code=row["region_code"],
            channel=Rating.Channel.ONLINE,
            level=Level.BASICALLY_SATISFIED,
            is_default=True,
        )
        for row in pending
    ]
    with transaction.atomic():
        Rating.objects.bulk_create(ratings, ignore_conflicts=True)
        if ratings:
            audit.append("ratings.default", summary={"cases": [r.case_id for r in ratings]})
    return len(ratings)


CALLBACK_PURPOSE = "差评回访：致电评价人"


@transaction.atomic
def reveal_contact(*, actor: User, rectification: Rectification) -> str:
    """The rater's mobile number in full for the call-back (DESIGN §6, issue 19): the one action
    states its purpose and is logged as a read of the person's data, under the case when the
    rating has one, so the person sees it in "谁用了我的数据"."""
    from tongban.identity.selectors import log_case_read
    from tongban.registries.models import PopulationRecord
    from tongban.registries.selectors import record_access

    access.check_reveal_contact(actor, rectification)
    rating = rectification.rating
    mobile = selectors.callback_contact(rating)["mobile"]
    if not mobile:
        raise InvalidInput("该评价没有留下联系电话。", code="no_contact")
    if rating.case is not None:
        log_case_read(actor, rating.case, CALLBACK_PURPOSE, ["手机号码"])
    else:
        number = getattr(rating.rater, "id_number", "") or ""
        record_access(
            actor,
            CALLBACK_PURPOSE,
            rectification.department,
            True,
            fields=["手机号码"],
            channel="rating",
            person=PopulationRecord.objects.filter(id_number=number).only("pk").first() if number else None,
            subject_id_number=number,
        )
    return mobile


@transaction.atomic
def record_callback(*, actor: User, rectification: Rectification, note: str) -> Rectification:
    rect = Rectification.objects.select_for_update().select_related("department").get(pk=rectification.pk)
    access.check_record_callback(actor, rect)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写回访情况。", field="note")
    rect.status, rect.called_back_at, rect.callback_note, rect.handled_by = (
        Rectification.Status.CALLED_BACK,
        timezone.now(),
        note,
        actor,
    )
    rect.save()
    _audit("callback", actor, rect, rating=rect.rating_id, note_sha256=audit.digest(note))
    return rect


@transaction.atomic
def complete_rectification(*, actor: User, rectification: Rectification, outcome: str) -> Rectification:
    """Record what was fixed and invite the person to rate again."""
    rect = Rectification.objects.select_for_update().select_related("department").get(pk=rectification.pk)
    access.check_complete_rectification(actor, rect)
    outcome = (outcome or "").strip()
    if not outcome:
        raise InvalidInput("请填写整改结果。", field="outcome")
    rect.status, rect.rectified_at, rect.outcome, rect.handled_by = (
        Rectification.Status.RECTIFIED,
        timezone.now(),
        outcome,
        actor,
    )
    rect.re_rating_invited = True
    rect.save()
    _audit("rectified", actor, rect, rating=rect.rating_id, outcome_sha256=audit.digest(outcome))
    _invite_re_rating(rect)
    return rect


def _invite_re_rating(rect: Rectification) -> None:
    transaction.on_commit(lambda: rectification_completed.send(sender=Rectification, rectification=rect))


@transaction.atomic
def re_rate(*, user: User | None, rectification: Rectification, level: int | str) -> Rectification:
    rect = Rectification.objects.select_for_update().select_related("rating").get(pk=rectification.pk)
    access.check_re_rate(user, rect)
    try:
        rect.re_rating_level = Level(int(level))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("请选择 1 到 5 星的评价。", field="level") from exc
    rect.save(update_fields=["re_rating_level"])
    _audit("re_rate", user, rect, rating=rect.rating_id, level=int(rect.re_rating_level))
    return rect


@transaction.atomic
def file_appeal(*, actor: User, rating: Rating, reason: str) -> Appeal:
    rating = Rating.objects.select_for_update().select_related("department").get(pk=rating.pk)
    access.check_file_appeal(actor, rating)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput("请详细说明申诉理由（至少 10 个字）。", field="reason")
    appeal = Appeal.objects.create(
        rating=rating, department=rating.department, reason=reason, submitted_by=actor
    )
    _audit("appeal_filed", actor, appeal, rating=rating.pk, reason_sha256=audit.digest(reason))
    return appeal


@transaction.atomic
def decide_appeal(*, actor: User, appeal: Appeal, upheld: bool, note: str) -> Appeal:
    """A supervisor of the department's region decides; an upheld appeal excludes the rating."""
    appeal = (
        Appeal.objects.select_for_update().select_related("rating", "department__region").get(pk=appeal.pk)
    )
    access.check_decide_appeal(actor, appeal)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写审核意见。", field="note")
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, timezone.now(), note
    appeal.save()
    if upheld:
        Rating.objects.filter(pk=appeal.rating_id).update(excluded=True)
    _audit(
        "appeal_decided",
        actor,
        appeal,
        rating=appeal.rating_id,
        status=appeal.status,
        note_sha256=audit.digest(note),
    )
    return appeal
