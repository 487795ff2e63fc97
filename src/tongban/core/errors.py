"""Errors raised by service functions, with a stable code and a Chinese message.

Pages show ``message``; the API answers ``{"code": ..., "message": ...}`` with ``status``.
"""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    code = "error"
    status = 400
    default_message = _("请求无法完成。")

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.field = field
        super().__init__(self.message)


class NotFound(ServiceError):
    code = "not_found"
    status = 404
    default_message = _("找不到该对象，或您无权查看。")


class PermissionDenied(ServiceError):
    code = "forbidden"
    status = 403
    default_message = _("您没有执行此操作的权限。")


class InvalidInput(ServiceError):
    code = "invalid"
    status = 400
    default_message = _("输入不正确。")
