"""Identity in the JSON API: my enterprises and their agents, my data-use log and login history,
and a department's staff (for staff who may see that department).

Same service functions and checks as the pages; objects someone may not see answer 404.
"""

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from tongban.core.errors import NotFound, PermissionDenied
from tongban.core.masking import mask_mobile
from tongban.core.params import Id
from tongban.departments.models import Department

from . import permissions, selectors, services
from .actors import get_enterprise_for_rep
from .oidc.auth import api_auth

router = Router(tags=["统一身份认证"], auth=api_auth)


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    role: str


class GrantOut(Schema):
    id: int
    agent_name: str
    agent_mobile: str
    all_items: bool
    item_ids: list[int]
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    revoked_at: datetime.datetime | None
    state: str


class DataUseOut(Schema):
    at: datetime.datetime
    accessor: str
    department: str | None
    purpose: str


class LoginOut(Schema):
    at: datetime.datetime
    method: str
    success: bool


class StaffOut(Schema):
    id: int
    name: str
    username: str
    roles: list[str]


def _citizen(request: HttpRequest):
    if request.user.kind != "citizen":
        raise PermissionDenied("仅公众用户可使用该接口。")
    return request.user


def _grant(grant) -> dict:
    return {
        "id": grant.pk,
        "agent_name": grant.agent.display_name,
        "agent_mobile": mask_mobile(grant.agent.mobile),
        "all_items": grant.all_items,
        "item_ids": [item.pk for item in grant.items.all()],
        "valid_from": grant.valid_from,
        "valid_until": grant.valid_until,
        "revoked_at": grant.revoked_at,
        "state": grant.state,
    }


@router.get("/identity/enterprises", response=list[EnterpriseOut], summary="我可代表的企业")
def my_enterprises(request: HttpRequest) -> list[dict]:
    from .actors import acting_choices

    user = _citizen(request)
    return [
        {
            "id": e.pk,
            "name": e.name,
            "uscc": e.uscc,
            "role": "legal_rep" if e.legal_rep_id == user.pk else "agent",
        }
        for e in acting_choices(user)
    ]


@router.get("/identity/enterprises/{enterprise_id}", response=EnterpriseOut, summary="企业账号（法定代表人）")
def enterprise(request: HttpRequest, enterprise_id: Id) -> dict:
    account = get_enterprise_for_rep(request.user, enterprise_id)
    return {"id": account.pk, "name": account.name, "uscc": account.uscc, "role": "legal_rep"}


@router.get(
    "/identity/enterprises/{enterprise_id}/agents", response=list[GrantOut], summary="企业的经办人授权"
)
def enterprise_agents(request: HttpRequest, enterprise_id: Id) -> list[dict]:
    account = get_enterprise_for_rep(request.user, enterprise_id)
    return [_grant(g) for g in selectors.enterprise_authorisations(account)]


@router.post(
    "/identity/enterprises/{enterprise_id}/agents/{grant_id}/revoke",
    response=GrantOut,
    summary="撤销经办人授权（立即生效）",
)
def revoke_agent(request: HttpRequest, enterprise_id: Id, grant_id: Id) -> dict:
    account = get_enterprise_for_rep(request.user, enterprise_id)
    grant = selectors.get_authorisation_for_rep(request.user, account, grant_id)
    return _grant(services.revoke_authorisation(request.user, grant, request=request))


@router.get("/identity/data-use", response=list[DataUseOut], summary="谁用了我的数据")
def data_use(request: HttpRequest) -> list[dict]:
    return [
        {
            "at": log.created_at,
            "accessor": "本人" if log.accessor_id == request.user.pk else log.accessor_label,
            "department": log.department.name if log.department else None,
            "purpose": log.purpose,
        }
        for log in selectors.data_use_log(request.user)
    ]


@router.get("/identity/logins", response=list[LoginOut], summary="我的登录记录")
def logins(request: HttpRequest) -> list[dict]:
    return [
        {"at": e.created_at, "method": e.method, "success": e.success}
        for e in selectors.login_history(request.user)
    ]


@router.get(
    "/identity/departments/{department_id}/staff",
    response=list[StaffOut],
    summary="部门工作人员（本部门或监察范围）",
)
def department_staff(request: HttpRequest, department_id: Id) -> list[dict]:
    department = Department.objects.select_related("region").filter(pk=department_id).first()
    if not permissions.can_see_department(request.user, department):
        raise NotFound()
    return [
        {
            "id": p["id"],
            "name": p["name"],
            "username": p["username"],
            "roles": [r["code"] for r in p["roles"]],
        }
        for p in selectors.department_staff(department)
    ]
