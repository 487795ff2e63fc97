"""The audit log of every state change (DESIGN §6): append-only and hash-chained.

Rows are written only by ``tongban.core.audit.append``; ``tongban audit verify`` recomputes
the chain. The head row is what appends lock, so the chain has one tip across all processes.
"""

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    """An audit entry was about to be changed or removed."""


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_time(value: dt.datetime) -> str:
    """UTC with microseconds (``2026-11-01T02:03:04.000005+00:00``): both databases keep that."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: str,
    actor_label: str,
    on_behalf_of: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: Any,
    prev_hash: str,
) -> str:
    """SHA-256 over sorted-key UTF-8 JSON of every stored field (``hash`` itself excepted)."""
    payload = {
        "seq": seq,
        "at": canonical_time(at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "on_behalf_of": on_behalf_of,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_ENCODER.encode(payload).encode("utf-8")).hexdigest()


class AuditQuerySet(models.QuerySet):
    """Bulk writes would bypass the chain, so the ORM offers none."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计记录只能追加，不能修改。")

    def delete(self) -> Any:
        raise AppendOnlyError("审计记录只能追加，不能删除。")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("审计记录只能追加，不能修改。")

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("审计记录只能通过 tongban.core.audit.append 逐条追加。")


class AuditEntry(models.Model):
    """One state change: who, for whom, what, on which object; chained to the entry before."""

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.CharField(_("操作人编号"), max_length=64, blank=True, db_index=True)
    actor_label = models.CharField(_("操作人"), max_length=200, blank=True)
    on_behalf_of = models.CharField(_("代表"), max_length=200, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    summary = models.JSONField(_("变更摘要"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ("-seq",)
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object")]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def compute_hash(self) -> str:
        return entry_hash(
            seq=self.seq,
            at=self.at,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            on_behalf_of=self.on_behalf_of,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            summary=self.summary,
            prev_hash=self.prev_hash,
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("审计记录只能追加，不能修改。")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("审计记录只能追加，不能删除。")


class AuditHead(models.Model):
    """The chain's tip (one row). Appends lock it, so every process extends the same tip."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(_("最新序号"), default=0)
    hash = models.CharField(_("最新哈希"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.seq}"
