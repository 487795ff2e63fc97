"""Admin: the audit log, read-only (entries are written only by ``tongban.core.audit.append``),
and the base for every other append-only log shown in the admin."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import AuditEntry


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
