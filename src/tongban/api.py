"""The JSON API: one Ninja instance, one router per app, mounted at /api/v1/.

Every error, whatever raised it, is JSON ``{"code": ..., "message": ...}`` with a stable code
and a Chinese message; parameter errors add ``errors: [{"field", "message", "type"}]``.
Unknown paths under /api/v1/ and unsupported methods answer the same way (404 / 405).
"""

import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from tongban.apidoc import DocumentedSchema
from tongban.core.errors import ServiceError
from tongban.core.params import EARLIEST, LATEST

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
}


def _error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def _method_not_allowed(response: HttpResponseNotAllowed) -> JsonResponse:
    allowed = [m.strip() for m in response["Allow"].split(",") if m.strip()]
    answer = JsonResponse(
        _error_body(
            "method_not_allowed",
            _("不支持该请求方法，允许的方法：%(methods)s。") % {"methods": "、".join(sorted(allowed))},
            allowed=sorted(allowed),
        ),
        status=405,
        json_dumps_params={"ensure_ascii": False},
    )
    answer["Allow"] = response["Allow"]
    return answer


def _nul_field(request: HttpRequest) -> str | None:
    """Where a NUL character came in: PostgreSQL refuses it in any text (a 500 if it reached a
    query), SQLite stores it. Files are binary and not looked at; JSON bodies are."""
    if "\x00" in request.path:
        return "path"
    forms = [request.GET]
    if request.method == "POST" and request.content_type in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        forms.append(request.POST)
    for form in forms:
        for key, values in form.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
    if request.content_type == "application/json" and (b"\x00" in request.body or b"\\u0000" in request.body):
        return "body"
    return None


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a wrong method with a plain-text 405; turn it into our JSON error. Text with
    a NUL character is refused before any endpoint sees it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        field = _nul_field(request)
        if field is not None:
            message = _("不能包含空字符（\\0）。")
            return JsonResponse(
                _error_body(
                    "invalid_parameters",
                    _("请求参数不正确：%(detail)s。") % {"detail": f"{field} {message.rstrip('。')}"},
                    errors=[{"field": field, "message": message, "type": "null_character"}],
                ),
                status=422,
                json_dumps_params={"ensure_ascii": False},
            )
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return _method_not_allowed(response)
        return response

    return wrapper


def unknown_endpoint(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any path under /api/v1/ that no endpoint serves."""
    return JsonResponse(
        _error_body("not_found", _("接口不存在：%(path)s。") % {"path": request.path}),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


def api_index(request: HttpRequest, **kwargs: Any) -> JsonResponse:
    """GET /api/v1/: where the description and the docs are."""
    return JsonResponse(
        {
            "name": api.title,
            "version": api.version,
            "openapi": request.build_absolute_uri(f"{request.path}openapi.json"),
            "docs": request.build_absolute_uri(f"{request.path}docs"),
        },
        json_dumps_params={"ensure_ascii": False},
    )


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8 rather than \\u escapes: half the bytes, readable with curl."""

    json_dumps_params = {"ensure_ascii": False}


class TongbanAPI(NinjaAPI):
    def _get_urls(self) -> list:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                if pattern.name == "api-root":
                    pattern.callback = api_index
                pattern.callback = _json_not_allowed(pattern.callback)
        # Last, so it only catches what no endpoint matched.
        patterns.append(re_path(r"^(?P<path>.*)$", unknown_endpoint, name="unknown-endpoint"))
        return patterns

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> Any:
        """Ninja's description with every error answer documented (see ``tongban.apidoc``)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return DocumentedSchema(self, path_prefix)


api = TongbanAPI(
    title="通办 Tongban API",
    version="1.0.0",
    description=(
        "政务服务事项、行政区划、实施主体、主题、一件事与检索接口。"
        "错误以 JSON 返回：`{code, message}`，参数错误另附 `errors` 列表。"
    ),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api-v1",
    renderer=Utf8JSONRenderer(),
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    body = _error_body(exc.code, exc.message)
    if exc.field:
        body["field"] = exc.field
        body["errors"] = [{"field": exc.field, "message": exc.message, "type": exc.code}]
    return api.create_response(request, body, status=exc.status)


def _field_message(field: str, err: dict[str, Any]) -> str:
    """A Chinese message for one pydantic error (its own message is English)."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if field == "q" and kind in {"missing", "string_too_short", "string_pattern_mismatch"}:
        return _("请输入要查找的内容。")
    if kind == "missing":
        return _("必须填写。")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("必须是整数。")
    if kind == "greater_than_equal":
        return _("不能小于 %(limit)s。") % {"limit": ctx.get("ge")}
    if kind == "greater_than":
        return _("必须大于 %(limit)s。") % {"limit": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("不能大于 %(limit)s。") % {"limit": ctx.get("le")}
    if kind == "less_than":
        return _("必须小于 %(limit)s。") % {"limit": ctx.get("lt")}
    if kind in {"enum", "literal_error"}:
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return _("取值无效，可选：%(expected)s。") % {"expected": "、".join(choices)}
    if kind == "string_too_short":
        return _("至少 %(n)s 个字符。") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("最多 %(n)s 个字符。") % {"n": ctx.get("max_length")}
    if kind.startswith(("datetime_", "date_", "time_")):
        return _("日期时间格式不正确，例如 2026-12-31 或 2026-12-31T18:00:00+08:00。")
    if kind == "value_error" and "date_out_of_range" in str(err.get("msg", "")):
        return _("日期超出范围（%(earliest)s 至 %(latest)s）。") % {"earliest": EARLIEST, "latest": LATEST}
    if kind == "string_pattern_mismatch":
        if field in {"region", "parent", "code"}:
            return _("行政区划代码应为 2、4、6、9 或 12 位数字。")
        return _("格式不正确。")
    return _("取值无效。")


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("query", "body", "path")]
        field = ".".join(loc)
        fields.append({"field": field, "message": _field_message(field, err), "type": err.get("type", "")})
    summary = "；".join(
        f"{f['field']} {f['message'].rstrip('。')}" if f["field"] else f["message"].rstrip("。")
        for f in fields
    )
    return api.create_response(
        request,
        _error_body(
            "invalid_parameters", _("请求参数不正确：%(detail)s。") % {"detail": summary}, errors=fields
        ),
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, _error_body("unauthenticated", _("请先登录。")), status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request,
        _error_body(HTTP_CODES.get(exc.status_code, "error"), str(exc)),
        status=exc.status_code,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, _error_body("not_found", _("找不到该对象。")), status=404)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Unexpected failures: logged with the traceback, answered without internals."""
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(
        request, _error_body("server_error", _("服务暂时不可用，请稍后再试。")), status=500
    )


def _register_routers() -> None:
    from tongban.appointments.api import router as appointments_router
    from tongban.cases.api import router as cases_router
    from tongban.catalog.api import router as catalog_router
    from tongban.certificates.api import router as certificates_router
    from tongban.consult.api import router as consult_router
    from tongban.core.anchor_api import router as anchors_router
    from tongban.departments.api import router as departments_router
    from tongban.identity.api import router as identity_router
    from tongban.identity.oidc.api import router as account_router
    from tongban.opendata.api import router as opendata_router
    from tongban.payments.api import router as payments_router
    from tongban.ratings.api import router as ratings_router
    from tongban.regions.api import router as regions_router
    from tongban.sharing.api import router as sharing_router
    from tongban.supervision.api import router as supervision_router
    from tongban.supervision.cards.api import router as cards_router
    from tongban.supervision.reports.api import router as reports_router

    api.add_router("/", regions_router)
    api.add_router("/", departments_router)
    api.add_router("/", catalog_router)
    api.add_router("/", account_router)
    api.add_router("/", identity_router)
    api.add_router("/", cases_router)
    api.add_router("/", ratings_router)
    api.add_router("/", consult_router)
    api.add_router("/", certificates_router)
    api.add_router("/", payments_router)
    api.add_router("/", sharing_router)
    api.add_router("/", appointments_router)
    api.add_router("/", supervision_router)
    api.add_router("/", cards_router)
    api.add_router("/", reports_router)
    api.add_router("/", opendata_router)
    api.add_router("/", anchors_router)


_register_routers()
