"""Catalogue admins upload or edit decision tables (checked on save, Chinese errors), publish a
version, simulate a draft against past decisions or the registry, and mark items 秒批 and
policies 免申即享. ``DecisionTable`` belongs to ``workflow``; its admin is here because the
names a table may read (``inputs.KNOWN``) are this app's."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tongban.core.errors import InvalidInput, ServiceError
from tongban.workflow.dmn import services as dmn
from tongban.workflow.models import DecisionTable

from . import inputs, simulation
from .models import AutomaticDecision, HumanReview, InstantApproval, Offer, Policy


class DecisionTableForm(forms.ModelForm):
    upload = forms.FileField(
        label="DMN 文件",
        required=False,
        help_text="上传任一 DMN 建模工具导出的 .dmn 文件，或直接编辑下方文档",
    )

    class Meta:
        model = DecisionTable
        fields = ("key", "name", "department", "decision", "note", "dmn")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dmn"].required = False
        self.fields["decision"].required = False

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if upload.size > 512 * 1024:
                raise forms.ValidationError("DMN 文件过大（上限 512 KB）。")
            try:
                data["dmn"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("DMN 文件必须是 UTF-8 编码。") from exc
        if not data.get("dmn"):
            raise forms.ValidationError("请上传 DMN 文件或填写文档。")
        try:
            _model, data["decision"] = dmn.validate(data["dmn"], inputs.KNOWN, data.get("decision") or "")
        except InvalidInput as exc:
            raise forms.ValidationError([m for m in exc.message.split("；")]) from exc
        return data


@admin.register(DecisionTable)
class DecisionTableAdmin(admin.ModelAdmin):
    form = DecisionTableForm
    list_display = ("name", "key", "version", "status", "short_digest", "published_at")
    list_filter = ("status",)
    search_fields = ("name", "key")
    actions = ("publish", "simulate")

    def has_change_permission(self, request: HttpRequest, obj: DecisionTable | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # versions never change

    def save_model(self, request: HttpRequest, obj: DecisionTable, form: forms.Form, change: bool) -> None:
        saved = dmn.upload_table(
            actor=request.user,
            key=obj.key,
            name=obj.name,
            dmn=form.cleaned_data["dmn"],
            department=obj.department,
            known=inputs.KNOWN,
            decision=form.cleaned_data["decision"],
            note=obj.note,
        )
        obj.pk = saved.pk

    @admin.action(description="发布所选草稿（原版本停用）")
    def publish(self, request: HttpRequest, queryset: object) -> None:
        for table in queryset:
            try:
                dmn.publish_table(actor=request.user, table=table)
            except ServiceError as exc:
                self.message_user(request, f"{table}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"已发布 {table}。")

    @admin.action(description="模拟：对照现行版本，看看会改变多少决定")
    def simulate(self, request: HttpRequest, queryset: object) -> HttpResponse:
        results = []
        for table in queryset:
            policy = Policy.objects.filter(table_key=table.key).first()
            result = (
                simulation.simulate_policy(table, policy, actor=request.user)
                if policy
                else simulation.simulate_cases(table)
            )
            results.append((table, "登记人口" if policy else "以往自动决定", result))
        return TemplateResponse(
            request,
            "decisions/simulation.html",
            {**self.admin_site.each_context(request), "results": results, "title": "决策表模拟"},
        )


@admin.register(InstantApproval)
class InstantApprovalAdmin(admin.ModelAdmin):
    list_display = ("item", "table_key", "is_active")
    raw_id_fields = ("item",)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "item", "table_key", "period", "is_active")
    raw_id_fields = ("item",)


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("policy", "period", "status", "channel", "created_at")
    list_filter = ("status", "channel", "policy")
    readonly_fields = [f.name for f in Offer._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AutomaticDecision)
class AutomaticDecisionAdmin(admin.ModelAdmin):
    list_display = ("case", "outcome", "table", "created_at", "finished_at")
    list_filter = ("outcome",)
    readonly_fields = [f.name for f in AutomaticDecision._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(HumanReview)
class HumanReviewAdmin(admin.ModelAdmin):
    list_display = ("case", "status", "due_date")
    list_filter = ("status",)
