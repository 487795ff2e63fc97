"""The admin for department systems; DOT registers it for the swapped application model (APPLICATION_ADMIN_CLASS)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _


class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "client_id", "may_receive_full_id", "is_active", "created")
    list_filter = ("is_active", "may_receive_full_id", "client_type")
    search_fields = ("name", "client_id", "department__name")
    autocomplete_fields = ("department",)
    raw_id_fields = ("user",)
    readonly_fields = ("created", "updated", "registration_source", "cimd_expires_at")
    fieldsets = (
        (None, {"fields": ("name", "department", "is_active", "may_receive_full_id")}),
        (
            _("OpenID Connect"),
            {
                "fields": (
                    "client_id",
                    "client_secret",
                    "hash_client_secret",
                    "client_type",
                    "authorization_grant_type",
                    "algorithm",
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "allowed_origins",
                    "skip_authorization",
                    "user",
                ),
                "description": _("新建时请记下客户端密钥：保存后只存储其摘要，无法再查看。"),
            },
        ),
        (_("记录"), {"fields": ("created", "updated", "registration_source", "cimd_expires_at")}),
    )
    actions = ["deactivate"]

    @admin.action(description=_("停用所选系统并撤销其全部令牌"))
    def deactivate(self, request, queryset) -> None:
        from tongban.core.errors import ServiceError

        from .services import deactivate_client

        done = 0
        for client in queryset:
            try:
                deactivate_client(client=client, actor=request.user)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            done += 1
        self.message_user(request, _("已停用 %(n)d 个系统。") % {"n": done}, messages.SUCCESS)
