"""Admin: the audit log, read-only (entries are written only by ``tongban.core.audit.append``),
and the base for every other append-only log shown in the admin; the task queue's dead letters
(with their replay action) and live workers."""

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import tasks_queue
from .errors import ServiceError
from .models import AuditEntry, DeadLetter, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log that only its own service writes: the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_label", "on_behalf_of", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("=seq", "=actor_id", "actor_label", "on_behalf_of", "=object_id", "action")
    date_hierarchy = "at"
    readonly_fields = tuple(f.name for f in AuditEntry._meta.fields)
    actions = None
    show_full_result_count = False


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Tasks given up on, for superusers and operators granted ``core.replay_deadletter`` (and
    ``core.view_deadletter``): read what went wrong, then replay."""

    list_display = ("created_at", "task_name", "reason", "attempts", "exception_class_path", "replayed_at")
    list_filter = ("reason", ("replayed_at", admin.EmptyFieldListFilter))
    search_fields = ("task_path", "=task__id")
    readonly_fields = (
        "task",
        "task_path",
        "reason",
        "attempts",
        "worker_ids",
        "exception_class_path",
        "traceback",
        "created_at",
        "replayed_at",
        "replayed_by",
    )
    actions = ("replay",)

    @admin.display(description=_("任务"))
    def task_name(self, letter: DeadLetter) -> str:
        return letter.task_path.rsplit(".", 1)[-1]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return tasks_queue.may_replay(request.user)

    @admin.action(description=_("重新执行所选任务"), permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done, refused = 0, []
        for letter in queryset:
            try:
                tasks_queue.replay(actor=request.user, letter=letter)
                done += 1
            except ServiceError as exc:
                refused.append(f"{letter}：{exc.message}")
        if done:
            self.message_user(request, _("已将 %(n)d 个任务放回队列。") % {"n": done}, messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "host", "pid", "started_at", "seen_at")
    readonly_fields = tuple(f.name for f in WorkerHeartbeat._meta.fields)
    actions = None
