from django.contrib import admin

from .models import Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "uscc", "local_code", "is_active")
    list_filter = ("is_active", "region__level")
    search_fields = ("name", "uscc", "local_code")
    raw_id_fields = ("region",)
