"""Who may see which indicators: the supervisor their region and everything below it, a department
member their own department only (the same scope rules as ``web.figures`` and
``identity.permissions``, applied to what a request asks for)."""

from dataclasses import dataclass

from tongban.catalog.models import ServiceItem
from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole
from tongban.regions.models import Region


@dataclass(frozen=True)
class Scope:
    """The filters a request may use: a region (prefix), and/or one department, and/or one item."""

    region_code: str | None = None
    department_id: int | None = None
    item_id: int | None = None
    title: str = ""

    def filters(self) -> dict:
        return {"region_code": self.region_code, "department_id": self.department_id, "item_id": self.item_id}


def own_department_ids(user: User) -> list[int]:
    """Departments the user works in (any role but 监察, which sees the region instead)."""
    return sorted({m.department_id for m in permissions.memberships(user) if m.role != StaffRole.SUPERVISOR})


def can_view(user: User | None) -> bool:
    return bool(getattr(user, "is_authenticated", False) and permissions.memberships(user))


def resolve_scope(
    user: User | None,
    *,
    region_code: str | None = None,
    department_id: int | None = None,
    item_id: int | None = None,
) -> Scope:
    """The scope a request asks for, if the user may see it; by default the supervisor's (first)
    region or the member's (first) department. Out of scope: a region → PermissionDenied, a
    department or item → NotFound (an outsider learns nothing of it)."""
    if not can_view(user):
        raise PermissionDenied("只有工作人员可以查看监察指标。")
    supervised = permissions.supervised_region_codes(user)
    if item_id is not None:
        item = ServiceItem.objects.select_related("department__region").filter(pk=item_id).first()
        if item is None or not permissions.can_see_department(user, item.department):
            raise NotFound()
        department_id = department_id if department_id is not None else item.department_id
        if department_id != item.department_id:
            raise NotFound()
    if department_id is not None:
        department = Department.objects.select_related("region").filter(pk=department_id).first()
        permissions.check_department(user, department)
        if region_code and not department.region.code.startswith(region_code):
            raise NotFound()
        title = department.name
        if item_id is not None:
            title = f"{department.name} · {item.name}"
        return Scope(
            region_code=region_code or None, department_id=department_id, item_id=item_id, title=title
        )
    if region_code:
        if not any(region_code.startswith(code) for code in supervised):
            raise PermissionDenied("您无权查看该地区的监察指标。")
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise NotFound()
        return Scope(region_code=region_code, title=region.full_name or region.name)
    if supervised:
        region = Region.objects.filter(code=supervised[0]).first()
        return Scope(
            region_code=supervised[0], title=(region.full_name or region.name) if region else supervised[0]
        )
    own = own_department_ids(user)
    if not own:
        raise PermissionDenied("只有工作人员可以查看监察指标。")
    department = Department.objects.get(pk=own[0])
    return Scope(department_id=department.pk, title=department.name)
