"""Catalogue administration (事项管理).

Forms validate through ``ServiceItem.clean`` (the national cross-checks), so a bad edit comes back
with the Chinese message on its field. Status changes go through the lifecycle services, and
every saved edit is recorded in the item's history with a new version.
"""

from django.contrib import admin, messages
from django.forms import CheckboxSelectMultiple, ModelForm, MultipleChoiceField
from django.utils.translation import gettext_lazy as _

from tongban.core.admin import ReadOnlyAdmin
from tongban.core.errors import ServiceError

from . import bundle_services, services
from .models import (
    FAQ,
    Channel,
    FeeItem,
    GuidanceQuestion,
    ItemChange,
    LifeEvent,
    LifeEventItem,
    LifeEventVersion,
    MaterialRequirement,
    ProcessStep,
    SearchSynonym,
    ServiceItem,
    ServiceObject,
    Theme,
)


class ServiceItemForm(ModelForm):
    """Service objects and channels as check boxes instead of raw JSON."""

    service_objects = MultipleChoiceField(
        label=_("服务对象"), choices=ServiceObject.choices, widget=CheckboxSelectMultiple, required=False
    )
    channels = MultipleChoiceField(
        label=_("办理渠道"), choices=Channel.choices, widget=CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ServiceItem
        fields = ("service_objects", "channels")  # the admin adds the fields of its fieldsets


class MaterialForm(ModelForm):
    forms = MultipleChoiceField(
        label=_("材料形式"),
        choices=MaterialRequirement.Form.choices,
        widget=CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = MaterialRequirement
        fields = ("forms",)  # the inline adds its other fields


class MaterialInline(admin.StackedInline):
    model = MaterialRequirement
    form = MaterialForm
    extra = 0
    fields = (
        ("order", "name"),
        ("forms", "copies", "necessity"),
        ("source", "source_note"),
        "requirements",
        "material_code",
        ("blank_form", "sample"),
    )


class StepInline(admin.TabularInline):
    model = ProcessStep
    extra = 0
    fields = ("order", "name", "description", "time_limit")


class FeeInline(admin.TabularInline):
    model = FeeItem
    extra = 0
    fields = ("name", "standard", "basis", "may_reduce")


class FAQInline(admin.StackedInline):
    model = FAQ
    extra = 0
    fields = ("order", "question", "answer")


class ChangeInline(admin.TabularInline):
    """The item's history, read-only."""

    model = ItemChange
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "from_status", "to_status", "version", "changes")
    readonly_fields = fields
    verbose_name_plural = _("变更记录")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    form = ServiceItemForm
    list_display = ("name", "code", "item_type", "department", "region", "status", "version", "updated_at")
    list_filter = ("status", "item_type", "for_person", "for_enterprise", "case_kind", "online_depth")
    search_fields = ("name", "code", "base_code", "keywords", "department__name")
    list_select_related = ("department", "region")
    raw_id_fields = ("department", "region")
    filter_horizontal = ("themes",)
    readonly_fields = ("status", "version", "published_at", "created_at", "updated_at")
    inlines = (MaterialInline, StepInline, FeeInline, FAQInline, ChangeInline)
    actions = ("publish", "withdraw", "return_to_draft")
    fieldsets = (
        (
            _("基本信息"),
            {
                "fields": (
                    ("name", "group"),
                    ("code", "base_code"),
                    ("item_type", "service_objects"),
                    ("department", "region"),
                    ("status", "version", "published_at"),
                    "summary",
                )
            },
        ),
        (_("依据与条件"), {"fields": ("legal_basis", "conditions", "prohibited")}),
        (
            _("办理时限"),
            {
                "fields": (
                    "case_kind",
                    ("legal_limit", "legal_limit_unit"),
                    ("promised_limit", "promised_limit_unit"),
                )
            },
        ),
        (_("收费"), {"fields": ("is_charged", "fee_basis")}),
        (
            _("办理方式"),
            {
                "fields": (
                    "handling_place",
                    "handling_hours",
                    "channels",
                    ("consult_phone", "consult_channels"),
                    ("complaint_phone", "complaint_channels"),
                    ("visits_required", "online_depth"),
                    ("supports_appointment", "supports_online_payment", "supports_delivery"),
                )
            },
        ),
        (_("审批结果"), {"fields": ("result_type", "result_name", "result_sample")}),
        (_("主题与检索"), {"fields": ("themes", "keywords", "popularity")}),
    )

    def save_model(self, request, obj, form, change) -> None:
        # Kept on the request: the admin instance is shared by every request.
        request._catalog_before = services.snapshot(ServiceItem.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.record_change(actor=request.user, item=form.instance, before=request._catalog_before)

    def _lifecycle(self, request, queryset, action: str, **kwargs) -> None:
        done = 0
        for item in queryset.select_related("department"):
            try:
                getattr(services, action)(actor=request.user, item=item, **kwargs)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{item.name}：{exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("已处理 %(n)d 个事项。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("发布所选事项"), permissions=["change"])
    def publish(self, request, queryset) -> None:
        self._lifecycle(request, queryset, "publish_item")

    @admin.action(description=_("撤回所选事项"), permissions=["change"])
    def withdraw(self, request, queryset) -> None:
        self._lifecycle(request, queryset, "withdraw_item", reason=str(_("管理员在管理后台撤回")))

    @admin.action(description=_("退回草稿"), permissions=["change"])
    def return_to_draft(self, request, queryset) -> None:
        self._lifecycle(request, queryset, "return_to_draft")


@admin.register(ItemChange)
class ItemChangeAdmin(ReadOnlyAdmin):
    """History is append-only: nobody adds, edits or deletes it here."""

    list_display = ("item", "action", "from_status", "to_status", "version", "actor", "at")
    list_filter = ("action",)
    search_fields = ("item__name", "item__code", "actor")
    list_select_related = ("item",)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "audience", "slug", "order")
    list_filter = ("audience",)
    search_fields = ("name", "slug")
    list_editable = ("order",)


class LifeEventItemInline(admin.TabularInline):
    model = LifeEventItem
    fk_name = "bundle"
    extra = 0
    fields = ("order", "item", "essential", "after", "on_refusal")
    raw_id_fields = ("item",)
    filter_horizontal = ("after",)


class GuidanceQuestionInline(admin.StackedInline):
    model = GuidanceQuestion
    extra = 0
    fields = ("order", "text", "help", "default_answer", "if_yes", "if_no")
    filter_horizontal = ("if_yes", "if_no")


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    """一件事: entries and questions inline; every saved edit becomes a new recorded version."""

    list_display = ("name", "audience", "region", "lead_department", "status", "version", "order")
    list_filter = ("audience", "status", "cross_region")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("region", "lead_department")
    readonly_fields = ("version", "published_at")
    inlines = [LifeEventItemInline, GuidanceQuestionInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        bundle_services.record_admin_change(actor=request.user, bundle=form.instance, created=not change)


@admin.register(LifeEventVersion)
class LifeEventVersionAdmin(ReadOnlyAdmin):
    list_display = ("bundle", "version", "action", "status", "actor", "at")
    list_filter = ("action",)
    search_fields = ("bundle__name", "bundle__slug")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ("phrase", "expansions", "updated_at")
    search_fields = ("phrase", "expansions")
