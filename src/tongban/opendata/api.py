"""Open data in the JSON API: the datasets, their metadata and their rows, page by page.

Filters and paging are checked by ``selectors`` (the pages use the same checks), so a bad
value is a 422 with a Chinese message here and on the page alike.
"""

import datetime as dt
import json

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from tongban.core.params import MAX_PAGE

from . import metadata, selectors

router = Router(tags=["开放数据"])


class FieldOut(Schema):
    name: str
    type: str
    title: str
    description: str
    suppressible: bool


class DatasetOut(Schema):
    slug: str
    title: str
    description: str
    licence: str
    modified: dt.datetime | None
    downloads: int
    filters: list[str]
    fields: list[FieldOut]
    landing_page: str
    distributions: dict[str, str]


class RowsOut(Schema):
    dataset: str
    total: int
    page: int | None
    page_size: int
    pages: int
    rows: list[dict]
    next_cursor: str | None


def _dataset_out(summary: selectors.Summary) -> dict:
    spec = summary.spec
    return {
        "slug": spec.slug,
        "title": str(spec.title),
        "description": str(spec.description),
        "licence": metadata.LICENSE_URL,
        "modified": summary.modified,
        "downloads": summary.downloads,
        "filters": list(spec.filters),
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "title": str(f.title),
                "description": str(f.description),
                "suppressible": f.suppressible,
            }
            for f in spec.fields
        ],
        "landing_page": metadata.absolute(f"/opendata/{spec.slug}/"),
        "distributions": {
            fmt: metadata.absolute(f"/opendata/{spec.slug}/download.{fmt}") for fmt in metadata.FORMATS
        },
    }


class RowsQuery(Schema):
    page: int = 1
    page_size: int = 50
    month: str | None = None
    region: str | None = None
    item: str | None = None
    year: str | None = None
    cursor: str | None = None


@router.get("/opendata/datasets", response=list[DatasetOut], auth=None, summary="开放数据集列表")
def list_datasets(request: HttpRequest):
    return [_dataset_out(s) for s in selectors.summaries()]


@router.get("/opendata/datasets/{slug}", response=DatasetOut, auth=None, summary="开放数据集的说明")
def get_dataset(request: HttpRequest, slug: str):
    return _dataset_out(selectors.summary(slug))


@router.get(
    "/opendata/datasets/{slug}/rows",
    response=RowsOut,
    auth=None,
    summary="开放数据集的数据（分页）",
    description=(
        f"page 从 1 起（最大 {MAX_PAGE}），page_size 1–{selectors.MAX_PAGE_SIZE}。筛选条件因数据集而异："
        "办件统计 month（YYYY-MM）、region（区划代码，含下级）、item（实施编码）；事项目录和好差评 region；"
        "节假日 year。不公开的统计数字为 null。办件统计可用 cursor 逐页读取：把上一页返回的 next_cursor "
        "原样作为 cursor（筛选条件不变，不带 page），直到 next_cursor 为 null；用 cursor 时 page 为 null。"
        "数据重新生成后旧的 cursor 失效（422）。办件统计带筛选条件时 page 最多从第 "
        f"{selectors.FILTERED_OFFSET_MAX} 行开始，更深处请用 cursor。"
    ),
)
def dataset_rows(request: HttpRequest, slug: str, query: Query[RowsQuery]):
    spec = selectors.get_spec(slug)
    raw = query.dict()
    page, size = selectors.parse_page(raw.pop("page"), raw.pop("page_size"))
    cursor = raw.pop("cursor") or None
    filters = selectors.parse_filters(spec, raw)
    result = selectors.page_of(spec, filters, page, size, cursor=cursor)
    return {
        "dataset": spec.slug,
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
        "rows": result.rows,
        "next_cursor": result.next_cursor,
    }


@router.get("/opendata/datasets/{slug}/datapackage", auth=None, summary="数据包描述（datapackage.json）")
def dataset_package(request: HttpRequest, slug: str):
    summary = selectors.summary(slug)
    body = json.dumps(metadata.datapackage(summary.spec, summary.modified), ensure_ascii=False)
    return HttpResponse(body, content_type="application/json; charset=utf-8")
