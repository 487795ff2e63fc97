"""一窗受理: intake staff apply at the counter on someone's behalf and may accept at once."""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.catalog.models import Channel, ServiceItem
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.audit import record_action
from tongban.identity.models import EnterpriseAccount, StaffRole

from ..forms import registry_defaults
from ..models import Application, Case
from ._common import (
    DRAFT_DAYS,
)
from .applying import _form_for, _prefill, attach_held_materials, submit_application
from .crossregion import check_receiving
from .processing import accept_case


@transaction.atomic
def start_window_application(
    *,
    staff: User,
    item: ServiceItem,
    applicant: User,
    enterprise: EnterpriseAccount | None = None,
    receiving_department: Department | None = None,
    originals_checked: bool = False,
) -> Application:
    """一窗受理: intake staff fill in the application for a person at the counter.

    With ``receiving_department`` it is 跨域通办's 异地代收代办: a clerk of another region takes
    in a 跨域通办 item for its competent department (``crossregion.check_receiving``: the
    item's mark, the clerk's 受理 role there, identity and originals checked); the draft
    records the receiving office and the check is an audit entry of the receiving department.
    """
    if item.status != ServiceItem.Status.PUBLISHED:
        raise NotFound()
    if receiving_department is None:
        permissions.require_role(staff, StaffRole.INTAKE, item.department)
    else:
        check_receiving(staff, item, receiving_department, originals_checked=originals_checked)
    form = _form_for(item)
    application = Application.objects.create(
        item=item,
        form=form,
        applicant=applicant,
        enterprise=enterprise,
        created_by=staff,
        channel=Channel.WINDOW,
        receiving_department=receiving_department,
        data={
            **registry_defaults(
                form.schema,
                applicant,
                enterprise,
                accessor=staff,
                purpose="窗口受理时预填地址",
                department=receiving_department or item.department,
            ),
            **_prefill(form, applicant, enterprise),
        },
        expires_at=timezone.now() + dt.timedelta(days=DRAFT_DAYS),
    )
    attach_held_materials(application, staff)
    if receiving_department is not None:  # the audit entry is the transaction's last write
        record_action(
            staff,
            "cases.crossregion_receive",
            target=application,
            department=receiving_department,
            summary=f"异地代收：{item.name}（{item.department.name}），已核验身份证件和材料原件",
        )
    return application


def counter_applicant(*, staff: User, id_number: str, department: Department) -> User:
    """The account of the person at the window, found by ID number or opened for them.

    The population registry is read (and the read logged with the purpose 窗口受理) every
    time, so staff see the registered name and nobody deceased or unknown gets a case. A new
    account is a citizen account at L2 (registry-confirmed) without a password or mobile
    number; the person can take it over later at a window.
    """
    from django.contrib.auth import get_user_model

    from tongban.identity.audit import record_action
    from tongban.registries.models import PopulationRecord
    from tongban.registries.selectors import read_person
    from tongban.registries.validators import parse_id_number

    permissions.require_role(staff, StaffRole.INTAKE, department)
    facts = parse_id_number(id_number)
    record = read_person(facts.number, accessor=staff, purpose="窗口受理", department=department)
    if record is None:
        raise InvalidInput("人口库中没有该身份证号码，请核对证件后重新输入。", field="id_number")
    if record.status == PopulationRecord.Status.DECEASED:
        raise InvalidInput("该身份证号码登记为已死亡人员，不能办理。", field="id_number")
    user_model = get_user_model()
    person = user_model.objects.filter(id_number=facts.number).first()
    if person is not None:
        if person.kind != user_model.Kind.CITIZEN or not person.is_active:
            raise InvalidInput("该身份证号码绑定的账号不能用于申请，请联系系统管理员。", field="id_number")
        return person
    person = user_model(
        username=f"window-{uuid.uuid4().hex[:20]}",
        kind=user_model.Kind.CITIZEN,
        real_name=record.name,
        id_number=record.id_number,
        real_name_level=user_model.RealNameLevel.L2,
        real_name_verified_at=timezone.now(),
    )
    person.set_unusable_password()
    # Not one transaction with the registry read: a refused lookup must stay in the log.
    try:
        with transaction.atomic():
            person.save()
            record_action(
                staff,
                "cases.window_account",
                target=person,
                department=department,
                summary="窗口受理时开立公众账号",
            )
    except IntegrityError:  # another window opened the account a moment ago
        return user_model.objects.get(id_number=facts.number)
    return person


def submit_at_window(
    *,
    staff: User,
    application: Application,
    idempotency_key: str | None = None,
    opinion: str = "",
) -> Case:
    """一窗受理当场受理: the intake clerk submits at the counter and, the form being valid and the
    materials complete (``submit_application`` refuses otherwise), accepts at once.

    The acceptance is the ordinary ``accept_case`` by the clerk (same clock, events, audit and
    notification as an accept from the queue). A repeated request returns the accepted case.
    Submission and acceptance are two transactions, each ending with its own audit append
    (``core.audit``): should the acceptance fail, the case waits in the intake queue and a
    repeated request accepts it.
    """
    if application.channel != Channel.WINDOW:
        raise InvalidInput("只有窗口收件的申请可以当场受理。", code="not_window")
    if application.receiving_department_id:
        # 异地代收代办: the receiving window submits; the competent department accepts.
        permissions.require_role(staff, StaffRole.INTAKE, application.receiving_department)
        return submit_application(user=staff, application=application, idempotency_key=idempotency_key)
    permissions.require_role(staff, StaffRole.INTAKE, application.item.department)
    case = submit_application(user=staff, application=application, idempotency_key=idempotency_key)
    if case.status == Case.Status.PENDING_INTAKE and case.current_role == StaffRole.INTAKE:
        case = accept_case(
            actor=staff, case=case, opinion=opinion.strip() or "窗口收件，材料齐全，当场受理。"
        )
    return case
