"""The published OpenAPI description: every error answer documented, every schema named once.

Ninja documents only the answers a handler declares and files every model's JSON schema under
its class name, so two ``EventOut`` classes in two apps silently overwrite each other and a
client generated from the description gets the wrong shape. ``DocumentedSchema`` adds the
error answers each operation can give (they all share the ``ApiError`` shape that
``tongban.api``'s handlers produce) and records any name claimed by two different schemas in
``clashes``; a test keeps that list empty.
"""

import logging
from typing import Any

from ninja import Schema
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema

logger = logging.getLogger(__name__)


class ApiFieldError(Schema):
    field: str
    message: str
    type: str


class ApiError(Schema):
    """What every error answer under /api/v1/ looks like."""

    code: str
    message: str
    field: str | None = None
    errors: list[ApiFieldError] | None = None
    allowed: list[str] | None = None


ERROR_DESCRIPTIONS = {
    400: "请求被拒绝（业务规则不允许，message 说明原因）",
    401: "未登录，或访问令牌无效、已过期",
    403: "无权执行此操作（或令牌缺少 api 授权范围）",
    404: "找不到对象，或无权查看",
    409: "对象已被他人修改或状态已变化，请刷新后重试",
    410: "授权已撤销或已过期",
    422: "参数缺失、类型错误、超出范围或格式不正确（errors 逐项列出）",
    429: "请求过于频繁，请稍后再试",
}


def error_statuses(details: dict[str, Any], method: str) -> set[int]:
    """The error answers an operation can give, from what it takes and whether it needs sign-in."""
    statuses: set[int] = set()
    takes_input = bool(details.get("parameters")) or "requestBody" in details
    if takes_input:
        statuses |= {400, 404, 422}
    if details.get("security"):
        statuses |= {401, 403}
    if method != "get":
        statuses.add(400)
    return statuses


class DocumentedSchema(OpenAPISchema):
    def __init__(self, api: Any, path_prefix: str) -> None:
        self.clashes: list[str] = []
        super().__init__(api, path_prefix)
        error = ApiError.model_json_schema(ref_template=REF_TEMPLATE)
        self.add_schema_definitions({**error.pop("$defs", {}), "ApiError": error})
        for name in self.clashes:
            logger.warning("OpenAPI schema name %s is used by two different schemas", name)

    def methods(self, operations: list) -> dict[str, Any]:
        result = super().methods(operations)
        for method, details in result.items():
            responses = details.setdefault("responses", {})
            for status in error_statuses(details, method):
                responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
            for status, answer in responses.items():
                if int(status) >= 400 and "content" not in answer:
                    answer.setdefault("description", ERROR_DESCRIPTIONS.get(int(status), "错误"))
                    answer["content"] = {
                        "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ApiError")}}
                    }
        return result

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, schema in definitions.items():
            if name in self.schemas and self.schemas[name] != schema and name not in self.clashes:
                self.clashes.append(name)
        super().add_schema_definitions(definitions)
