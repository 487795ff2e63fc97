from django.contrib import admin

from tongban.core.admin import ReadOnlyAdmin

from .models import DataAccessLog, EnterpriseRecord, PopulationRecord


@admin.register(PopulationRecord)
class PopulationRecordAdmin(admin.ModelAdmin):
    list_display = ("name", "id_number", "sex", "birth_date", "region", "status")
    list_filter = ("status", "sex")
    search_fields = ("=id_number", "name")
    raw_id_fields = ("region",)


@admin.register(EnterpriseRecord)
class EnterpriseRecordAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "legal_rep_name", "kind", "region", "status")
    list_filter = ("status", "kind")
    search_fields = ("=uscc", "name")
    raw_id_fields = ("region",)


@admin.register(DataAccessLog)
class DataAccessLogAdmin(ReadOnlyAdmin):
    """Read-only: the log is evidence, nobody edits or deletes it."""

    list_display = ("created_at", "accessor_label", "department", "purpose", "subject_id_number", "found")
    list_filter = ("found",)
    search_fields = ("=subject_id_number", "purpose")
