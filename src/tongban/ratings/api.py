"""好差评 in the JSON API: rate a case or a window visit, follow up, department tasks, appeals,
public figures and rankings, and exports for supervisors."""

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from tongban.cases.access import get_case_for
from tongban.core.errors import InvalidInput
from tongban.core.params import Day, Id
from tongban.identity.oidc.auth import api_auth
from tongban.regions.codes import RegionCodeError, normalize_region_code

from . import access, selectors, services
from .export import to_csv, to_xlsx
from .models import Rating

router = Router(tags=["好差评"])


class RatingIn(Schema):
    level: int
    scores: dict = {}
    comment: str = ""
    tags: list[str] = []


class RatingOut(Schema):
    id: int
    level: int
    level_label: str
    channel: str
    comment: str
    tags: list[str]
    created_at: dt.datetime
    rectification: dict | None


class FiguresOut(Schema):
    total: int
    distribution: dict[int, int]
    satisfaction_rate: float
    bad_rate: float
    average: float
    rectification_rate: float | None


class RankingOut(Schema):
    rank: int
    department_id: int
    department: str
    figures: FiguresOut


class TextIn(Schema):
    text: str


class AppealDecisionIn(Schema):
    upheld: bool
    note: str


def _rating_out(rating: Rating) -> dict:
    rect = getattr(rating, "rectification", None) if rating.is_bad else None
    return {
        "id": rating.pk,
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "channel": rating.channel,
        "comment": rating.comment,
        "tags": rating.tags,
        "created_at": rating.created_at,
        "rectification": None
        if rect is None
        else {
            "id": rect.pk,
            "status": rect.status,
            "callback_due": rect.callback_due,
            "rectify_due": rect.rectify_due,
        },
    }


def _figures(fig: selectors.Figures) -> dict:
    return {
        "total": fig.total,
        "distribution": fig.distribution,
        "satisfaction_rate": fig.satisfaction_rate,
        "bad_rate": fig.bad_rate,
        "average": fig.average,
        "rectification_rate": fig.rectification_rate,
    }


@router.post(
    "/cases/{number}/rating", response={201: RatingOut}, auth=api_auth, summary="评价办件（每件一次）"
)
def rate_case(request: HttpRequest, number: str, payload: RatingIn) -> tuple[int, dict]:
    case = get_case_for(request.user, number)
    rating = services.rate_case(
        user=request.user,
        case=case,
        level=payload.level,
        scores=payload.scores,
        comment=payload.comment,
        tags=payload.tags,
    )
    return Status(201, _rating_out(rating))


@router.post("/ratings/visits/{token}", response={201: RatingOut}, summary="评价窗口服务（扫码）")
def rate_visit(request: HttpRequest, token: uuid.UUID, payload: RatingIn) -> tuple[int, dict]:
    rating = services.rate_visit(
        token=token,
        level=payload.level,
        scores=payload.scores,
        comment=payload.comment,
        tags=payload.tags,
        user=request.user,
        client_key=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(201, _rating_out(rating))


@router.post("/ratings/{rating_id}/follow-up", response=RatingOut, auth=api_auth, summary="追评")
def follow_up(request: HttpRequest, rating_id: Id, payload: TextIn) -> dict:
    rating = selectors.get_rating(rating_id)
    return _rating_out(services.add_follow_up(user=request.user, rating=rating, text=payload.text))


@router.get("/departments/{department_id}/ratings", response=FiguresOut, summary="部门评价统计（公开）")
def department_figures(request: HttpRequest, department_id: Id) -> dict:
    return _figures(selectors.department_figures(selectors.public_department(department_id)))


@router.get("/ratings/rankings", response=list[RankingOut], summary="部门排名（公开）")
def rankings(
    request: HttpRequest, region: str = "", start: Day | None = None, end: Day | None = None
) -> list:
    code = ""
    if region:
        try:
            code = normalize_region_code(region)
        except RegionCodeError as exc:
            raise InvalidInput(str(exc), field="region") from exc
    return [
        {
            "rank": r.rank,
            "department_id": r.department.pk,
            "department": r.department.name,
            "figures": _figures(r.figures),
        }
        for r in selectors.ranking(region_code=code, start=start, end=end)
    ]


@router.get("/staff/rectifications", auth=api_auth, summary="差评整改任务", tags=["工作人员"])
def rectifications(request: HttpRequest, overdue: bool = False) -> list[dict]:
    qs = (
        selectors.overdue_rectifications(request.user)
        if overdue
        else selectors.rectifications_for(request.user)
    )
    return [
        {
            "id": r.pk,
            "department": r.department.name,
            "status": r.status,
            "level": r.rating.level,
            "comment": r.rating.comment,
            "callback_due": r.callback_due,
            "rectify_due": r.rectify_due,
            "case_number": r.rating.case.number if r.rating.case_id else None,
        }
        for r in qs[:200]
    ]


@router.post("/staff/rectifications/{pk}/callback", auth=api_auth, tags=["工作人员"], summary="记录回访")
def callback(request: HttpRequest, pk: Id, payload: TextIn) -> dict:
    rect = services.record_callback(
        actor=request.user, rectification=selectors.task(request.user, pk), note=payload.text
    )
    return {"id": rect.pk, "status": rect.status}


@router.post("/staff/rectifications/{pk}/complete", auth=api_auth, tags=["工作人员"], summary="完成整改")
def complete(request: HttpRequest, pk: Id, payload: TextIn) -> dict:
    rect = services.complete_rectification(
        actor=request.user, rectification=selectors.task(request.user, pk), outcome=payload.text
    )
    return {"id": rect.pk, "status": rect.status}


@router.post("/staff/ratings/{rating_id}/appeal", auth=api_auth, tags=["工作人员"], summary="对评价提出申诉")
def appeal(request: HttpRequest, rating_id: Id, payload: TextIn) -> dict:
    made = services.file_appeal(
        actor=request.user, rating=selectors.get_rating(rating_id), reason=payload.text
    )
    return {"id": made.pk, "status": made.status}


@router.post(
    "/staff/appeals/{appeal_id}/decision", auth=api_auth, tags=["工作人员"], summary="审核申诉（监察）"
)
def decide(request: HttpRequest, appeal_id: Id, payload: AppealDecisionIn) -> dict:
    decided = services.decide_appeal(
        actor=request.user, appeal=selectors.get_appeal(appeal_id), upheld=payload.upheld, note=payload.note
    )
    return {"id": decided.pk, "status": decided.status}


@router.get(
    "/staff/ratings/export", auth=api_auth, tags=["工作人员"], summary="导出评价（监察，CSV 或 XLSX）"
)
def export(
    request: HttpRequest,
    format: Literal["csv", "xlsx"] = "csv",
    start: Day | None = None,
    end: Day | None = None,
) -> HttpResponse:
    access.check_supervisor(request.user)
    ratings = selectors.ratings_for_export(request.user, start=start, end=end)
    if format == "xlsx":
        body, mime = to_xlsx(ratings), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mime = to_csv(ratings), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="ratings.{format}"'
    return response
