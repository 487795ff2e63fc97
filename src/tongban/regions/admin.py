from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Admins may add villages; the four shipped levels come from `tongban regions load`."""

    list_display = ("code", "name", "level", "full_name")
    list_filter = ("level",)
    search_fields = ("code", "name", "full_name")
    raw_id_fields = ("parent",)
