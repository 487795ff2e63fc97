"""电子监察 indicators in the JSON API, with the dashboard's permissions (``access.resolve_scope``):
a supervisor reads their region and below, a department member their own department."""

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.core.errors import InvalidInput
from tongban.core.masking import mask_name
from tongban.core.params import Day, Id
from tongban.identity.oidc.auth import api_auth

from . import access, selectors

router = Router(tags=["电子监察"])

Group = Literal["period", "region", "department", "item"]


class IndicatorsQuery(Schema):
    region: str | None = Field(None, pattern=r"^\d{2,12}$", description="区划代码（含下级）")
    department: Id | None = None
    item: Id | None = None
    period: Literal["month", "quarter", "year"] = "month"
    start: Day | None = Field(None, description="起始月份内任一日")
    end: Day | None = Field(None, description="结束月份内任一日")
    group_by: list[Group] = Field(default_factory=lambda: ["period"])
    region_level: int | None = Field(None, ge=1, le=5, description="按区划分组时的层级（1 省 … 5 村）")


class IndicatorOut(Schema):
    period: dt.date | None
    region_code: str | None
    department_id: int | None
    item_id: int | None
    name: str
    received: int
    accepted: int
    refused: int
    concluded: int
    online: int
    full_online: int
    visits: int
    corrections: int
    one_time: int
    automatic: int
    with_legal: int
    on_time_legal: int
    with_promised: int
    on_time_promised: int
    work_days: int
    overdue: int
    rated: int
    rating_sum: int
    rating_good: int
    rating_bad: int
    rating_rectified: int
    online_rate: float | None
    full_online_rate: float | None
    visits_per_case: float | None
    corrections_per_case: float | None
    refusal_rate: float | None
    on_time_legal_rate: float | None
    on_time_promised_rate: float | None
    one_time_rate: float | None
    automatic_rate: float | None
    average_days: float | None
    p90_days: int | None
    satisfaction_rate: float | None
    average_rating: float | None
    rectification_rate: float | None


class DrillCaseOut(Schema):
    number: str
    item: str
    department: str
    applicant: str
    status: str
    submitted_at: dt.datetime
    concluded_at: dt.datetime | None


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise InvalidInput("开始日期不能晚于结束日期。", field="start")


@router.get(
    "/supervision/indicators",
    auth=api_auth,
    response=list[IndicatorOut],
    summary="监察指标（按期间、地区、部门、事项汇总）",
)
def indicators(request: HttpRequest, query: Query[IndicatorsQuery]) -> list[dict]:
    _check_range(query.start, query.end)
    scope = access.resolve_scope(
        request.user, region_code=query.region, department_id=query.department, item_id=query.item
    )
    rows = selectors.indicator_rows(
        period=query.period,
        start=query.start,
        end=query.end,
        group_by=tuple(dict.fromkeys(query.group_by)),
        region_level=query.region_level,
        **scope.filters(),
    )
    return [row.as_dict() for row in rows]


@router.get(
    "/supervision/cases",
    auth=api_auth,
    response=list[DrillCaseOut],
    summary="指标背后的办件（申请人姓名已脱敏）",
)
def drill(
    request: HttpRequest,
    measure: Literal[tuple(selectors.DRILL)],  # type: ignore[valid-type]
    region: str | None = None,
    department: Id | None = None,
    item: Id | None = None,
    start: Day | None = None,
    end: Day | None = None,
    page: Annotated[int, Field(ge=1, le=10_000)] = 1,
) -> list[dict]:
    _check_range(start, end)
    if region is not None and not (region.isdigit() and 2 <= len(region) <= 12):
        raise InvalidInput("区划代码应为 2–12 位数字。", field="region")
    scope = access.resolve_scope(request.user, region_code=region, department_id=department, item_id=item)
    found = selectors.cases_behind(measure, start=start, end=end, **scope.filters())[
        (page - 1) * 50 : page * 50
    ]
    return [
        {
            "number": case.number,
            "item": case.item.name,
            "department": case.department.name,
            "applicant": mask_name(case.applicant_name),
            "status": case.status,
            "submitted_at": case.submitted_at,
            "concluded_at": case.concluded_at,
        }
        for case in found
    ]
