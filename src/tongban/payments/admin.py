"""Admin: the departments' webhook endpoints (platform admins set them up); orders, callbacks
and deliveries read-only (every change to them goes through the services and the audit chain)."""

from django.contrib import admin

from .models import Callback, PaymentOrder, WebhookDelivery, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("department", "url", "is_active")
    list_filter = ("is_active",)
    autocomplete_fields = ("department",)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnly):
    list_display = ("number", "subject", "amount", "refunded_amount", "status", "channel", "settlement_date")
    list_filter = ("status", "channel")
    search_fields = ("number", "payment_code", "channel_trade_no")


@admin.register(Callback)
class CallbackAdmin(ReadOnly):
    list_display = ("received_at", "channel", "notify_id", "order", "event", "outcome", "detail")
    list_filter = ("channel", "outcome")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ("created_at", "endpoint", "event", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "event")
    readonly_fields = ("log",)
