from django.contrib import admin

from .models import ItemProcess, ProcessDefinition


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "is_template", "department", "created_at")
    list_filter = ("is_template",)
    readonly_fields = ("digest", "created_at")


@admin.register(ItemProcess)
class ItemProcessAdmin(admin.ModelAdmin):
    list_display = ("item", "definition", "updated_at")
    raw_id_fields = ("item",)
