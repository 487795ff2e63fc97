"""Appending to and verifying the audit log of every state change (DESIGN §6).

Services call ``append`` inside the transaction that makes the change, so the entry and the
change commit or roll back together. Appends lock the single ``AuditHead`` row, so concurrent
processes queue behind one another and the chain never forks; the sequence numbers come from
that row and are gapless (a rolled-back append gives its number back).

Keep ``append`` the last write of a transaction: the head lock is held until commit, and
taking other row locks after it invites lock-order deadlocks with other appenders.
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from . import masking
from .models import GENESIS, AuditEntry, AuditHead, entry_hash
from .rawsql import table
from .types import User
from .types import actor_label as label_of

if TYPE_CHECKING:
    from tongban.identity.actors import Actor

_HEAD = table(AuditHead)

REMOVED = "[已隐去]"

# Trigger names created by migration 0001 (see docs/audit.md); ``verify`` checks they exist.
GUARD_TRIGGERS = {
    "postgresql": ("core_auditentry_append_only", "core_auditentry_no_truncate"),
    "sqlite": ("core_auditentry_no_update", "core_auditentry_no_delete"),
}

_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|otp|totp|captcha|private|credential|api_?key|(^|_)key$|"
    r"(sms|verify|verification|auth|one_time|login)_?code|code_verifier|signature|cookie|session",
    re.IGNORECASE,
)
_ID_KEY = re.compile(r"id_?number|id_?no$|id_?card|identity_?number|身份证", re.IGNORECASE)
_MOBILE_KEY = re.compile(r"mobile|phone|tel$|telephone|手机|电话", re.IGNORECASE)
_EMAIL_KEY = re.compile(r"e_?mail|邮箱", re.IGNORECASE)
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    """ID numbers and mobile numbers inside free text, masked as ``tongban.core.masking`` does."""
    text = _ID_IN_TEXT.sub(lambda m: masking.mask_id_number(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: masking.mask_mobile(m.group(0)), text)


def digest(text: str) -> str:
    """SHA-256 of free text (an opinion, a reason): proves later what was written, shows nothing."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {
            str(k): (REMOVED if _SECRET_KEY.search(str(k)) else _clean(v, str(k))) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, key) for v in value]
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if _ID_KEY.search(key):
            return masking.mask_id_number(value)
        if _MOBILE_KEY.search(key):
            return masking.mask_mobile(value)
        if _EMAIL_KEY.search(key):
            return masking.mask_email(value)
        return mask_text(value)
    return value


def clean_summary(summary: dict[str, Any] | None) -> dict[str, Any]:
    """What may be kept: secrets and codes removed, personal identifiers masked, plain JSON.

    The result is exactly what the database gives back, so the hash computed at append time is
    the hash recomputed by ``verify_chain``.
    """
    text = json.dumps(_clean(dict(summary or {})), cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return json.loads(text)


def _actor_parts(actor: "User | Actor | None") -> tuple[User | None, Any]:
    """A user, an identity ``Actor`` (user + enterprise), or None for the system."""
    if actor is not None and not hasattr(actor, "_meta") and hasattr(actor, "user"):
        return actor.user, getattr(actor, "enterprise", None)
    return actor, None


def _label(user: User | None) -> str:
    """The platform's one actor label (``core.types.actor_label``), masked: the chain keeps no
    full ID or mobile number, even when a user's name is one."""
    return mask_text(label_of(user))


def _lock_head() -> tuple[int, str]:
    """The tip's sequence and hash, its row locked until commit (hand-written: every write of the
    platform passes here, and the ORM took longer to build the statement than to run it)."""
    lock = connection.ops.for_update_sql() if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {_HEAD} WHERE id = 1 {lock}")  # noqa: S608 (constants)
        row = cursor.fetchone()
    if row is not None:
        return row
    # The migration creates the head; ``flush`` removes it. Start again from the last entry.
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    try:
        with transaction.atomic():
            AuditHead.objects.create(pk=1, seq=last[0] if last else 0, hash=last[1] if last else GENESIS)
    except IntegrityError:
        pass  # another process created it first; its row is locked below like any other
    head = AuditHead.objects.select_for_update().get(pk=1)
    return head.seq, head.hash


def _fields(
    action: str,
    *,
    actor: "User | Actor | None" = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    summary: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
    actor_label: str | None = None,
) -> dict[str, Any]:
    user, enterprise = _actor_parts(actor)
    if on_behalf_of is None:
        on_behalf_of = getattr(enterprise, "name", "") or ""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return {
        "actor_id": str(user.pk) if getattr(user, "pk", None) is not None else "",
        "actor_label": (mask_text(actor_label) if actor_label else _label(user))[:200],
        "on_behalf_of": mask_text(on_behalf_of)[:200],
        "action": action[:64],
        "object_type": object_type[:64],
        "object_id": str(object_id)[:64],
        "summary": clean_summary(summary),
    }


def append(
    action: str,
    *,
    actor: "User | Actor | None" = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    summary: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Record one state change as the next link of the chain, in the caller's transaction.

    ``actor`` is a user, an identity ``Actor`` or None (the system, unless ``actor_label`` names
    someone who is not signed in); ``on_behalf_of`` defaults to the Actor's enterprise.
    ``summary`` is cleaned with ``clean_summary``.
    """
    fields = _fields(
        action,
        actor=actor,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        on_behalf_of=on_behalf_of,
        actor_label=actor_label,
    )
    return _chain([fields])[0]


def append_many(entries: list[dict[str, Any]]) -> list[AuditEntry]:
    """Several changes of one transaction (a 一件事 split: every child case and the joint case)
    as consecutive links: each dict holds ``append``'s arguments, ``action`` included. The head
    is locked and moved once for all of them; the entries are the same as that many
    ``append`` calls would make, so ``verify`` cannot tell the difference."""
    return _chain([_fields(**entry) for entry in entries])


def _chain(rows: list[dict[str, Any]]) -> list[AuditEntry]:
    # No savepoint of its own: if the append fails, the change it records must fail with it.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _lock_head()
        entries = []
        for fields in rows:
            seq += 1
            entry = AuditEntry(seq=seq, at=timezone.now(), prev_hash=prev_hash, **fields)
            entry.hash = prev_hash = entry.compute_hash()
            entry.save()
            entries.append(entry)
        if entries:
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {_HEAD} SET seq = %s, hash = %s WHERE id = 1", [seq, prev_hash])  # noqa: S608 (constants)
    return entries


@dataclass(frozen=True)
class ChainReport:
    """``checked`` entries were verified; ``seq`` names the first broken entry, if any."""

    checked: int
    seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.seq is None


_PAGE = (
    "SELECT seq, at, actor_id, actor_label, on_behalf_of, action, object_type, object_id, summary, "
    "prev_hash, hash FROM core_auditentry WHERE seq > %s ORDER BY seq LIMIT %s"
)


def _rows(chunk_size: int) -> Iterator[tuple]:
    """Every entry in sequence order, a page at a time (keyset on the primary key).

    Raw rows skip the ORM's per-value converters, which cost more than the hashing itself;
    the two conversions needed (SQLite's naive UTC datetimes, JSON text) are done here.
    """
    after = -(2**63)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_PAGE, [after, chunk_size])
            page = cursor.fetchall()
        for row in page:
            at, summary = row[1], row[8]
            try:
                if isinstance(at, str):
                    at = dt.datetime.fromisoformat(at)
                if at.tzinfo is None:  # SQLite keeps UTC without an offset
                    at = at.replace(tzinfo=dt.UTC)
                if isinstance(summary, str | bytes):
                    summary = json.loads(summary)
            except (AttributeError, ValueError):
                pass  # left as stored text: the hash cannot match and verify names the entry
            yield (row[0], at, *row[2:8], summary, row[9], row[10])
        if len(page) < chunk_size:
            return
        after = page[-1][0]


def verify_chain(chunk_size: int = 5000) -> ChainReport:
    """Recompute every hash in sequence order; stop at the first gap, changed or foreign entry.

    The head is read first: entries appended while this runs come after it and are checked too,
    and an entry missing from the end of the chain shows as a head that points past the end.
    """
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    expected, prev, checked = 1, GENESIS, 0
    for seq, at, actor_id, actor_label, behalf, action, otype, oid, summary, prev_hash, stored in _rows(
        chunk_size
    ):
        if seq > expected:
            missing = f"第 {expected} 条" if seq == expected + 1 else f"第 {expected}–{seq - 1} 条"
            return ChainReport(checked, expected, f"{missing}审计记录缺失（其后一条为第 {seq} 条）")
        if seq < expected:
            return ChainReport(checked, seq, f"第 {seq} 条审计记录的序号不在应有位置")
        if prev_hash != prev:
            return ChainReport(checked, seq, f"第 {seq} 条审计记录的前一条哈希与第 {seq - 1} 条不符")
        try:
            computed = entry_hash(
                seq=seq,
                at=at,
                actor_id=actor_id,
                actor_label=actor_label,
                on_behalf_of=behalf,
                action=action,
                object_type=otype,
                object_id=oid,
                summary=summary,
                prev_hash=prev_hash,
            )
        except (AttributeError, TypeError, ValueError):
            computed = ""
        if computed != stored:
            return ChainReport(checked, seq, f"第 {seq} 条审计记录的内容与哈希不符（记录被改动）")
        if head is not None and seq == head[0] and stored != head[1]:
            return ChainReport(checked, seq, f"第 {seq} 条审计记录与链头记下的哈希不符")
        checked += 1
        prev, expected = stored, expected + 1
    if head is not None and head[0] >= expected:
        return ChainReport(checked, expected, f"链头指向第 {head[0]} 条，但第 {expected} 条起的审计记录缺失")
    return ChainReport(checked)


def guard_installed(using: Any = None) -> bool:
    """Whether the database triggers that refuse UPDATE and DELETE are in place and enabled."""
    conn = using or connection
    names = GUARD_TRIGGERS.get(conn.vendor)
    if names is None:
        return False
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditentry'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditentry'"
            )
        present = {row[0] for row in cursor.fetchall()}
    return set(names) <= present


def tail(n: int = 20) -> list[AuditEntry]:
    """The last ``n`` entries, oldest first."""
    return list(reversed(AuditEntry.objects.order_by("-seq")[: max(n, 0)]))


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """Every entry about one object, newest first (for supervisors' pages)."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
        "-seq"
    )
