"""The JSON API: one Ninja instance, one router per app, mounted at /api/v1/.

Errors are JSON ``{"code": ..., "message": ...}`` with a stable code and a Chinese message.
"""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tongban.core.errors import ServiceError

api = NinjaAPI(
    title="通办 Tongban API",
    version="1.0.0",
    description="政务服务事项、区划、部门与检索接口。错误以 JSON 返回：{code, message}。",
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api-v1",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("query", "body", "path")]
        fields.append({"field": ".".join(loc), "message": err.get("msg", "")})
    return api.create_response(
        request, {"code": "invalid_parameters", "message": "请求参数不正确。", "errors": fields}, status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "unauthenticated", "message": "请先登录。"}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {404: "not_found", 403: "forbidden", 401: "unauthenticated", 429: "rate_limited"}
    return api.create_response(
        request, {"code": codes.get(exc.status_code, "error"), "message": str(exc)}, status=exc.status_code
    )


def _register_routers() -> None:
    from tongban.catalog.api import router as catalog_router
    from tongban.regions.api import router as regions_router

    api.add_router("/", regions_router)
    api.add_router("/", catalog_router)


_register_routers()
