"""Every write on payments: orders from an item's fees, online and window payment, provider
callbacks, refunds and expiry. Each function owns its transaction, checks who may call it and
appends to the audit chain last (``core.audit``).

No double credit: crediting locks the order row and credits only an order not yet paid;
every callback is logged, a notification id seen before is absorbed, a stale or forged one is
refused. No over-refund: a refund reserves its amount with one conditional UPDATE
(``refunded_amount + x <= amount``), which the database serialises on the order row, so of
two refunds at once that together exceed the amount exactly one succeeds.
"""

import datetime as dt
import logging
import re
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.access import Conflict
from tongban.cases.models import Case
from tongban.cases.steps import WaitingStep
from tongban.catalog.models import ServiceItem
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User

from . import access, conf, providers, webhooks
from .models import ONLINE_CHANNELS, Callback, Channel, PaymentOrder, Refund

logger = logging.getLogger(__name__)

ORDER_DAYS = 7  # natural days to pay a 缴款通知 before it expires
_AMOUNT = re.compile(r"(\d+(?:\.\d{1,2})?)\s*元")
CENT = Decimal("0.01")


# ---------------------------------------------------------------- fees


def fee_lines(item: ServiceItem) -> list[dict]:
    """The item's fee elements with their amounts: the first ``N 元`` of each 收费标准
    (the catalogue writes standards as text, e.g. "工本费 每本 20 元")."""
    lines = []
    for fee in item.fees.all().order_by("id"):
        match = _AMOUNT.search(fee.standard or "")
        if match is None:
            continue
        lines.append(
            {"name": fee.name, "standard": fee.standard, "basis": fee.basis, "amount": match.group(1)}
        )
    return lines


def _total(lines: list[dict]) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines), Decimal("0")).quantize(CENT)


def _payment_code(region_code: str) -> str:
    """A 20-digit 非税缴款码: region (6), date (6), random (7), a Luhn check digit."""
    body = f"{(region_code or '000000')[:6]:0<6}{timezone.localdate():%y%m%d}{secrets.randbelow(10**7):07d}"
    return body + _payment_code_check(body)


def luhn_ok(code: str) -> bool:
    return code.isdigit() and len(code) == 20 and _payment_code_check(code[:-1]) == code[-1]


def _payment_code_check(body: str) -> str:
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _new_order(**fields) -> PaymentOrder:
    """Insert with a fresh number and code; a collision (vanishingly rare) draws again."""
    for _attempt in range(5):
        number = f"JK{timezone.localdate():%Y%m%d}{secrets.randbelow(10**10):010d}"
        try:
            with transaction.atomic():
                return PaymentOrder.objects.create(
                    number=number, payment_code=_payment_code(fields["item"].region_code), **fields
                )
        except IntegrityError:
            if fields.get("idempotency_key"):
                existing = PaymentOrder.objects.filter(
                    created_by=fields.get("created_by"), idempotency_key=fields["idempotency_key"]
                ).first()
                if existing is not None:
                    return existing
    raise InvalidInput("缴款单生成失败，请重试。", code="order_number")


def order_for_case(case: Case) -> PaymentOrder | None:
    """The case's current order: the open or paid one, else the latest."""
    orders = list(PaymentOrder.objects.filter(case=case).order_by("-created_at")[:5])
    for order in orders:
        if order.status in (*PaymentOrder.OPEN, PaymentOrder.Status.PAID):
            return order
    return orders[0] if orders else None


def _needed(case: Case) -> bool:
    return _total(fee_lines(case.item)) > 0


def _enter_payment(case: Case, actor: User | None) -> None:
    """The process reached 缴费: issue the 缴款通知 (once) and stop the clock while it waits.
    Runs inside the case's transaction, before its history line and audit append."""
    from tongban.cases import clock

    clock.pause(case, "payment")
    if PaymentOrder.objects.filter(
        case=case, status__in=[*PaymentOrder.OPEN, PaymentOrder.Status.PAID]
    ).exists():
        return
    lines = fee_lines(case.item)
    _new_order(
        case=case,
        item=case.item,
        department=case.department,
        payer=case.applicant,
        payer_name=case.applicant_name,
        subject=f"{case.item.name}（办件 {case.number}）"[:200],
        lines=lines,
        amount=_total(lines),
        expires_at=timezone.now() + dt.timedelta(days=ORDER_DAYS),
        created_by=actor,
    )


PAYMENT_STEP = WaitingStep(name="payment", status=Case.Status.PAYMENT, enter=_enter_payment, needed=_needed)


@transaction.atomic
def reissue_order(*, user: User, order: PaymentOrder) -> PaymentOrder:
    """An expired 缴款通知 (of a case still waiting, or of a department system): a new one with
    a new code."""
    access.check_pay(user, order)
    locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != PaymentOrder.Status.EXPIRED:
        raise Conflict("只有已过期的缴款通知可以重新生成。", code="not_expired")
    case = locked.case
    if case is not None and case.status != Case.Status.PAYMENT:
        raise Conflict("该办件已不在缴费环节。", code="not_waiting")
    fresh = _new_order(
        case=case,
        item=locked.item,
        department=locked.department,
        payer=locked.payer,
        payer_name=locked.payer_name,
        subject=locked.subject,
        lines=locked.lines,
        amount=locked.amount,
        expires_at=timezone.now() + dt.timedelta(days=ORDER_DAYS),
        created_by=user,
    )
    audit.append(
        "payments.reissue", actor=user, obj=fresh, summary={"order": fresh.number, "replaces": locked.number}
    )
    return fresh


@transaction.atomic
def create_order(
    *, actor: User, item: ServiceItem, payer: User, idempotency_key: str | None = None
) -> PaymentOrder:
    """A 缴款通知 outside a case (a department system through the API). Idempotent: the same
    key from the same caller returns the first order."""
    from tongban.identity import permissions

    if idempotency_key:
        existing = PaymentOrder.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.item_id != item.pk or existing.payer_id != payer.pk:
                raise InvalidInput("同一幂等键已用于另一笔缴款单。", code="idempotency_mismatch")
            return existing
    if not permissions.can_see_department(actor, item.department):
        raise NotFound()
    lines = fee_lines(item)
    amount = _total(lines)
    if not item.is_charged or amount <= 0:
        raise InvalidInput("该事项不收费，不能生成缴款单。", code="free_item")
    order = _new_order(
        item=item,
        department=item.department,
        payer=payer,
        payer_name=payer.real_name or payer.get_username(),
        subject=item.name[:200],
        lines=lines,
        amount=amount,
        expires_at=timezone.now() + dt.timedelta(days=ORDER_DAYS),
        created_by=actor,
        idempotency_key=idempotency_key or None,
    )
    audit.append(
        "payments.create", actor=actor, obj=order, summary={"order": order.number, "amount": str(amount)}
    )
    return order


# ---------------------------------------------------------------- paying


def start_online(*, user: User, order: PaymentOrder, channel: str, notify_url: str, return_url: str) -> str:
    """Hand the payer to a channel: the address of its cashier (Alipay) or the code to scan
    (WeChat Pay). The order turns 支付中; the provider call is outside the transaction."""
    access.check_pay(user, order)
    if channel not in ONLINE_CHANNELS:
        raise InvalidInput("请选择支付宝或微信支付。", field="channel")
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status == PaymentOrder.Status.PAID:
            raise Conflict("该缴款单已缴费。", code="already_paid")
        if not locked.is_open:
            raise Conflict(f"该缴款单{locked.get_status_display()}，不能缴费。", code="not_open")
        if locked.expires_at < timezone.now():
            raise Conflict("该缴款单已过缴款期限，请重新生成。", code="expired")
        before = locked.status
        locked.status, locked.channel = PaymentOrder.Status.PAYING, channel
        locked.save(update_fields=["status", "channel", "updated_at"])
        audit.append(
            "payments.paying",
            actor=user,
            obj=locked,
            summary={"order": locked.number, "channel": channel, "from": before},
        )
    try:
        return providers.provider(channel).start(
            out_trade_no=order.number,
            subject=order.subject,
            amount=order.amount,
            notify_url=notify_url,
            return_url=return_url,
        )
    except providers.ProviderError as exc:
        raise InvalidInput(str(exc), code="provider") from exc


def settlement_date(channel: str, paid_at: dt.datetime) -> dt.date:
    """The day the money reaches the department's account: online channels settle T+1,
    money taken at the window is banked the same day."""
    day = timezone.localdate(paid_at)
    return day if channel == Channel.WINDOW else day + dt.timedelta(days=1)


def _credit(
    order: PaymentOrder,
    channel: str,
    trade_no: str,
    paid_at: dt.datetime,
    actor: User | None,
    callback: Callback | None,
) -> bool:
    """Inside a transaction with ``order`` locked: mark it paid once; the case goes on."""
    if order.status == PaymentOrder.Status.PAID:
        return False
    before = order.status
    order.status, order.channel, order.channel_trade_no = PaymentOrder.Status.PAID, channel, trade_no
    order.paid_at = paid_at
    order.settlement_date = settlement_date(channel, paid_at)
    order.save(
        update_fields=["status", "channel", "channel_trade_no", "paid_at", "settlement_date", "updated_at"]
    )
    if callback is not None:
        callback.save()
    webhooks.enqueue(order, "payment.paid")
    if order.case_id:
        try:
            case_services.continue_waiting(case=order.case, step="payment", title="已缴费", actor=actor)
        except Conflict:
            logger.warning(
                "order %s paid but case %s no longer waits for payment", order.number, order.case_id
            )
    audit.append(
        "payments.paid",
        actor=actor,
        obj=order,
        summary={"order": order.number, "from": before, "channel": channel, "amount": str(order.amount)},
    )
    transaction.on_commit(lambda: _queue_receipt(order.pk))
    return True


def _queue_receipt(order_id: int) -> None:
    from .tasks import issue_receipt

    try:
        issue_receipt.enqueue(order_id)
    except Exception:
        logger.exception("could not queue the receipt of order %s; the periodic sweep issues it", order_id)


def receive_callback(
    channel: str, headers: dict[str, str], body: bytes, form: dict[str, str]
) -> tuple[int, str, str]:
    """A provider's payment notification: verified with the channel's SDK, then credited at
    most once. Returns the answer the provider expects (it retries until told success)."""
    try:
        channel_provider = providers.provider(channel)
    except providers.ProviderError:
        return 404, "text/plain", "unknown channel"
    try:
        notice = channel_provider.verify(headers, body, form)
    except providers.Forged as exc:
        Callback.objects.create(
            channel=channel, notify_id="", outcome=Callback.Outcome.REJECTED, detail=f"验签失败：{exc}"[:200]
        )
        return channel_provider.ack(False)
    age = (timezone.now() - notice.sent_at).total_seconds()
    if age > conf.callback_max_age(channel) or age < -300:
        Callback.objects.create(
            channel=channel,
            notify_id=notice.notify_id,
            outcome=Callback.Outcome.REJECTED,
            detail="通知时间超出有效期（疑似重放）",
        )
        return channel_provider.ack(False)
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(number=notice.out_trade_no).first()
        callback = Callback(channel=channel, notify_id=notice.notify_id, order=order, event=notice.event[:40])
        seen = Callback.objects.filter(
            channel=channel,
            notify_id=notice.notify_id,
            outcome__in=[Callback.Outcome.CREDITED, Callback.Outcome.DUPLICATE, Callback.Outcome.IGNORED],
        ).exists()
        if order is None:
            callback.outcome, callback.detail = Callback.Outcome.REJECTED, "没有该缴款单"
            callback.save()
            return channel_provider.ack(False)
        if seen:
            callback.outcome, callback.detail = Callback.Outcome.DUPLICATE, "重复的通知"
            callback.save()
            return channel_provider.ack(True)
        if not notice.paid:
            callback.outcome, callback.detail = Callback.Outcome.IGNORED, f"状态 {notice.event}，不改变缴款单"
            callback.save()
            return channel_provider.ack(True)
        if notice.amount != order.amount:
            callback.outcome, callback.detail = Callback.Outcome.REJECTED, f"金额不符：{notice.amount}"
            callback.save()
            return channel_provider.ack(False)
        if order.status == PaymentOrder.Status.PAID:
            callback.outcome = Callback.Outcome.DUPLICATE
            callback.detail = (
                "已入账" if order.channel_trade_no == notice.trade_no else "已由其他渠道入账，需退款"
            )
            callback.save()
            return channel_provider.ack(True)
        callback.outcome = Callback.Outcome.CREDITED
        _credit(order, channel, notice.trade_no, notice.paid_at or timezone.now(), None, callback)
    return channel_provider.ack(True)


def receive_alipay_return(params: dict[str, str]) -> PaymentOrder | None:
    """Alipay's signed synchronous return (the payer's browser comes back): verified like a
    notification and credited if the notification has not arrived yet."""
    try:
        channel_provider = providers.provider("alipay")
        data = dict(params)
        signature = data.pop("sign", "")
        if not signature or data.get("app_id") != channel_provider.config.app_id:
            return None
        if not channel_provider.client.verify(dict(data), signature):
            return None
        amount = Decimal(data["total_amount"])
        sent_at = dt.datetime.strptime(data["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=providers.CHINA)
    except (KeyError, ValueError, InvalidOperation, providers.ProviderError):
        return None
    if (timezone.now() - sent_at).total_seconds() > conf.callback_max_age("alipay"):
        return None
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().filter(number=data.get("out_trade_no", "")).first()
        if order is None or order.amount != amount:
            return None
        if order.status != PaymentOrder.Status.PAID:
            callback = Callback(
                channel=Channel.ALIPAY,
                notify_id=f"return:{data.get('trade_no', '')}",
                order=order,
                event="RETURN",
                outcome=Callback.Outcome.CREDITED,
                detail="同步返回",
            )
            _credit(order, Channel.ALIPAY, data.get("trade_no", ""), sent_at, None, callback)
    return order


@transaction.atomic
def pay_at_window(*, actor: User, order: PaymentOrder, voucher: str) -> PaymentOrder:
    """窗口缴款: money (cash, POS) taken at the counter, with the POS voucher or receipt number."""
    access.check_window(actor, order)
    voucher = (voucher or "").strip()
    if not voucher:
        raise InvalidInput("请填写 POS 凭证号或收款凭证号。", field="voucher")
    locked = PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    if locked.status == PaymentOrder.Status.PAID:
        raise Conflict("该缴款单已缴费。", code="already_paid")
    if not locked.is_open and locked.status != PaymentOrder.Status.EXPIRED:
        raise Conflict(f"该缴款单{locked.get_status_display()}，不能缴费。", code="not_open")
    _credit(locked, Channel.WINDOW, voucher[:64], timezone.now(), actor, None)
    return locked


# ---------------------------------------------------------------- refunds


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("请输入正确的退款金额。", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidInput("退款金额须大于 0 且最多两位小数。", field="amount")
    return amount


def refund(
    *, actor: User, order: PaymentOrder, amount: object, reason: str, idempotency_key: str | None = None
) -> Refund:
    """Partial or full refund by finance staff, never beyond what is still refundable."""
    access.check_finance(actor, order)
    amount = _amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写退款原因。", field="reason")
    if idempotency_key:
        existing = Refund.objects.filter(requested_by=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.order_id != order.pk or existing.amount != amount:
                raise InvalidInput("同一幂等键已用于另一笔退款。", code="idempotency_mismatch")
            return existing
    with transaction.atomic():
        reserved = PaymentOrder.objects.filter(
            pk=order.pk, status=PaymentOrder.Status.PAID, refunded_amount__lte=F("amount") - amount
        ).update(refunded_amount=F("refunded_amount") + amount, updated_at=timezone.now())
        locked = PaymentOrder.objects.get(pk=order.pk)
        if not reserved:
            if locked.status != PaymentOrder.Status.PAID:
                raise Conflict("只有已缴费的缴款单可以退款。", code="not_paid")
            raise InvalidInput(
                f"退款金额超过可退金额（尚可退 {locked.refundable} 元）。", field="amount", code="over_refund"
            )
        number = f"TK{locked.number[2:]}{Refund.objects.filter(order=locked).count() + 1:03d}"
        try:
            with transaction.atomic():
                record = Refund.objects.create(
                    order=locked,
                    number=number,
                    amount=amount,
                    reason=reason[:200],
                    requested_by=actor,
                    idempotency_key=idempotency_key or None,
                )
        except IntegrityError:  # the same key twice at once: the other one is the refund
            raise Conflict("该退款正在处理，请勿重复提交。", code="duplicate_refund") from None
        if locked.channel in ONLINE_CHANNELS:
            try:
                record.channel_refund_no = providers.provider(locked.channel).refund(
                    out_trade_no=locked.number, refund_no=number, amount=amount, total=locked.amount
                )
            except providers.ProviderError as exc:
                raise InvalidInput(str(exc), code="provider") from exc
            record.save(update_fields=["channel_refund_no"])
        webhooks.enqueue(locked, "payment.refunded", extra={"refund": number, "amount": str(amount)})
        audit.append(
            "payments.refund",
            actor=actor,
            obj=locked,
            summary={
                "order": locked.number,
                "refund": number,
                "amount": str(amount),
                "refunded": str(locked.refunded_amount),
            },
        )
    return record


# ---------------------------------------------------------------- expiry


def expire_due() -> int:
    """Open orders past their 缴款期限 expire (a tick duty); each in its own transaction."""
    count = 0
    for pk in PaymentOrder.objects.filter(
        status__in=PaymentOrder.OPEN, expires_at__lt=timezone.now()
    ).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            order = PaymentOrder.objects.select_for_update().get(pk=pk)
            if not order.is_open or order.expires_at >= timezone.now():
                continue
            before = order.status
            order.status = PaymentOrder.Status.EXPIRED
            order.save(update_fields=["status", "updated_at"])
            audit.append(
                "payments.expire", actor=None, obj=order, summary={"order": order.number, "from": before}
            )
            count += 1
    return count
