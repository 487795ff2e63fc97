from django import forms
from django.contrib import admin

from .models import FormDefinition
from .schema import FormSchemaError, check_definition


class FormDefinitionForm(forms.ModelForm):
    """Admins edit the JSON directly; it is checked before anything is stored."""

    class Meta:
        model = FormDefinition
        fields = ("item", "title", "schema", "layout", "status")

    def validate_constraints(self) -> None:
        """Versions are numbered and the previous active form retired in save_model; the
        database constraints still hold, but must not be checked before that happens."""

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk and self.instance.status != FormDefinition.Status.DRAFT:
            if data.get("schema") != self.instance.schema or data.get("layout") != self.instance.layout:
                raise forms.ValidationError("已启用或停用的表单版本不能修改，请新建一个版本。")
        try:
            check_definition(data.get("schema") or {}, data.get("layout") or {})
        except FormSchemaError as exc:
            raise forms.ValidationError(exc.errors) from exc
        return data


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin):
    form = FormDefinitionForm
    list_display = ("title", "item", "version", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("item",)
    readonly_fields = ("version", "created_at", "activated_at")

    def save_model(self, request, obj, form, change) -> None:
        from django.db.models import Max

        if not change:
            latest = FormDefinition.objects.filter(item=obj.item).aggregate(v=Max("version"))["v"] or 0
            obj.version = latest + 1
            obj.created_by = request.user
        if obj.status == FormDefinition.Status.ACTIVE:
            FormDefinition.objects.filter(item=obj.item, status=FormDefinition.Status.ACTIVE).exclude(
                pk=obj.pk
            ).update(status=FormDefinition.Status.RETIRED)
        super().save_model(request, obj, form, change)
