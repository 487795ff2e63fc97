from django.contrib import admin

from .models import Appeal, Rating, Rectification, WindowVisit


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("department", "level", "channel", "is_default", "excluded", "created_at")
    list_filter = ("level", "channel", "is_default", "excluded")
    raw_id_fields = ("case", "visit", "department", "item", "rater")


@admin.register(Rectification)
class RectificationAdmin(admin.ModelAdmin):
    list_display = ("rating", "department", "status", "callback_due", "rectify_due")
    list_filter = ("status",)
    raw_id_fields = ("rating", "department", "handled_by")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("rating", "department", "status", "submitted_at")
    list_filter = ("status",)
    raw_id_fields = ("rating", "department", "submitted_by", "decided_by")


@admin.register(WindowVisit)
class WindowVisitAdmin(admin.ModelAdmin):
    list_display = ("department", "clerk", "created_at", "expires_at")
    raw_id_fields = ("department", "clerk", "case", "item")
