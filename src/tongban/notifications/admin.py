from django.contrib import admin

from .models import Delivery, MessageTemplate, Notification, WebhookDelivery, WebhookSubscription


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "subject", "is_active", "updated_at")
    list_filter = ("channel", "is_active")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "url", "is_active")
    raw_id_fields = ("department", "created_by")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "subscription", "status", "attempts", "response_status", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("channel", "event", "status", "attempts", "created_at")
    list_filter = ("status", "channel")
    exclude = ("body",)
    readonly_fields = ("channel", "user", "subject", "event", "status", "attempts", "last_error", "sent_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "created_at", "read_at")
    raw_id_fields = ("user",)
