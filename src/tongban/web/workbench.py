"""工作台: the staff home at ``/staff/`` (registered into identity) and the supervisor's pages.

What a staff member sees follows their roles: the queue for the processing roles, window intake
and in-person verification for 受理, the catalogue workspace for 事项管理, the region overview
for 监察, the Django admin only for 系统管理. Figures are their own departments' only.
"""

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _l

from tongban.cases.selectors import PROCESSING_ROLES
from tongban.catalog.search_log import selectors as search_log
from tongban.core.types import User
from tongban.identity import permissions
from tongban.identity.models import StaffRole
from tongban.identity.views import staff_required

from . import figures

# 事项管理 pages live in their own apps; each is linked when its address exists.
CATALOGUE_PAGES = (
    ("catalog:workspace", _l("事项与表单"), _l("实施清单要素、材料、收费、常见问题和申请表单")),
    ("workflow:process_list", _l("办理流程"), _l("在浏览器中编辑事项的 BPMN 流程")),
    ("certificates:type_list", _l("证照与证明类型"), _l("证照模板和预览")),
    ("cases:document_templates", _l("文书模板"), _l("受理、补正、决定等文书的措辞")),
)


def optional_url(*names: str) -> str | None:
    """The first of ``names`` that resolves, or None while none of them exists."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _roles_by_department(user: User) -> list[dict[str, Any]]:
    departments: dict[int, dict[str, Any]] = {}
    for membership in permissions.memberships(user):
        entry = departments.setdefault(
            membership.department_id, {"department": membership.department, "roles": []}
        )
        entry["roles"].append(membership.get_role_display())
    return list(departments.values())


def _search_review(user: User) -> dict[str, Any] | None:
    """The catalogue admin's weekly search work: this week's zero-result queries not yet dealt with."""
    if not search_log.can_review(user):
        return None
    return {"url": reverse("catalog:search_queries"), "open": search_log.open_zero_result_count()}


def workbench(request: HttpRequest) -> HttpResponse:
    """Called by identity's ``staff_home`` (which has checked that the user is signed-in staff)."""
    user = request.user
    roles = permissions.roles(user)
    is_supervisor = StaffRole.SUPERVISOR in roles
    context = {
        "departments": _roles_by_department(user),
        "processing": bool(roles & set(PROCESSING_ROLES)),
        "intake": StaffRole.INTAKE in roles,
        "finance": StaffRole.FINANCE in roles,
        "catalogue": StaffRole.CATALOGUE in roles,
        "catalogue_pages": [
            {"url": url, "title": title, "hint": hint}
            for name, title, hint in CATALOGUE_PAGES
            if (url := optional_url(name)) is not None
        ],
        "search_review": _search_review(user),
        "supervisor": is_supervisor,
        "platform_admin": StaffRole.PLATFORM_ADMIN in roles,
        "figures": figures.department_figures(user),
        "overview": figures.region_overview(user) if is_supervisor else None,
    }
    return render(request, "web/staff/home.html", context)


@staff_required
def supervised_departments(request: HttpRequest) -> HttpResponse:
    """监察's secondary page: the region's departments with case counts, 20 a page."""
    if not permissions.supervised_region_codes(request.user):
        raise Http404()
    show_all = request.GET.get("all") == "1"
    departments = figures.supervised_departments(request.user, with_cases_only=not show_all)
    page = Paginator(departments, 20).get_page(request.GET.get("page"))
    return render(request, "web/staff/departments.html", {"page": page, "show_all": show_all})
