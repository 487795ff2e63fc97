"""Messages about cases: the in-app inbox, SMS and email through the identity gateways, and
signed webhooks to department systems. Sending happens in background tasks with retries.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import gateways, permissions
from tongban.identity.models import StaffRole

from .models import Delivery, MessageTemplate, Notification, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)
# A pending delivery with no next attempt and older than this has lost its first task.
STRAY_AFTER = dt.timedelta(minutes=1)
WEBHOOK_TIMEOUT = 10
CASE_EVENTS = (
    "submitted",
    "accepted",
    "refused",
    "correction_requested",
    "corrected",
    "special_started",
    "special_ended",
    "forwarded",
    "reviewed",
    "decided",
    "concluded",
    "withdrawn",
)


def _render(text: str, context: dict) -> str:
    try:
        return Template(text).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError:
        logger.warning("message template could not be rendered")
        return text


def _recipients(case: Case) -> list[Any]:
    """The applicant, plus the enterprise's legal representative when an agent applied."""
    people = [case.applicant]
    if case.enterprise_id and case.enterprise.legal_rep_id != case.applicant_id:
        people.append(case.enterprise.legal_rep)
    return people


def on_case_event(sender: Any, case: Case, event: str, actor: User | None = None, **kwargs: Any) -> None:
    """``case_event_recorded`` receiver, inside the step's transaction: one task row, so the
    messages are sent if and only if the step commits, and the fan-out runs in the worker."""
    from .tasks import notify_case

    notify_case.enqueue(case.pk, event, case_snapshot(case))


def case_snapshot(case: Case) -> dict:
    """What the messages say about the case, as it is at the step (the worker may run later)."""
    return {
        "status": case.status,
        "current_step": case.current_step,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "occurred_at": timezone.now().isoformat(),
    }


@transaction.atomic
def notify_case_event(case_id: int, event: str, snapshot: dict | None = None) -> int:
    """The fan-out (run by the ``notify_case`` task): inbox messages now, SMS, email and webhook
    deliveries as tasks of their own. Returns how many messages and deliveries it made."""
    from .tasks import deliver_webhook, send_delivery

    case = (
        Case.objects.select_related("item", "department", "applicant", "enterprise__legal_rep")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return 0
    snapshot = snapshot or case_snapshot(case)
    case.status, case.current_step = snapshot["status"], snapshot["current_step"]
    case.due_date = dt.date.fromisoformat(snapshot["due_date"]) if snapshot["due_date"] else None
    context = {
        "case": case,
        "item": case.item.name,
        "status": case.get_status_display(),
        "number": case.number,
        "department": case.department.name,
        "applicant_name": case.applicant_name,
        "link": f"/my/cases/{case.number}/",
    }
    templates = list(MessageTemplate.objects.filter(event=event, is_active=True))
    deliveries: list[Delivery] = []
    inbox = 0
    # A joint child's applicant hears of corrections and results through the joint case's one
    # combined notice (``notify_joint_notice``), not once per department.
    told = [] if case.joint_id and event in JOINT_COMBINED else _recipients(case)
    for person in told:
        for template in templates:
            subject = _render(template.subject, context)
            body = _render(template.body, context)
            if template.channel == MessageTemplate.Channel.INBOX:
                Notification.objects.create(
                    user=person,
                    title=subject or body[:60],
                    body=body,
                    link=context["link"],
                    event=event,
                    case_number=case.number,
                )
                inbox += 1
            elif template.channel == MessageTemplate.Channel.SMS and person.mobile:
                deliveries.append(Delivery(channel="sms", user=person, body=body, event=event))
            elif template.channel == MessageTemplate.Channel.EMAIL and person.email:
                deliveries.append(
                    Delivery(channel="email", user=person, subject=subject, body=body, event=event)
                )
    created = Delivery.objects.bulk_create(deliveries)
    payload = webhook_payload(case, event, occurred_at=snapshot["occurred_at"])
    hooks = []
    for subscription in WebhookSubscription.objects.filter(department=case.department, is_active=True):
        if not subscription.events or event in subscription.events:
            hooks.append(WebhookDelivery(subscription=subscription, event=event, payload=payload))
    created_hooks = WebhookDelivery.objects.bulk_create(hooks)
    # Each delivery's task row is queued in the fan-out's own transaction: queued after commit,
    # a database that went away in between left the delivery PENDING with no task, and the
    # fan-out's retry did nothing (its effect key had committed).
    for delivery in created:
        send_delivery.enqueue(delivery.pk)
    for hook in created_hooks:
        deliver_webhook.enqueue(hook.pk)
    return inbox + len(created) + len(created_hooks)


JOINT_COMBINED = ("submitted", "correction_requested", "decided", "concluded", "refused", "stopped")


def on_joint_submitted(
    sender: Any, joint: Any, children: list[Case], actor: User | None = None, **kwargs: Any
) -> None:
    """``joint_submitted`` receiver, inside the split's transaction: one task row for the joint
    case, with each child as it is at the submission."""
    from .tasks import notify_joint_submitted

    notify_joint_submitted.enqueue(joint.pk, [[c.pk, case_snapshot(c)] for c in children])


@transaction.atomic
def notify_joint_submitted_event(joint_id: int, children: list) -> int:
    """The fan-out of a 一件事 submission (``notify_joint_submitted`` task): one message to the
    applicant naming every child case, and each child's "submitted" webhooks to its department
    (``notify_case_event``, which tells the applicant nothing of a joint child's submission)."""
    from tongban.cases.models import JointCase

    joint = (
        JointCase.objects.select_related("bundle", "applicant", "enterprise__legal_rep")
        .filter(pk=joint_id)
        .first()
    )
    if joint is None:
        return 0
    cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in=[pk for pk, _snapshot in children]).select_related(
            "item", "department"
        )
    }
    named = "、".join(
        f"{cases[pk].item.name}（{cases[pk].department.name}，{cases[pk].number}）"
        for pk, _s in children
        if pk in cases
    )
    body = f"您的联办件 {joint.number}（{joint.bundle.name}）已提交，{len(cases)} 个事项分送各部门同步办理：{named}。"
    people = [joint.applicant]
    if joint.enterprise_id and joint.enterprise.legal_rep_id != joint.applicant_id:
        people.append(joint.enterprise.legal_rep)
    for person in people:
        notify_person(
            user=person,
            title="联办件已提交",
            body=body,
            link=f"/my/joint/{joint.number}/",
            event="joint.submitted",
        )
    return len(people) + sum(notify_case_event(pk, "submitted", snapshot) for pk, snapshot in children)


def notify_joint_notice(notice: Any) -> None:
    """``cases.steps.NoticeStep``: the applicant of a joint case hears of one combined notice
    (corrections of a working day, or the results released together) once, in the inbox and by
    SMS; the page it links to lists every department's part."""
    joint = notice.joint
    if notice.kind == "correction":
        title = "联办件补正告知"
        body = f"您的联办件 {joint.number}（{joint.bundle.name}）需要补正，请一次提交各部门要求的内容。"
        link = f"/my/joint/{joint.number}/correct/"
    else:
        title = "联办件办理结果"
        body = f"您的联办件 {joint.number}（{joint.bundle.name}）有办理结果，请查看。"
        if notice.payload.get("released"):
            body += "各事项结果已一并发放，欢迎对本次联办服务评价一次。"
        link = f"/my/joint/{joint.number}/result/"
    people = [joint.applicant]
    if joint.enterprise_id and joint.enterprise.legal_rep_id != joint.applicant_id:
        people.append(joint.enterprise.legal_rep)
    for person in people:
        notify_person(user=person, title=title, body=body, link=link, event=f"joint.{notice.kind}")


def on_rectification_completed(sender: Any, rectification: Any, **kwargs: Any) -> None:
    """Invite the person who gave a bad rating to rate again once it has been fixed."""
    rating = rectification.rating
    if rating.rater_id is None:
        return
    Notification.objects.create(
        user_id=rating.rater_id,
        title="差评整改已完成",
        event="rectified",
        link=f"/ratings/re-rate/{rectification.pk}/",
        body=f"{rectification.department.name}已就您的评价完成整改：{rectification.outcome[:100]}。欢迎再次评价。",
        case_number=rating.case.number if rating.case_id else "",
    )


BOOKING_MESSAGES = {
    "booked": ("预约成功", "您已预约{hall}{when}办理“{item}”，预约号 {number}。"),
    "rescheduled": ("预约已改约", "您的预约（{number}）已改为{hall}{when}办理“{item}”。"),
    "cancelled": ("预约已取消", "您{when}在{hall}办理“{item}”的预约（{number}）已取消。"),
    "reminder": ("预约提醒", "提醒：请于{when}到{hall}办理“{item}”，签到时出示预约号 {number}。"),
    "no_show": ("预约未到", "您{when}在{hall}的预约（{number}）未按时签到，记爽约一次。"),
    "suspended": ("预约已暂停", "因 30 天内多次预约未到，您的网上预约暂停至 {until}。"),
}
SMS_BOOKING_EVENTS = ("booked", "reminder", "suspended")


def on_booking_event(sender: Any, booking: Any, event: str, **extra: Any) -> None:
    """``booking_event_recorded`` receiver (appointments), inside the change's transaction: an
    inbox message, and an SMS for bookings, reminders and suspensions."""
    title, text = BOOKING_MESSAGES[event]
    slot = booking.slot
    until = extra.get("until")
    body = text.format(
        hall=booking.hall.name,
        when=f"{slot.date:%Y-%m-%d} {slot.start:%H:%M}",
        item=booking.item.name,
        number=booking.number,
        until=f"{timezone.localtime(until):%Y-%m-%d}" if until else "",
    )
    notify_person(
        user=booking.user,
        title=title,
        body=body,
        link=f"/my/appointments/{booking.number}/",
        event=f"booking.{event}",
        sms=event in SMS_BOOKING_EVENTS,
    )


def webhook_payload(case: Case, event: str, *, occurred_at: str | None = None) -> dict:
    """No personal data: the receiving system fetches details through the API with its token."""
    return {
        "event": event,
        "occurred_at": occurred_at or timezone.now().isoformat(),
        "case": {
            "number": case.number,
            "status": case.status,
            "item_code": case.item.code,
            "item_name": case.item.name,
            "department_id": case.department_id,
            "current_step": case.current_step,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            # 一件事: the joint case (联办件) the case is a child of, so a department system
            # can relate the children of one application.
            "joint": case.joint.number if case.joint_id else None,
        },
    }


def _next_attempt(attempts: int) -> dt.datetime:
    return timezone.now() + BACKOFF_BASE * (2 ** max(attempts - 1, 0))


def _reschedule(task: Any, pk: int, when: dt.datetime) -> None:
    backend = task.get_backend()
    if getattr(backend, "supports_defer", False):
        task.using(run_after=when).enqueue(pk)


def attempt_delivery(delivery_id: int) -> str:
    from .tasks import send_delivery

    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("user").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return "skipped"
        delivery.attempts += 1
        try:
            if delivery.channel == "sms":
                gateways.send_sms(delivery.user.mobile, delivery.body)
            else:
                gateways.send_email(delivery.user.email, delivery.subject, delivery.body)
        except Exception as exc:
            delivery.last_error = f"{type(exc).__name__}"[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = _next_attempt(delivery.attempts)
            delivery.save()
            if delivery.status == Delivery.Status.PENDING:
                transaction.on_commit(
                    lambda: _reschedule(send_delivery, delivery.pk, delivery.next_attempt_at)
                )
            return "retry" if delivery.status == Delivery.Status.PENDING else "failed"
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save()
        return "sent"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Tongban-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def attempt_webhook(delivery_id: int) -> str:
    from .tasks import deliver_webhook

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        subscription = delivery.subscription
        delivery.attempts += 1
        body = json.dumps(
            {**delivery.payload, "delivery_id": delivery.pk}, ensure_ascii=False, sort_keys=True
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - subscribers' URLs are http(s) by URLField
            subscription.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Tongban-Webhook/1",
                "X-Tongban-Event": delivery.event,
                "X-Tongban-Delivery": str(delivery.pk),
                "X-Tongban-Signature": sign(subscription.secret, int(time.time()), body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
                delivery.response_status = response.status
            ok = 200 <= (delivery.response_status or 0) < 300
            error = "" if ok else f"HTTP {delivery.response_status}"
        except urllib.error.HTTPError as exc:
            delivery.response_status, ok, error = exc.code, False, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            ok, error = False, type(exc).__name__
        if ok:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = error[:300]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = _next_attempt(delivery.attempts)
        delivery.save()
        if delivery.status == WebhookDelivery.Status.PENDING:
            transaction.on_commit(lambda: _reschedule(deliver_webhook, delivery.pk, delivery.next_attempt_at))
        return delivery.status


def _queued(task: Any) -> set[int]:
    """The ids that a waiting or running row of ``task`` will attempt."""
    rows = DBTaskResult.objects.filter(
        task_path=task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("args_kwargs", flat=True)
    return {row["args"][0] for row in rows if row.get("args")}


def retry_due() -> int:
    """For ``tongban tick``: enqueue every pending delivery whose next attempt is due, and every
    one left without a task for ``STRAY_AFTER`` (its first task was lost: queued after a commit
    by a caller whose database then went away); none that a waiting or running task will
    attempt anyway."""
    from .tasks import deliver_webhook, send_delivery

    now = timezone.now()
    waiting = Q(status="pending") & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - STRAY_AFTER)
    )
    count = 0
    for model, task in ((Delivery, send_delivery), (WebhookDelivery, deliver_webhook)):
        queued = _queued(task)
        for pk in model.objects.filter(waiting).values_list("pk", flat=True):
            if pk not in queued:
                task.enqueue(pk)
                count += 1
    return count


@transaction.atomic
def mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def subscribe_webhook(
    *,
    actor: User,
    department: Any,
    name: str,
    url: str,
    secret: str,
    events: list[str] | None = None,
) -> WebhookSubscription:
    """Platform admins register a department system's endpoint."""
    if not (getattr(actor, "is_superuser", False) or permissions.has_role(actor, StaffRole.PLATFORM_ADMIN)):
        raise PermissionDenied()
    events = list(events or [])
    unknown = [e for e in events if e not in CASE_EVENTS]
    if unknown:
        raise InvalidInput(f"未知事件：{'、'.join(unknown)}。", field="events")
    if not url.startswith(("https://", "http://")):
        raise InvalidInput("接收地址必须是 http(s) 地址。", field="url")
    if len(secret or "") < 16:
        raise InvalidInput("签名密钥至少 16 个字符。", field="secret")
    return WebhookSubscription.objects.create(
        department=department,
        name=name.strip() or url,
        url=url,
        secret=secret,
        events=events,
        created_by=actor,
    )


@transaction.atomic
def update_template(*, actor: User, template: MessageTemplate, subject: str, body: str) -> MessageTemplate:
    if not (getattr(actor, "is_superuser", False) or permissions.has_role(actor, StaffRole.PLATFORM_ADMIN)):
        raise PermissionDenied()
    try:
        Template(subject)
        Template(body)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"模板语法错误：{exc}", field="body") from exc
    if not body.strip():
        raise InvalidInput("请填写消息内容。", field="body")
    template.subject, template.body = subject, body
    template.save()
    return template


# A message naming another site is how fraudulent “government” messages work: ours never carry
# one (免申即享 offers say where to go on this platform, never a link to click in an SMS).
_LINK = re.compile(r"(?i)(https?:|//|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|gov|top|xyz|info|cc|io|me)\b)")


def check_no_links(*texts: str) -> None:
    for text in texts:
        if _LINK.search(text or ""):
            raise InvalidInput("消息中不得包含链接或网址。", code="message_link")


def notify_person(
    *,
    user: User,
    title: str,
    body: str,
    link: str = "",
    event: str = "",
    sms: bool = True,
    email: bool = False,
) -> Notification:
    """A message to one person that is not a case event (a 免申即享 offer): the inbox now (its
    ``link`` a path on this site), an SMS (and, if asked, an email) by task after commit; none
    may carry a link to another site (``check_no_links``). Runs in the caller's transaction."""
    from .tasks import send_delivery

    check_no_links(title, body)
    if link and (not link.startswith("/") or link.startswith("//")):
        raise InvalidInput("站内消息只能链接到本平台的页面。", code="message_link")
    notification = Notification.objects.create(
        user=user, title=title[:120], body=body, link=link[:200], event=event[:40]
    )
    if sms and user.mobile:
        delivery = Delivery.objects.create(channel="sms", user=user, body=f"【通办】{body}", event=event[:40])
        transaction.on_commit(lambda: send_delivery.enqueue(delivery.pk))
    if email and user.email:
        mail = Delivery.objects.create(
            channel="email", user=user, subject=title[:120], body=body, event=event[:40]
        )
        transaction.on_commit(lambda: send_delivery.enqueue(mail.pk))
    return notification
