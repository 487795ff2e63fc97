"""One rating for a joint case (联办件, 一件事): the applicant is invited once and rates once, and
the rating counts for every department that handled a child (one ``Rating`` per ended child,
so department figures, rankings, 差评 follow-ups and the 7-day default stay per department).

A child of a joint case is not rated on its own (``access.check_rate_case``); the joint case is
rated once its results are released (统一出件). Children that end after the rating (optional
items following later) are rated by rating the joint case again, for those only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongban.cases.joint_access import get_joint_for_applicant
from tongban.cases.models import Case, JointCase
from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.identity import permissions, ratelimit
from tongban.identity.ratelimit import RateLimited

from . import services
from .access import RATEABLE, AlreadyRated
from .models import ONLINE_INDICATORS, Rating
from .views.common import RateForm


def unrated_children(joint: JointCase) -> list[Case]:
    """Ended, released children without a rating yet: what one joint rating covers now."""
    return list(
        joint.children.filter(status__in=RATEABLE, released_at__isnull=False, rating__isnull=True)
        .select_related("department", "item")
        .order_by("pk")
    )


def check_rate_joint(user: User | None, joint: JointCase) -> list[Case]:
    """The applicant side of a released joint case; never staff of a department that handled a
    child; the children it covers (AlreadyRated when none is left)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("请先登录。")
    get_joint_for_applicant(user, joint.number)  # NotFound for anyone else
    if joint.released_at is None:
        raise InvalidInput("联办件统一出件后才能评价。", code="not_concluded")
    children = unrated_children(joint)
    if not children:
        raise AlreadyRated("该联办件已评价。")
    if any(permissions.can_see_department(user, c.department) for c in children):
        raise PermissionDenied("工作人员不能评价本部门的办件。")
    return children


@transaction.atomic
def rate_joint_case(
    *,
    user: User | None,
    joint: JointCase,
    level: int | str,
    scores: dict | None = None,
    comment: str = "",
    tags: list | None = None,
) -> list[Rating]:
    """One rating, recorded for each department's ended child (a bad one opens a follow-up in
    each department); the audit entries are the last writes."""
    joint = JointCase.objects.select_for_update().get(pk=joint.pk)
    children = check_rate_joint(user, joint)
    ratelimit.check(f"rating:user:{user.pk}", [(10, 3600), (30, 86400)], "评价过于频繁，请稍后再试。")
    level, scores, comment, tags = services._clean_input(level, scores, comment, tags, ONLINE_INDICATORS)
    try:
        with transaction.atomic():
            ratings = [
                services._create_online_rating(child, user, level, scores, comment, tags)
                for child in children
            ]
    except IntegrityError as exc:
        raise AlreadyRated("该联办件已评价。") from exc
    for rating in ratings:
        services._open_rectification(rating)
    for rating in ratings:
        services._audit(
            "rate_case",
            user,
            rating,
            case=rating.case.number,
            joint=joint.number,
            level=int(level),
            department=rating.department_id,
        )
    audit.append(
        "ratings.rate_joint",
        actor=user,
        obj=joint,
        summary={"number": joint.number, "ratings": [r.pk for r in ratings], "level": int(level)},
    )
    return ratings


@login_required
def rate_joint(request: HttpRequest, number: str) -> HttpResponse:
    """The joint case's one rating page (the result notice invites to it)."""
    joint = get_joint_for_applicant(request.user, number)
    try:
        children = check_rate_joint(request.user, joint)
    except AlreadyRated:
        messages.info(request, _("该联办件已评价，感谢您的评价。"))
        return redirect("cases:my_joint_result", joint.number)
    except InvalidInput as exc:
        messages.info(request, exc.message)
        return redirect("cases:my_joint_result", joint.number)
    except NotFound:
        raise
    form, status = RateForm(), 200
    if request.method == "POST":
        form = RateForm.from_post(request, ONLINE_INDICATORS)
        try:
            rate_joint_case(
                user=request.user,
                joint=joint,
                level=form.level,
                scores=form.scores,
                comment=form.comment,
                tags=form.tags,
            )
        except AlreadyRated:
            return redirect("cases:my_joint_result", joint.number)
        except (InvalidInput, RateLimited) as exc:
            form.error, form.field, status = exc.message, exc.field or "", exc.status
        else:
            messages.success(request, _("感谢您的评价，各办理部门都会收到。"))
            return redirect("cases:my_joint_result", joint.number)
    context = form.context(ONLINE_INDICATORS) | {"joint": joint, "children": children}
    return render(request, "ratings/rate_joint.html", context, status=status)
