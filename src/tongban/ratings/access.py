"""Who may do what with ratings: each rule written once, for the services, the pages and the API.

Every action has one ``check_<action>`` that raises the service's error with its Chinese message
and one ``can_<action>`` that says yes or no. The services call the check; the pages offer an
action exactly when ``can_…`` says yes, so a button is never shown for a click the service would
refuse (CKAN's one auth function per action is the model). Outsiders get NotFound: they learn
nothing. Input checks (the level, the length of a text) and rate limits stay in the services.
``refusal`` (from ``cases.access``) gives a page the error itself, to say why.
"""

from collections.abc import Callable

from django.utils import timezone

from tongban.cases.access import is_applicant_side, refusal
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import Appeal, Rating, Rectification, WindowVisit

# A case can be rated once it has ended, whatever the outcome.
RATEABLE = (Case.Status.CONCLUDED, Case.Status.REFUSED, Case.Status.DENIED, Case.Status.FORWARDED)


class AlreadyRated(ServiceError):
    code = "already_rated"
    status = 409
    default_message = "该办件已评价，每件只能评价一次。"


def _allowed[**P](check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> bool:
    return refusal(check, *args, **kwargs) is None


def _signed_in(user: User | None) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# ---------------------------------------------------------------- the person who rates


def check_rate_case(user: User | None, case: Case) -> None:
    """评价: the applicant side of an ended case, once; staff never rate their own department."""
    if not _signed_in(user):
        raise PermissionDenied("请先登录。")
    if not is_applicant_side(user, case):
        raise NotFound()
    if permissions.can_see_department(user, case.department):
        raise PermissionDenied("工作人员不能评价本部门的办件。")
    if case.status not in RATEABLE:
        raise InvalidInput("办件办结后才能评价。", code="not_concluded")
    if Rating.objects.filter(case=case).exists():
        raise AlreadyRated()
    if case.joint_id:  # 一件事: rated once for the whole joint case (ratings.joint)
        raise InvalidInput("该办件属于联办件，请在联办件页面统一评价一次。", code="joint_rated_once")


def can_rate_case(user: User | None, case: Case) -> bool:
    return _allowed(check_rate_case, user, case)


def check_rate_visit(user: User | None, visit: WindowVisit) -> None:
    """A window visit is rated once, before its code expires, by anyone but the department's staff."""
    if Rating.objects.filter(visit=visit).exists():
        raise AlreadyRated("本次窗口服务已评价。")
    if visit.expires_at < timezone.now():
        raise InvalidInput("评价二维码已过期。", code="visit_expired")
    if _signed_in(user) and permissions.can_see_department(user, visit.department):
        raise PermissionDenied("工作人员不能评价本部门的服务。")


def can_rate_visit(user: User | None, visit: WindowVisit) -> bool:
    return _allowed(check_rate_visit, user, visit)


def _is_rater(user: User | None, rating: Rating) -> bool:
    return rating.rater_id is not None and rating.rater_id == getattr(user, "pk", None)


def check_follow_up(user: User | None, rating: Rating) -> None:
    """追评: one follow-up comment, by whoever gave the rating."""
    if not _is_rater(user, rating):
        raise NotFound()
    if rating.followed_up_at is not None:
        raise InvalidInput("每条评价只能追评一次。", code="already_followed_up")


def can_follow_up(user: User | None, rating: Rating) -> bool:
    return _allowed(check_follow_up, user, rating)


def check_re_rate(user: User | None, rectification: Rectification) -> None:
    """After the department rectified, the person who rated may rate once more."""
    if not _is_rater(user, rectification.rating):
        raise NotFound()
    if not rectification.re_rating_invited or rectification.re_rating_level is not None:
        raise InvalidInput("当前不能再次评价。", code="no_re_rating")


def can_re_rate(user: User | None, rectification: Rectification) -> bool:
    return _allowed(check_re_rate, user, rectification)


# ---------------------------------------------------------------- the department


def check_open_window_visit(user: User | None, department: Department) -> None:
    if not permissions.has_role(user, StaffRole.INTAKE, department):
        raise PermissionDenied("只有本部门窗口人员可以发起评价。")


def can_open_window_visit(user: User | None, department: Department) -> bool:
    return _allowed(check_open_window_visit, user, department)


def window_departments(user: User | None) -> dict[int, Department]:
    """Departments where ``user`` may open a window visit, by id."""
    return {
        m.department_id: m.department
        for m in permissions.memberships(user)
        if can_open_window_visit(user, m.department)
    }


def is_department_staff(user: User | None, department: Department) -> bool:
    """Any role in the department itself (a supervisor above it is not its staff)."""
    return bool(permissions.roles(user, department))


def member_departments(user: User | None) -> dict[int, Department]:
    """The departments whose ratings ``user`` handles as their staff, by id."""
    return {m.department_id: m.department for m in permissions.memberships(user)}


def _check_department_staff(user: User | None, department: Department) -> None:
    if not is_department_staff(user, department):
        raise NotFound()


def check_reveal_contact(user: User | None, rectification: Rectification) -> None:
    """The rater's number in full, to call back: the department's staff only (a supervisor
    looking on sees it masked)."""
    _check_department_staff(user, rectification.department)


def check_record_callback(user: User | None, rectification: Rectification) -> None:
    """回访: the department's staff, once, while the follow-up is open."""
    _check_department_staff(user, rectification.department)
    if rectification.status != Rectification.Status.OPEN:
        raise InvalidInput("已回访，不能重复记录。", code="already_called_back")


def can_record_callback(user: User | None, rectification: Rectification) -> bool:
    return _allowed(check_record_callback, user, rectification)


def check_complete_rectification(user: User | None, rectification: Rectification) -> None:
    """整改: the department's staff, after the call-back and only once."""
    _check_department_staff(user, rectification.department)
    if rectification.status == Rectification.Status.OPEN:
        raise InvalidInput("请先完成回访。", code="callback_first")
    if rectification.status == Rectification.Status.RECTIFIED:
        raise InvalidInput("整改已完成。", code="already_rectified")


def can_complete_rectification(user: User | None, rectification: Rectification) -> bool:
    return _allowed(check_complete_rectification, user, rectification)


def check_file_appeal(user: User | None, rating: Rating) -> None:
    """申诉: the department's staff, while no appeal is pending or upheld."""
    _check_department_staff(user, rating.department)
    if rating.appeals.filter(status__in=[Appeal.Status.PENDING, Appeal.Status.UPHELD]).exists():
        raise InvalidInput("该评价已有申诉。", code="appeal_exists")


def can_file_appeal(user: User | None, rating: Rating) -> bool:
    return _allowed(check_file_appeal, user, rating)


# ---------------------------------------------------------------- supervisors


def is_supervisor(user: User | None) -> bool:
    return bool(permissions.supervised_region_codes(user))


def check_supervisor(user: User | None) -> None:
    """Supervision pages, exports: only for supervisors; others learn nothing (404)."""
    if not is_supervisor(user):
        raise NotFound()


def supervises(user: User | None, department: Department) -> bool:
    return any(department.region.code.startswith(code) for code in permissions.supervised_region_codes(user))


def check_decide_appeal(user: User | None, appeal: Appeal) -> None:
    """A supervisor of the department's region decides a pending appeal."""
    if not supervises(user, appeal.department):
        raise NotFound()
    if appeal.status != Appeal.Status.PENDING:
        raise InvalidInput("该申诉已处理。", code="appeal_decided")


def can_decide_appeal(user: User | None, appeal: Appeal) -> bool:
    return _allowed(check_decide_appeal, user, appeal)
