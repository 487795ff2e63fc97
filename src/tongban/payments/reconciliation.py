"""对账: each channel's daily statement (the providers' bill formats) matched against the
orders paid that day. What does not match is listed for finance staff to resolve:
paid here but not in the bill, in the bill but unknown here, amounts that differ."""

import datetime as dt
import hashlib
import logging
import zipfile
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from . import providers
from .models import ONLINE_CHANNELS, Mismatch, PaymentOrder, Statement

logger = logging.getLogger(__name__)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())
    return start, start + dt.timedelta(days=1)


@transaction.atomic
def import_statement(channel: str, day: dt.date, content: bytes) -> Statement:
    """Parse one bill and match it; importing the same day again replaces its open mismatches."""
    if channel not in ONLINE_CHANNELS:
        raise InvalidInput("不支持的渠道。", field="channel")
    try:
        lines = providers.provider(channel).parse_statement(content)
    except (
        ValueError,
        KeyError,
        StopIteration,
        UnicodeDecodeError,
        ArithmeticError,
        zipfile.BadZipFile,
    ) as exc:
        raise InvalidInput(f"对账单格式不正确：{exc}", code="bad_statement") from exc
    theirs: dict[str, Decimal] = defaultdict(Decimal)
    trade_nos: dict[str, str] = {}
    for line in lines:
        if line.refund:
            continue
        theirs[line.out_trade_no] += line.amount
        trade_nos[line.out_trade_no] = line.trade_no
    start, end = _day_bounds(day)
    ours = {
        o.number: o
        for o in PaymentOrder.objects.filter(channel=channel, paid_at__gte=start, paid_at__lt=end).exclude(
            status__in=[PaymentOrder.Status.CREATED, PaymentOrder.Status.PAYING]
        )
    }
    unknown = [n for n in theirs if n not in ours]
    elsewhere = {o.number: o for o in PaymentOrder.objects.filter(number__in=unknown)}
    statement, _created = Statement.objects.update_or_create(
        channel=channel,
        bill_date=day,
        defaults={"digest": hashlib.sha256(content).hexdigest(), "lines": len(lines), "matched": 0},
    )
    statement.mismatches.filter(resolved_at__isnull=True).delete()
    found, matched = [], 0
    for number, order in ours.items():
        if number not in theirs:
            found.append(
                Mismatch(
                    statement=statement,
                    kind=Mismatch.Kind.MISSING_THERE,
                    order=order,
                    out_trade_no=number,
                    channel_trade_no=order.channel_trade_no,
                    our_amount=order.amount,
                )
            )
        elif theirs[number] != order.amount:
            found.append(
                Mismatch(
                    statement=statement,
                    kind=Mismatch.Kind.AMOUNT,
                    order=order,
                    out_trade_no=number,
                    channel_trade_no=trade_nos[number],
                    our_amount=order.amount,
                    their_amount=theirs[number],
                )
            )
        else:
            matched += 1
    for number in unknown:
        order = elsewhere.get(number)
        if order is not None and order.status == PaymentOrder.Status.PAID and order.amount == theirs[number]:
            matched += 1  # paid just across midnight: the bill's day and ours differ
            continue
        found.append(
            Mismatch(
                statement=statement,
                kind=Mismatch.Kind.MISSING_HERE,
                order=order,
                out_trade_no=number,
                channel_trade_no=trade_nos[number],
                their_amount=theirs[number],
            )
        )
    Mismatch.objects.bulk_create(found)
    statement.matched = matched
    statement.save(update_fields=["matched"])
    audit.append(
        "payments.reconcile",
        actor=None,
        obj=statement,
        summary={
            "channel": channel,
            "day": day.isoformat(),
            "lines": len(lines),
            "matched": matched,
            "mismatches": len(found),
        },
    )
    return statement


def fetch_and_import(day: dt.date | None = None) -> int:
    """The daily job: yesterday's bill of every channel (a channel that fails is logged and
    tried again on the next run)."""
    day = day or timezone.localdate() - dt.timedelta(days=1)
    done = 0
    for channel in ONLINE_CHANNELS:
        try:
            content = providers.provider(channel).statement(day)
            import_statement(channel, day, content)
            done += 1
        except (providers.ProviderError, InvalidInput, IntegrityError, OSError) as exc:
            logger.warning("statement %s %s: %s", channel, day, exc)
    return done


def daily() -> int:
    """A tick duty: once a day, after the providers publish (10:00), yesterday's bills."""
    day = timezone.localdate() - dt.timedelta(days=1)
    if timezone.localtime().hour < 10 or Statement.objects.filter(bill_date=day).count() >= len(
        ONLINE_CHANNELS
    ):
        return 0
    return fetch_and_import(day)


@transaction.atomic
def resolve(*, actor: User, mismatch: Mismatch, note: str) -> Mismatch:
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写处理说明。", field="note")
    locked = (
        Mismatch.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(pk=mismatch.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    if not permissions.has_role(actor, StaffRole.FINANCE) or (
        locked.order is not None
        and not permissions.has_role(actor, StaffRole.FINANCE, locked.order.department)
    ):
        raise PermissionDenied("只有财务人员可以处理对账差异。")
    if locked.resolved_at is not None:
        raise InvalidInput("该差异已处理。", code="resolved")
    locked.resolved_by, locked.resolved_at, locked.resolution = actor, timezone.now(), note[:200]
    locked.save(update_fields=["resolved_by", "resolved_at", "resolution"])
    audit.append(
        "payments.resolve_mismatch",
        actor=actor,
        obj=locked,
        summary={"kind": locked.kind, "out_trade_no": locked.out_trade_no, "note_sha256": audit.digest(note)},
    )
    return locked
