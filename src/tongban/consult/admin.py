"""Admin: limits per kind, categories (Open311 services), centres, dispatch rules, Open311 keys
(issued through the service, the key shown once), and read-only views of requests and the
assistant's log."""

from django.contrib import admin, messages
from django.http import HttpRequest

from . import services
from .models import (
    ApiClient,
    AssistantLog,
    Category,
    Centre,
    DispatchRule,
    KindRule,
    Petition,
    PublishedAnswer,
)


@admin.register(KindRule)
class KindRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "answer_workdays", "extension_workdays", "anonymous_allowed")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "group", "active", "order")
    list_filter = ("active", "group")


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ("department", "region")
    raw_id_fields = ("department", "region")


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "category", "region_code", "department", "priority", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("department",)


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (and the audit chain)."""

    list_display = ("number", "kind", "status", "department", "due_date", "created_at")
    list_filter = ("kind", "status", "channel")
    search_fields = ("number",)
    exclude = ("contact_phone", "contact_email", "contact_name")

    def has_change_permission(self, request: HttpRequest, obj: Petition | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PublishedAnswer)
class PublishedAnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "item", "published_at")
    raw_id_fields = ("petition", "item")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """New keys come from ``services.create_api_client``; the key is shown once, then only its digest is kept."""

    list_display = ("name", "key_prefix", "active", "created_at")
    fields = ("name", "active")

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, key = services.create_api_client(actor=request.user, name=obj.name)
        obj.pk = client.pk
        messages.warning(request, f"接口密钥（只显示这一次，请妥善转交）：{key}")


@admin.register(AssistantLog)
class AssistantLogAdmin(admin.ModelAdmin):
    list_display = ("day", "question", "outcome", "item_code", "section")
    list_filter = ("outcome", "day")

    def has_change_permission(self, request: HttpRequest, obj: AssistantLog | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
