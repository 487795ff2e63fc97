from django.contrib import admin

from .models import Consent, SigningKey


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "client", "scopes", "created_at", "updated_at")
    list_filter = ("client",)
    search_fields = ("client__name",)
    raw_id_fields = ("user",)
    readonly_fields = ("user", "client", "scopes", "created_at", "updated_at")


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Keys can be retired here (unticking 'active'); the private key itself is never shown."""

    list_display = ("kid", "active", "created_at")
    fields = ("kid", "active", "created_at")
    readonly_fields = ("kid", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
