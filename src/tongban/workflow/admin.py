import hashlib
import uuid

from django import forms
from django.contrib import admin

from .engine import ProcessError, inspect_bpmn
from .models import ItemProcess, ProcessDefinition


class ProcessDefinitionForm(forms.ModelForm):
    """Uploaded BPMN is validated against Tongban's conventions before it is stored."""

    upload = forms.FileField(
        label="BPMN 文件", required=False, help_text="上传 .bpmn 文件，或直接编辑下方文档"
    )

    class Meta:
        model = ProcessDefinition
        fields = ("name", "department", "bpmn")

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if upload.size > 512 * 1024:
                raise forms.ValidationError("BPMN 文件过大（上限 512 KB）。")
            try:
                data["bpmn"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("BPMN 文件必须是 UTF-8 编码。") from exc
        if self.instance.pk and self.instance.cases.exists() and data.get("bpmn") != self.instance.bpmn:
            raise forms.ValidationError("已有办件使用该流程，不能修改，请新建流程定义。")
        try:
            inspect_bpmn(data.get("bpmn") or "")
        except ProcessError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    form = ProcessDefinitionForm
    list_display = ("name", "key", "is_template", "department", "created_at")
    list_filter = ("is_template",)
    readonly_fields = ("key", "digest", "created_at")

    def save_model(self, request, obj, form, change) -> None:
        obj.bpmn = form.cleaned_data["bpmn"]
        obj.digest = hashlib.sha256(obj.bpmn.encode()).hexdigest()
        if not change:
            obj.key = f"custom:{uuid.uuid4().hex}"
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ItemProcess)
class ItemProcessAdmin(admin.ModelAdmin):
    list_display = ("item", "definition", "updated_at")
    raw_id_fields = ("item",)
