"""The audit log of every state change (DESIGN §6): append-only and hash-chained.

Rows are written only by ``tongban.core.audit.append``; ``tongban audit verify`` recomputes
the chain. The head row is what appends lock, so the chain has one tip across all processes.

Also the task queue's own rows (``tongban.core.tasks_queue``): worker heartbeats, dead letters
and the keys of effects that tasks have had.
"""

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
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


class WorkerHeartbeat(models.Model):
    """A task worker that is alive: it rewrites ``seen_at`` every third of the lease.

    A running task whose worker has not been seen for a whole lease is taken up again
    (``tongban.core.tasks_queue.reclaim_stale``); one heartbeat per worker, not per task, so a
    long task costs nothing more.
    """

    worker_id = models.CharField(_("处理进程编号"), max_length=64, primary_key=True)
    host = models.CharField(_("主机"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), default=0)
    started_at = models.DateTimeField(_("启动时间"))
    seen_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台任务处理进程")
        verbose_name_plural = _("后台任务处理进程")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class DeadLetter(models.Model):
    """A task given up on: it raised on every attempt, or its workers died under it as often.

    The task row goes to FAILED and stays; staff see the letter and may replay it, which puts
    the same row (same id, so the same idempotency keys) back in the queue.
    """

    class Reason(models.TextChoices):
        FAILED = "failed", _("多次执行出错")
        ABANDONED = "abandoned", _("处理进程多次中断")

    task = models.ForeignKey(
        "django_tasks_database.DBTaskResult", on_delete=models.CASCADE, related_name="dead_letters"
    )
    task_path = models.TextField(_("任务"))
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"))
    worker_ids = models.JSONField(_("执行过的处理进程"), default=list)
    exception_class_path = models.TextField(_("异常类型"), blank=True)
    traceback = models.TextField(_("错误详情"), blank=True)
    created_at = models.DateTimeField(_("放弃时间"), auto_now_add=True, db_index=True)
    replayed_at = models.DateTimeField(_("重新执行时间"), null=True, blank=True)
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("死信（放弃的后台任务）")
        verbose_name_plural = _("死信（放弃的后台任务）")
        ordering = ("-created_at",)
        default_permissions = ("view",)
        permissions = [("replay_deadletter", _("可以重新执行放弃的后台任务"))]

    def __str__(self) -> str:
        return f"{self.task_path.rsplit('.', 1)[-1]} ({self.get_reason_display()})"


class TaskEffect(models.Model):
    """An effect a task has had, by key: written in the transaction of the effect itself, so a
    task that runs again (its worker died after committing) finds the key and does nothing."""

    key = models.CharField(_("键"), max_length=200, unique=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("任务效果")
        verbose_name_plural = _("任务效果")
        default_permissions = ()

    def __str__(self) -> str:
        return self.key


class AuditAnchor(models.Model):
    """The chain's head at one moment, signed with the platform's key and published.

    ``jws`` is what counts: the compact JWS over the sequence and hash it pins. The other columns
    repeat its payload for listing; a verifier reads only the signed payload.
    """

    seq = models.BigIntegerField(_("锚定序号"), unique=True)
    hash = models.CharField(_("锚定哈希"), max_length=64)
    entry_at = models.DateTimeField(_("该条记录时间"))
    anchored_at = models.DateTimeField(_("签署时间"), db_index=True)
    kid = models.CharField(_("密钥标识"), max_length=80)
    alg = models.CharField(_("签名算法"), max_length=16)
    jws = models.TextField(_("签名（JWS）"))

    class Meta:
        verbose_name = _("审计锚点")
        verbose_name_plural = _("审计锚点")
        ordering = ("-seq",)
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
