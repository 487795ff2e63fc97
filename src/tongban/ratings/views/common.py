"""What several rating pages share: the level choices, the rating form, scores and due dates."""

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.workdays import calendar

from .. import services
from ..models import ONLINE_INDICATORS, WINDOW_INDICATORS, Level, Rating, Rectification
from ..templatetags.tongban_ratings import stars


def level_choices() -> list[tuple[int, str, str]]:
    """(value, label, stars) from 非常满意 down to 非常不满意; the stars are decoration only."""
    return [(level.value, level.label, stars(level.value)) for level in Level]


@dataclass
class RateForm:
    """What a person typed on a rating page, shown again with the service's message on error."""

    level: str = ""
    scores: dict | None = None
    comment: str = ""
    tags: list | None = None
    error: str = ""
    field: str = ""

    @classmethod
    def from_post(cls, request: HttpRequest, indicators: dict) -> "RateForm":
        scores = {key: request.POST.get(f"score_{key}", "") for key in indicators}
        return cls(
            level=request.POST.get("level", ""),
            scores={k: v for k, v in scores.items() if v},
            comment=request.POST.get("comment", "")[: services.MAX_COMMENT * 2],
            tags=request.POST.getlist("tags")[:20],
        )

    def context(self, indicators: dict) -> dict:
        scores = self.scores or {}
        anchor = {"level": "level-5", "comment": "comment", "tags": "tag-0"}.get(self.field, "")
        if self.field.startswith("scores."):
            anchor = f"score-{self.field.split('.', 1)[1]}-5"
        return {
            "levels": level_choices(),
            "indicators": [(key, label, str(scores.get(key, ""))) for key, label in indicators.items()],
            "points": [5, 4, 3, 2, 1],
            "all_tags": services.TAGS,
            "form": self,
            "chosen_tags": self.tags or [],
            "error_anchor": anchor or "level-5",
            "max_comment": services.MAX_COMMENT,
        }


def scores_shown(rating: Rating) -> list[tuple[str, int]]:
    indicators = ONLINE_INDICATORS if rating.channel == Rating.Channel.ONLINE else WINDOW_INDICATORS
    return [
        (str(indicators[key]), value) for key, value in (rating.scores or {}).items() if key in indicators
    ]


@dataclass
class Due:
    """A follow-up deadline for the task lists: colour always with a text label."""

    date: dt.date
    colour: str
    label: str
    remaining: int | None
    finished: bool = False


def due_state(due: dt.date, done_at: dt.datetime | None, today: dt.date) -> Due:
    """Green until two working days before, yellow on the last two, red after; done is plain."""
    if done_at is not None:
        done_on = timezone.localtime(done_at).date()
        if done_on > due:
            return Due(due, "red", _("逾期完成"), None, finished=True)
        return Due(due, "done", _("已按期完成"), None, finished=True)
    if today > due:
        return Due(due, "red", _("已超期"), None)
    remaining = calendar.workdays_between(today, due) if today < due else 0
    if today == due:
        return Due(due, "yellow", _("今日到期"), 0)
    if remaining <= 2:
        return Due(due, "yellow", _("即将到期"), remaining)
    return Due(due, "green", _("正常"), remaining)


def task_row(rect: Rectification, today: dt.date) -> dict:
    callback = due_state(rect.callback_due, rect.called_back_at, today)
    rectify = due_state(rect.rectify_due, rect.rectified_at, today)
    if rect.status == Rectification.Status.RECTIFIED:
        colour = "done"
    else:
        pending = [d.colour for d in (callback, rectify) if not d.finished]
        colour = next((c for c in ("red", "yellow") if c in pending), "green")
    return {"rect": rect, "callback": callback, "rectify": rectify, "colour": colour}
