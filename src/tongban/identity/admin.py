"""Django admin for accounts: staff with their department roles, enterprises, agents, records.

The admin has no login of its own: it sends people to the staff login (password + TOTP), and
only a staff account whose second factor is verified may use it.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.core.masking import mask_mobile
from tongban.departments.models import Department

from . import permissions
from .models import (
    ActionRecord,
    AgentAuthorization,
    EnterpriseAccount,
    LoginEvent,
    StaffMembership,
    StaffRole,
    User,
)


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


def administered_departments(user: User) -> QuerySet[Department] | None:
    """The departments a department administrator (系统管理) manages; None for a superuser (all).

    Department administrators are not superusers (issue 19, finding 6): in the admin they see
    and manage only their own departments' staff, and nothing of the base registries."""
    if user.is_superuser:
        return None
    ids = [m.department_id for m in permissions.memberships(user) if m.role == StaffRole.PLATFORM_ADMIN]
    return Department.objects.filter(pk__in=ids)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 1
    autocomplete_fields = ("department",)
    verbose_name = _("部门角色")
    verbose_name_plural = _("部门角色（一人可有多个角色）")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffMembership]:
        own = administered_departments(request.user)
        queryset = super().get_queryset(request)
        return queryset if own is None else queryset.filter(department__in=own)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        own = administered_departments(request.user)
        if db_field.name == "department" and own is not None:
            kwargs["queryset"] = own
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """A department administrator sees the staff of their departments, no citizen and no one else."""
        own = administered_departments(request.user)
        queryset = super().get_queryset(request)
        if own is None:
            return queryset
        return queryset.filter(kind=User.Kind.STAFF, memberships__department__in=own).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        """Only a superuser makes superusers or grants admin access; ID numbers are not for the admin."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_staff", "is_superuser", "id_number", "mobile")

    def get_search_fields(self, request: HttpRequest) -> tuple:
        fields = tuple(super().get_search_fields(request))
        return fields if request.user.is_superuser else tuple(f for f in fields if f != "=id_number")


class SecretlessTOTPDeviceAdmin(TOTPDeviceAdmin):
    """TOTP devices without their secret, for everyone, superusers included (issue 19, finding 6).

    The secret is shown once, to its owner, when they enrol (identity's login_enrol); afterwards
    no page shows it: no key field, no QR code, no configuration page."""

    exclude = ("key",)

    def get_list_display(self, request: HttpRequest) -> list:
        return [f for f in super().get_list_display(request) if f != "qrcode_link"]

    def get_fieldsets(self, request: HttpRequest, obj: TOTPDevice | None = None) -> list:
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [f for f in options["fields"] if f not in ("key", "qrcode_link")]
            if fields:
                fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def get_urls(self) -> list:
        hidden = {"otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"}
        return [u for u in super().get_urls() if getattr(u, "name", None) not in hidden]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TOTPDevice]:
        own = administered_departments(request.user)
        queryset = super().get_queryset(request)
        return queryset if own is None else queryset.filter(user__memberships__department__in=own).distinct()


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, SecretlessTOTPDeviceAdmin)


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
