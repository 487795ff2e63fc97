"""Django admin for accounts: staff with their department roles, enterprises, agents, records.

The admin has no login of its own: it sends people to the staff login (password + TOTP), and
only a staff account whose second factor is verified may use it.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from tongban.core.masking import mask_mobile

from .models import ActionRecord, AgentAuthorization, EnterpriseAccount, LoginEvent, StaffMembership, User


def _staff_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    return redirect(
        f"{reverse('identity:staff_login')}?{urlencode({'next': request.GET.get('next', '/admin/')})}"
    )


def _has_permission(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active and user.is_staff and getattr(user, "kind", "") == "staff" and user.is_verified()
    )


admin.site.login = _staff_login
admin.site.has_permission = _has_permission


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 1
    autocomplete_fields = ("department",)
    verbose_name = _("部门角色")
    verbose_name_plural = _("部门角色（一人可有多个角色）")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "real_name", "kind", "real_name_level", "masked_mobile", "is_active")
    list_filter = ("kind", "real_name_level", "is_active", "memberships__role")
    search_fields = ("username", "real_name", "=mobile", "=id_number")
    ordering = ("kind", "username")
    inlines = [StaffMembershipInline]
    fieldsets = (
        (None, {"fields": ("username", "password", "kind")}),
        (_("实名信息"), {"fields": ("real_name", "mobile", "id_number", "real_name_level", "email")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (
            _("时间"),
            {"fields": ("last_login", "date_joined", "real_name_verified_at", "in_person_verified_at")},
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "kind", "real_name", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined", "real_name_verified_at", "in_person_verified_at")

    @admin.display(description=_("手机号码"))
    def masked_mobile(self, obj: User) -> str:
        return mask_mobile(obj.mobile)

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        return self.inlines if obj is not None and obj.kind == User.Kind.STAFF else []


@admin.register(EnterpriseAccount)
class EnterpriseAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "legal_rep", "opened_at", "is_active")
    search_fields = ("name", "=uscc")
    raw_id_fields = ("record", "legal_rep")


@admin.register(AgentAuthorization)
class AgentAuthorizationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "agent", "all_items", "valid_from", "valid_until", "revoked_at")
    list_filter = ("all_items",)
    raw_id_fields = ("enterprise", "agent", "granted_by", "revoked_by")
    filter_horizontal = ("items",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are evidence: visible to admins, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ActionRecord)
class ActionRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user_label", "enterprise", "department", "action", "summary")
    list_filter = ("action",)
    search_fields = ("user_label", "summary", "target_id")


@admin.register(LoginEvent)
class LoginEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "method", "success", "ip")
    list_filter = ("method", "success")
    raw_id_fields = ("user",)
