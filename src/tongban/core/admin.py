"""Admin: the audit log, read-only (entries are written only by ``tongban.core.audit.append``)."""

from typing import Any

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_label", "on_behalf_of", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("=seq", "=actor_id", "actor_label", "on_behalf_of", "=object_id", "action")
    date_hierarchy = "at"
    readonly_fields = tuple(f.name for f in AuditEntry._meta.fields)
    actions = None
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:  # noqa: ANN401
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:  # noqa: ANN401
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:  # noqa: ANN401
        return False
