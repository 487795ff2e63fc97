"""Admin: certificate types (证照目录) for catalogue admins; certificates and keys read-only."""

from django.contrib import admin

from .models import Certificate, CertificateEvent, CertificateType, SealKey, Share


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "department", "holder_kind", "validity", "validity_count", "is_active")
    list_filter = ("is_active", "holder_kind", "template", "registry_source")
    search_fields = ("name", "code", "department__name")
    autocomplete_fields = ("department",)
    raw_id_fields = ("issued_by_items", "accepted_for")


@admin.register(SealKey)
class SealKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "department", "algorithm", "created_at", "retired_at")
    list_filter = ("algorithm",)
    readonly_fields = (
        "kid",
        "department",
        "issuer_uscc",
        "algorithm",
        "public_key",
        "created_at",
        "retired_at",
    )

    def has_add_permission(self, request) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = CertificateEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor_label", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("identifier", "type", "holder_name", "status", "valid_until", "issued_at")
    list_filter = ("status", "origin", "type")
    search_fields = ("identifier", "holder_name")
    readonly_fields = [f.name for f in Certificate._meta.fields]
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = ("certificate", "recipient", "purpose", "valid_until", "revoked_at")
    readonly_fields = ("certificate", "recipient", "purpose", "created_by", "valid_until", "revoked_at")
    exclude = ("token",)

    def has_add_permission(self, request) -> bool:
        return False
