"""Every write of the 12345 loop: one function per step, permission checked in ``access``,
a transaction each, the audit append last.

Clock: a department's time starts when a request is dispatched to it and runs in working days
(``workdays``) for the limit of the request's kind (``KindRule``); it turns yellow on the last
working day or at 20 % of the limit left, red when overdue, and ``escalate_overdue`` (a duty
of ``tongban tick``) raises 督办 on red ones. A return (退单) stops the department's clock; the
next dispatch starts a fresh one, and so does a reopening after 不满意.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tongban.cases.access import is_applicant_side
from tongban.cases.models import Case
from tongban.cases.numbering import next_case_number
from tongban.cases.uploads import check_upload
from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.types import User, actor_label
from tongban.departments.models import Department
from tongban.identity import permissions, ratelimit
from tongban.identity.models import StaffRole
from tongban.regions.codes import RegionCodeError, normalize_region_code
from tongban.workdays import calendar

from . import access
from .models import (
    ApiClient,
    Assignment,
    Attachment,
    Category,
    Centre,
    DispatchRule,
    Event,
    KindRule,
    Petition,
    PublishedAnswer,
    Satisfaction,
    SupervisionOrder,
)

NUMBER_PREFIX = "12345"  # the counter key of request numbers: 12345-20261203-000001
MAX_TITLE = 100
MAX_BODY = 2000
MAX_ATTACHMENTS = 3
MIN_REASON = 4
# 好差评 level recorded when a request about a case is rated (one rating path).
CASE_LEVELS = {Satisfaction.SATISFIED: 4, Satisfaction.BASIC: 3, Satisfaction.DISSATISFIED: 2}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE = re.compile(r"^[0-9\-+]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def today() -> dt.date:
    return timezone.localdate()


def kind_rule(kind: str) -> KindRule:
    rule = KindRule.objects.filter(kind=kind).first()
    if rule is None:
        raise InvalidInput("请选择诉求类型（咨询、建议、投诉、求助或举报）。", field="kind")
    return rule


def _audit(action: str, actor: User | None, petition: Petition, **summary: object) -> None:
    label = None if actor is not None else ("匿名诉求人" if petition.anonymous else None)
    audit.append(f"consult.{action}", actor=actor, actor_label=label, obj=petition, summary=summary)


def _event(petition: Petition, action: str, actor: User | None, note: str = "", department=None) -> None:
    label = actor_label(actor) if actor is not None else ("匿名" if petition.anonymous else "系统")
    Event.objects.create(
        petition=petition, action=action, actor_label=label, department=department, note=note
    )


def _locked(petition: Petition) -> Petition:
    return (
        Petition.objects.select_for_update(of=("self",))
        .select_related("centre", "centre__department", "department")
        .get(pk=petition.pk)
    )


def _text(value: str, field: str, label: str, limit: int, minimum: int = 1) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise InvalidInput(
            f"请填写{label}" + (f"（至少 {minimum} 个字）" if minimum > 1 else "") + "。", field=field
        )
    if len(value) > limit:
        raise InvalidInput(f"{label}不能超过 {limit} 个字。", field=field)
    return value


# ---------------------------------------------------------------- clock


def start_clock(petition: Petition, rule: KindRule, day: dt.date | None = None) -> None:
    day = day or today()
    due = calendar.add_workdays(day, rule.answer_workdays).date
    petition.due_date = due
    petition.warn_date = warn_date(due, rule.answer_workdays)


def warn_date(due: dt.date, limit: int) -> dt.date:
    """Yellow from the last working day before the deadline, or at 20 % of the limit left."""
    return calendar.subtract_workdays(due, max(1, int(0.2 * limit)))


def colour(petition: Petition, on: dt.date | None = None) -> str:
    """green / yellow / red while a department holds the request; "none" otherwise."""
    if (
        petition.status not in (*access.WITH_DEPARTMENT, Petition.Status.ESCALATED)
        or petition.due_date is None
    ):
        return "none"
    on = on or today()
    if on > petition.due_date:
        return "red"
    if petition.warn_date is not None and on >= petition.warn_date:
        return "yellow"
    return "green"


# ---------------------------------------------------------------- intake


def centre_for(region_code: str) -> Centre:
    """The centre serving a region: the one with the longest matching region code (else the first)."""
    centres = list(Centre.objects.select_related("region").order_by("pk"))
    if not centres:
        raise InvalidInput("尚未设置 12345 热线中心，暂不能受理诉求。", code="no_centre")
    matching = [c for c in centres if region_code and region_code.startswith(c.region.code)]
    return max(matching, key=lambda c: len(c.region.code)) if matching else centres[0]


def _coordinate(value: object, field: str, low: int, high: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("坐标格式不正确。", field=field) from exc
    if not low <= number <= high:
        raise InvalidInput("坐标超出范围。", field=field)
    return number


@transaction.atomic
def submit(
    *,
    user: User | None,
    kind: str,
    title: str,
    body: str,
    channel: str = Petition.Channel.WEB,
    category: Category | None = None,
    item: ServiceItem | None = None,
    about_department: Department | None = None,
    case: Case | None = None,
    region_code: str = "",
    address: str = "",
    lat: object = None,
    long: object = None,
    anonymous: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    transcript: str = "",
    attachments: Iterable[UploadedFile] = (),
    recorded_by: User | None = None,
    api_client: ApiClient | None = None,
    source: str = "",
) -> Petition:
    """A request from the web, the API, a client system through Open311 (``api_client``, which
    must pass on a phone or email where the kind may not be anonymous) or a call taken by the
    centre (``recorded_by``)."""
    rule = kind_rule(kind)
    contact_email = (contact_email or "").strip()[:254]
    if contact_email and not _EMAIL.match(contact_email):
        raise InvalidInput("电子邮箱格式不正确。", field="email")
    if api_client is not None:
        if not rule.anonymous_allowed and not (contact_phone or contact_email):
            raise InvalidInput(f"“{rule.get_kind_display()}”须提供联系电话或电子邮箱。", field="phone")
    elif recorded_by is not None:
        access.check_record_call(recorded_by)
        channel = Petition.Channel.PHONE
        if not anonymous and not contact_phone:
            raise InvalidInput("请记录来电人的联系电话，或选择匿名。", field="contact_phone")
        if anonymous and not rule.anonymous_allowed:
            raise InvalidInput(
                f"“{rule.get_kind_display()}”不能匿名受理，请记录来电人姓名和电话。", field="anonymous"
            )
    else:
        access.check_submit(user, rule, anonymous)
    signed_in = recorded_by is None and api_client is None and bool(getattr(user, "is_authenticated", False))
    anonymous = anonymous or (recorded_by is None and not signed_in)
    title = _text(title, "title", "标题", MAX_TITLE, 2)
    body = _text(body, "body", "诉求内容", MAX_BODY, 5)
    contact_phone = (contact_phone or "").strip().replace(" ", "")
    if contact_phone and not _PHONE.match(contact_phone):
        raise InvalidInput("联系电话格式不正确。", field="contact_phone")
    contact_name = (contact_name or "").strip()[:60]
    if anonymous:
        contact_name = contact_name if recorded_by is None else ""
    elif signed_in:
        contact_name = contact_name or getattr(user, "display_name", "") or ""
        contact_phone = contact_phone or getattr(user, "mobile", "") or ""
    if region_code:
        try:
            region_code = normalize_region_code(str(region_code))
        except RegionCodeError as exc:
            raise InvalidInput("行政区划代码无效。", field="region") from exc
    elif item is not None:
        region_code = item.region_code
    if case is not None and not (signed_in and is_applicant_side(user, case)):
        raise InvalidInput("只能就本人的办件提出诉求。", field="case")
    if case is not None:
        item = item or case.item
        about_department = about_department or case.department
        region_code = region_code or case.region_code
    files = list(attachments)
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(f"附件最多 {MAX_ATTACHMENTS} 个。", field="attachments")
    checked = [check_upload(f) for f in files]
    if recorded_by is None and api_client is None:
        key = f"consult:user:{user.pk}" if signed_in else f"consult:anon:{source or contact_phone or '-'}"
        ratelimit.check(key, [(20, 3600), (50, 86400)], "提交过于频繁，请稍后再试。")
    day = today()
    centre = centre_for(region_code)
    region_code = region_code or centre.region.code  # a request without a place is the centre's region's
    petition = Petition.objects.create(
        number=next_case_number(NUMBER_PREFIX, day),
        kind=rule.kind,
        category=category,
        channel=channel,
        title=title,
        body=body,
        transcript=(transcript or "")[:4000],
        requester=user if signed_in else None,
        anonymous=anonymous,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        recorded_by=recorded_by,
        api_client=api_client,
        item=item,
        about_department=about_department,
        case=case,
        region_code=region_code,
        address=(address or "").strip()[:200],
        lat=_coordinate(lat, "lat", -90, 90),
        long=_coordinate(long, "long", -180, 180),
        centre=centre,
    )
    for c in checked:
        Attachment.objects.create(
            petition=petition,
            file=c.content,
            display_name=c.display_name,
            content_type=c.content_type,
            size=c.size,
            sha256=c.sha256,
        )
    _event(
        petition, "submitted", recorded_by or (user if signed_in else None), petition.get_channel_display()
    )
    _audit(
        "submit", recorded_by or (user if signed_in else None), petition, number=petition.number, kind=kind
    )
    return petition


# ---------------------------------------------------------------- the centre


def rule_department(petition: Petition) -> Department | None:
    """The department the dispatch rules give: most conditions met, longest region code, priority."""
    best, best_key = None, None
    for rule in DispatchRule.objects.filter(active=True).select_related("department"):
        if rule.kind and rule.kind != petition.kind:
            continue
        if rule.category_id and rule.category_id != petition.category_id:
            continue
        if rule.region_code and not petition.region_code.startswith(rule.region_code):
            continue
        key = (
            bool(rule.kind) + bool(rule.category_id) + bool(rule.region_code),
            len(rule.region_code),
            rule.priority,
        )
        if best_key is None or key > best_key:
            best, best_key = rule.department, key
    return best


@transaction.atomic
def dispatch(
    *,
    actor: User,
    petition: Petition,
    department: Department | None = None,
    joint: Iterable[Department] = (),
    note: str = "",
) -> Petition:
    """派单 to ``department`` (by hand) or to the one the rules give; ``joint`` departments help."""
    petition = _locked(petition)
    access.check_dispatch(actor, petition)
    by_rule = department is None
    department = department or rule_department(petition)
    if department is None:
        raise InvalidInput("没有匹配的派单规则，请选择承办部门。", field="department")
    joint = [d for d in dict.fromkeys(joint) if d.pk != department.pk]
    rule = kind_rule(petition.kind)
    now = timezone.now()
    petition.status = Petition.Status.DISPATCHED
    petition.department = department
    petition.dispatched_at = now
    petition.accepted_at = None
    petition.extension_state = ""
    petition.extension_reason = ""
    start_clock(petition, rule)
    petition.save()
    Assignment.objects.create(petition=petition, department=department, lead=True)
    for other in joint:
        Assignment.objects.create(petition=petition, department=other, lead=False)
    names = "、".join(d.name for d in joint)
    text = ("按规则派单" if by_rule else "人工派单") + (f"，协办：{names}" if names else "")
    _event(petition, "dispatched", actor, f"{text}。{note}".strip(), department)
    _audit(
        "dispatch", actor, petition, department=department.pk, joint=[d.pk for d in joint], by_rule=by_rule
    )
    return petition


@transaction.atomic
def decide_extension(*, actor: User, petition: Petition, grant: bool, note: str = "") -> Petition:
    """The centre grants (the deadline moves by the kind's extension) or refuses the one extension."""
    petition = _locked(petition)
    access.check_decide_extension(actor, petition)
    rule = kind_rule(petition.kind)
    if grant:
        petition.due_date = calendar.add_workdays(petition.due_date, rule.extension_workdays).date
        petition.warn_date = warn_date(petition.due_date, rule.extension_workdays)
    petition.extension_state = "granted" if grant else "refused"
    petition.save()
    _event(petition, "extension_granted" if grant else "extension_refused", actor, note, petition.department)
    _audit("decide_extension", actor, petition, granted=grant, due=str(petition.due_date))
    return petition


def _order(petition: Petition, reason: str, note: str = "") -> SupervisionOrder:
    petition.escalated_at = timezone.now()
    order = SupervisionOrder.objects.create(
        petition=petition, department=petition.department, reason=reason, note=note
    )
    return order


@transaction.atomic
def escalate(*, actor: User, petition: Petition, note: str) -> SupervisionOrder:
    """督办 by the centre: the department must answer the order."""
    petition = _locked(petition)
    access.check_escalate(actor, petition)
    note = _text(note, "note", "督办意见", 500, MIN_REASON)
    order = _order(petition, SupervisionOrder.Reason.MANUAL, note)
    petition.save()
    _event(petition, "escalated", actor, note, petition.department)
    _audit("escalate", actor, petition, reason="manual")
    return order


def escalate_overdue(on: dt.date | None = None) -> int:
    """The tick's duty: 督办 for every request a department holds past its deadline (once)."""
    on = on or today()
    ids = list(
        Petition.objects.filter(
            status__in=access.WITH_DEPARTMENT, due_date__lt=on, escalated_at__isnull=True
        ).values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            petition = Petition.objects.select_for_update().filter(pk=pk, escalated_at__isnull=True).first()
            if petition is None or petition.status not in access.WITH_DEPARTMENT:
                continue
            _order(petition, SupervisionOrder.Reason.OVERDUE, f"答复期限 {petition.due_date} 已过。")
            petition.save()
            _event(petition, "escalated", None, "超期未答复，自动督办。", petition.department)
            _audit("escalate", None, petition, reason="overdue")
            done += 1
    return done


@transaction.atomic
def merge(*, actor: User, petition: Petition, into: Petition) -> Petition:
    """A duplicate joins the request it repeats; its requester follows that one."""
    petition = _locked(petition)
    into = Petition.objects.select_related("centre").get(pk=into.pk)
    access.check_merge(actor, petition, into)
    petition.status = Petition.Status.MERGED
    petition.merged_into = into
    petition.closed_at = timezone.now()
    petition.save()
    _event(petition, "merged", actor, f"并入 {into.number}")
    _event(into, "merged_in", actor, f"合并重复诉求 {petition.number}")
    _audit("merge", actor, petition, into=into.number)
    return petition


_NAME_TOKEN = re.compile(r"[\u4e00-\u9fff]{2,4}")


def strip_personal(text: str, petition: Petition) -> str:
    """Text fit for the public: numbers of any length ≥ 7 (IDs, phones, plates of cases) and the
    requester's name go; what remains is what the reviewer saw and edited."""
    text = re.sub(r"\d{7,}[\dXx]?", "****", text or "")
    text = re.sub(r"1[3-9]\d\D?\d{4}\D?\d{4}", "****", text)
    names = {petition.contact_name}
    if petition.requester is not None:
        names |= {petition.requester.real_name, getattr(petition.requester, "display_name", "")}
    for name in sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, f"{name[0]}先生/女士" if _NAME_TOKEN.fullmatch(name) else "***")
    return text


@transaction.atomic
def publish_answer(
    *, actor: User, petition: Petition, question: str, answer: str, item: ServiceItem | None = None
) -> PublishedAnswer:
    """A reviewed consultation becomes a public FAQ entry of the item it concerns."""
    petition = _locked(petition)
    access.check_publish(actor, petition)
    question = strip_personal(_text(question, "question", "问题", 300, 4), petition)
    answer = strip_personal(_text(answer, "answer", "解答", 2000, 4), petition)
    entry = PublishedAnswer.objects.create(
        petition=petition,
        item=item or petition.item,
        question=question,
        answer=answer,
        published_by=actor_label(actor),
    )
    _event(petition, "published", actor)
    _audit("publish_answer", actor, petition, entry=entry.pk)
    return entry


# ---------------------------------------------------------------- the department


@transaction.atomic
def accept(*, actor: User, petition: Petition) -> Petition:
    """签收: the department takes the request on; the clock runs from the dispatch."""
    petition = _locked(petition)
    access.check_accept(actor, petition)
    petition.status = Petition.Status.HANDLING
    petition.accepted_at = timezone.now()
    petition.save()
    Assignment.objects.filter(petition=petition, lead=True, status=Assignment.Status.PENDING).update(
        status=Assignment.Status.ACCEPTED
    )
    _event(petition, "accepted", actor, department=petition.department)
    _audit("accept", actor, petition, department=petition.department_id)
    return petition


@transaction.atomic
def return_to_centre(*, actor: User, petition: Petition, reason: str) -> Petition:
    """退单: not this department's business; back to the centre with the reason, clock stopped."""
    petition = _locked(petition)
    access.check_return(actor, petition)
    reason = _text(reason, "reason", "退单理由", 500, MIN_REASON)
    department = petition.department
    Assignment.objects.filter(petition=petition).exclude(status=Assignment.Status.RETURNED).update(
        status=Assignment.Status.RETURNED
    )
    Assignment.objects.filter(petition=petition, department=department, lead=True).update(note=reason)
    petition.status = Petition.Status.NEW
    petition.department = None
    petition.due_date = petition.warn_date = None
    petition.accepted_at = None
    petition.save()
    _event(petition, "returned", actor, reason, department)
    _audit("return", actor, petition, department=department.pk, reason=audit.digest(reason))
    return petition


@transaction.atomic
def request_extension(*, actor: User, petition: Petition, reason: str) -> Petition:
    petition = _locked(petition)
    access.check_request_extension(actor, petition, kind_rule(petition.kind))
    petition.extension_reason = _text(reason, "reason", "延期理由", 300, MIN_REASON)
    petition.extension_state = "asked"
    petition.save()
    _event(petition, "extension_asked", actor, petition.extension_reason, petition.department)
    _audit("request_extension", actor, petition)
    return petition


@transaction.atomic
def contribute(*, actor: User, petition: Petition, text: str) -> Assignment:
    """协办意见 of a joint department; the lead answers once every joint department has."""
    petition = _locked(petition)
    assignment = access.check_contribute(actor, petition)
    assignment.note = _text(text, "text", "协办意见", 2000, MIN_REASON)
    assignment.status = Assignment.Status.DONE
    assignment.save()
    _event(petition, "contributed", actor, assignment.note, assignment.department)
    _audit("contribute", actor, petition, department=assignment.department_id)
    return assignment


@transaction.atomic
def answer(*, actor: User, petition: Petition, text: str) -> Petition:
    """答复 by the lead department (also the answer to any open 督办)."""
    petition = _locked(petition)
    access.check_answer(actor, petition)
    text = _text(text, "text", "答复内容", MAX_BODY, MIN_REASON)
    now = timezone.now()
    petition.answer = text
    petition.answered_at = now
    petition.status = Petition.Status.ANSWERED
    petition.save()
    SupervisionOrder.objects.filter(petition=petition, responded_at__isnull=True).update(
        response=text, responded_at=now
    )
    Assignment.objects.filter(petition=petition, lead=True, status=Assignment.Status.ACCEPTED).update(
        status=Assignment.Status.DONE
    )
    _event(petition, "answered", actor, text, petition.department)
    _audit("answer", actor, petition, department=petition.department_id, text=audit.digest(text))
    return petition


# ---------------------------------------------------------------- rating and call-back


def _after_rating(petition: Petition, satisfaction: str, actor: User | None, note: str) -> str:
    """满意 / 基本满意 close it; 不满意 reopens it to the same department once, then escalates."""
    petition.satisfaction = satisfaction
    if satisfaction != Satisfaction.DISSATISFIED:
        petition.status = Petition.Status.CLOSED
        petition.closed_at = timezone.now()
        return "closed"
    if petition.reopen_count == 0:
        petition.reopen_count = 1
        petition.status = Petition.Status.HANDLING
        petition.accepted_at = timezone.now()
        petition.escalated_at = None
        start_clock(petition, kind_rule(petition.kind))
        Assignment.objects.filter(petition=petition, lead=True, department=petition.department).update(
            status=Assignment.Status.ACCEPTED
        )
        return "reopened"
    if not petition.supervision_orders.filter(reason=SupervisionOrder.Reason.DISSATISFIED).exists():
        petition.status = Petition.Status.ESCALATED
        start_clock(petition, kind_rule(petition.kind))
        _order(petition, SupervisionOrder.Reason.DISSATISFIED, note)
        return "escalated"
    petition.status = Petition.Status.CLOSED
    petition.closed_at = timezone.now()
    return "closed"


def _clean_satisfaction(value: str) -> str:
    if value not in Satisfaction.values:
        raise InvalidInput("请选择满意、基本满意或不满意。", field="satisfaction")
    return value


@transaction.atomic
def rate(
    *, user: User | None, petition: Petition, satisfaction: str, comment: str = "", token: str | None = None
) -> str:
    """The requester rates the answer. Where the request concerns their own ended case that is not
    rated yet, the same answer is that case's 好差评 (through ``ratings``), so one question is asked
    once. Returns "closed", "reopened" or "escalated"."""
    petition = _locked(petition)
    access.check_rate(user, petition, token)
    satisfaction = _clean_satisfaction(satisfaction)
    comment = (comment or "").strip()[:500]
    if satisfaction == Satisfaction.DISSATISFIED and len(comment) < MIN_REASON:
        raise InvalidInput("请说明不满意的原因，便于重新办理。", field="comment")
    signed_in = bool(getattr(user, "is_authenticated", False))
    outcome = _after_rating(petition, satisfaction, user if signed_in else None, comment)
    petition.save()
    _event(petition, f"rated_{satisfaction}", user if signed_in else None, comment)
    if outcome != "closed":
        _event(petition, outcome, None, department=petition.department)
    if petition.case_id and signed_in:
        from tongban.ratings import access as rating_access
        from tongban.ratings import services as ratings

        if rating_access.can_rate_case(user, petition.case):
            ratings.rate_case(
                user=user,
                case=petition.case,
                level=CASE_LEVELS[satisfaction],
                comment=comment or f"诉求 {petition.number} 的答复评价",
            )
    _audit("rate", user if signed_in else None, petition, satisfaction=satisfaction, outcome=outcome)
    return outcome


@transaction.atomic
def record_callback(*, actor: User, petition: Petition, satisfaction: str, note: str) -> str:
    """回访: the centre calls the requester and records what they said, with the same effect as
    their own rating."""
    petition = _locked(petition)
    access.check_callback(actor, petition)
    satisfaction = _clean_satisfaction(satisfaction)
    note = _text(note, "note", "回访记录", 500, MIN_REASON)
    outcome = _after_rating(petition, satisfaction, actor, note)
    petition.save()
    _event(petition, "callback", actor, f"{Satisfaction(satisfaction).label}：{note}")
    if outcome != "closed":
        _event(petition, outcome, None, department=petition.department)
    _audit("callback", actor, petition, satisfaction=satisfaction, outcome=outcome)
    return outcome


# ---------------------------------------------------------------- administration


@transaction.atomic
def create_api_client(*, actor: User, name: str) -> tuple[ApiClient, str]:
    """A new Open311 key, shown once; only its digest is stored."""
    if not (getattr(actor, "is_superuser", False) or permissions.has_role(actor, StaffRole.PLATFORM_ADMIN)):
        raise PermissionDenied("只有系统管理员可以发放接口密钥。")
    name = _text(name, "name", "名称", 100, 2)
    key = ApiClient.new_key()
    client = ApiClient.objects.create(name=name, key_prefix=key[:6], key_digest=ApiClient.digest(key))
    audit.append("consult.create_api_client", actor=actor, obj=client, summary={"name": name})
    return client, key


def client_for_key(key: str | None) -> ApiClient | None:
    if not key:
        return None
    return ApiClient.objects.filter(key_digest=ApiClient.digest(key), active=True).first()
