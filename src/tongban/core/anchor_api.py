"""The audit anchors in the JSON API: the same signed anchors and keys as the public files."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from . import anchors
from .models import AuditAnchor
from .params import MAX_PAGE

router = Router(tags=["审计锚点"])

MAX_PAGE_SIZE = 100


class AnchorOut(Schema):
    seq: int
    hash: str
    entry_at: str
    anchored_at: str
    kid: str
    alg: str
    jws: str


class AnchorPage(Schema):
    total: int
    page: int
    page_size: int
    keys: dict[str, Any]
    items: list[AnchorOut]


@router.get(
    "/audit-anchors",
    response=AnchorPage,
    summary="审计锚点",
    description=(
        "每日以平台密钥签署的审计链头（紧凑 JWS，RS256），新的在前；`keys` 为核验签名的公钥（JWKS）。"
        "用 `tongban audit verify --anchors <文件或网址>` 核验。"
    ),
)
def list_anchors(
    request: HttpRequest,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(30, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    rows = AuditAnchor.objects.order_by("-seq")
    start = (page - 1) * page_size
    return {
        "total": rows.count(),
        "page": page,
        "page_size": page_size,
        "keys": anchors.published_keys(),
        "items": [anchors.as_public(a) for a in rows[start : start + page_size]],
    }
