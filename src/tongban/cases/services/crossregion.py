"""跨域通办: the rules of taking in at another region's window (异地代收代办) and of the
result's delivery; the counter intake itself is ``window`` (one path, extended here).

- A window clerk of region B takes in an item of region A only when the item is marked
  跨域通办, only with the 受理 role in the receiving department, and only after ticking that
  the applicant's identity document and the originals of the materials were checked; the
  receiving department is recorded on the draft and the case (收件地).
- The case goes to the competent department of region A's intake queue; region A accepts,
  decides and concludes as usual. The receiving office never accepts on A's behalf.
- The applicant chooses how the result reaches them: online (e-licence, download) or by post
  to an address; the choice is kept on the draft (save and return) and copied to the case.
"""

from django.db import transaction

from tongban.catalog.models import Channel, ServiceItem
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from ..crossregion import LOCAL, ONLINE, PROXY
from ..models import Application, Case, Delivery

DELIVERY_ONLINE, DELIVERY_POST = Delivery.ONLINE, Delivery.POST
ADDRESS_MIN, ADDRESS_MAX = 8, 300


def check_receiving(
    staff: User, item: ServiceItem, receiving_department: Department, *, originals_checked: bool
) -> None:
    """May ``staff`` take in ``item`` at ``receiving_department``'s window for another region?"""
    if item.status != ServiceItem.Status.PUBLISHED:
        raise NotFound()
    permissions.require_role(staff, StaffRole.INTAKE, receiving_department)
    if not item.cross_region:
        raise InvalidInput(
            "该事项未开通跨域通办，不能在异地窗口代收，请告知申请人向事项所属地办理或网上申请。",
            field="item",
            code="not_cross_region",
        )
    if receiving_department.region.code == item.region_code:
        raise InvalidInput("该事项属于本地区，请通过“窗口受理”办理。", field="item", code="same_region")
    if not originals_checked:
        raise InvalidInput(
            "请先核验申请人身份证件和申请材料原件，并勾选确认。",
            field="originals_checked",
            code="originals_not_checked",
        )


def handling_mode_of(application: Application, item: ServiceItem) -> str:
    """The mode a submission records: 异地代收代办 when a receiving office took it in,
    全程网办 when a 跨域通办 item is applied for online, else local."""
    if application.receiving_department_id:
        return PROXY
    if item.cross_region and application.channel == Channel.ONLINE:
        return ONLINE
    return LOCAL


def case_fields(application: Application, item: ServiceItem) -> dict:
    """The 跨域通办 columns a submission copies from the draft onto the case (one query, for
    the receiving office's region, only when there is one)."""
    fields = {
        "handling_mode": handling_mode_of(application, item),
        "delivery": application.delivery or DELIVERY_ONLINE,
        "delivery_address": application.delivery_address,
    }
    if application.receiving_department_id:
        fields["receiving_department_id"] = application.receiving_department_id
        fields["receiving_region_code"] = (
            Department.objects.filter(pk=application.receiving_department_id)
            .values_list("region__code", flat=True)
            .get()
        )
    return fields


def submission_title(case: Case) -> str:
    """The history line of a submission: online, at the window, or at another region's window."""
    if case.receiving_department_id:
        return "异地代收代办收件"
    return "窗口收件" if case.channel == Channel.WINDOW else "网上申请提交"


def submission_note(case: Case) -> str:
    """What the submission's history line says of 跨域通办: the receiving office and its check,
    the mode and the delivery the applicant chose."""
    if not case.handling_mode:
        return ""
    parts = []
    if case.receiving_department_id:
        name = Department.objects.filter(pk=case.receiving_department_id).values_list("name", flat=True).get()
        parts.append(f"收件地：{name}，已核验申请人身份证件和材料原件，转{case.department.name}受理")
    elif case.handling_mode == ONLINE:
        parts.append("跨域通办·全程网办")
    if case.delivery == DELIVERY_POST:
        parts.append("结果邮寄送达")
    return "；".join(parts) + "。"


def clean_delivery(delivery: str, address: str) -> tuple[str, str]:
    """The delivery choice, checked: online, or post with a full address."""
    delivery = (delivery or DELIVERY_ONLINE).strip()
    address = " ".join((address or "").split())
    if delivery not in (DELIVERY_ONLINE, DELIVERY_POST):
        raise InvalidInput("请选择结果送达方式。", field="delivery", code="delivery_invalid")
    if delivery == DELIVERY_ONLINE:
        return delivery, ""
    if len(address) < ADDRESS_MIN:
        raise InvalidInput(
            "选择邮寄送达的，请填写完整的邮寄地址（省市区、街道门牌号、收件人和电话）。",
            field="delivery_address",
            code="address_missing",
        )
    if len(address) > ADDRESS_MAX:
        raise InvalidInput(
            f"邮寄地址不能超过 {ADDRESS_MAX} 个字。", field="delivery_address", code="address_too_long"
        )
    return delivery, address


@transaction.atomic
def choose_delivery(*, user: User, application: Application, delivery: str, address: str) -> Application:
    """The applicant (or the receiving clerk for them) chooses how the result is delivered;
    only for 跨域通办 items, only on an editable draft of their own."""
    from .applying import _editable_draft

    draft = _editable_draft(user, application)
    if not draft.item.cross_region:
        raise InvalidInput("该事项未开通跨域通办，结果按事项规定方式送达。", code="not_cross_region")
    draft.delivery, draft.delivery_address = clean_delivery(delivery, address)
    draft.save(update_fields=["delivery", "delivery_address", "updated_at"])
    return draft
