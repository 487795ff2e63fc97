from django.contrib import admin

from .models import FormDefinition


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin):
    list_display = ("title", "item", "version", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("item", "created_by")
    readonly_fields = ("version", "created_at", "activated_at")
