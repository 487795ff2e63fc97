"""Demo data of payments.

- The sandbox provider's test keys, generated on this machine when the demo loads (never
  committed): ``tongban serve`` starts the sandbox with them.
- 社会保障卡补领、换领、换发 (广安区人社局) charges its 工本费 of 20 元, so it runs the 即办件
  process with 缴费; 张晓明 (13800000001) has one such case waiting for payment (受理 by
  ``rs_shouli``), to pay through the sandbox; ``rs_caiwu`` (财务) refunds and reconciles.
- The catalogue's own charging items (不动产登记, 80 元) run the promised process with 缴费.
"""

from django.db import transaction

from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.models import FeeItem
from tongban.demo.cases import RS, Scenario, _staff, _submit
from tongban.demo.configure import item
from tongban.identity.models import User

from . import conf
from .models import PaymentOrder

CHARGED_ITEM = (RS, "社会保障卡补领、换领、换发")
FEE = (
    "社会保障卡工本费",
    "每张 20 元",
    "《四川省发展和改革委员会 四川省财政厅关于社会保障卡工本费收费标准的通知》",
)
CASE = Scenario(
    key="demo:payment", applicant="13800000001", department=RS, item=CHARGED_ITEM[1], target="payment"
)


def load(**_: object) -> str:
    folder = conf.ensure_sandbox_keys()
    target = item(*CHARGED_ITEM)
    with transaction.atomic():
        if not target.is_charged or not target.fees.filter(name=FEE[0]).exists():
            target.is_charged, target.fee_basis, target.supports_online_payment = True, FEE[2], True
            target.save(update_fields=["is_charged", "fee_basis", "supports_online_payment"])
            FeeItem.objects.get_or_create(
                item=target, name=FEE[0], defaults={"standard": FEE[1], "basis": FEE[2]}
            )
    case = Case.objects.filter(idempotency_key=CASE.key).first()
    if case is None:
        user = User.objects.get(username=CASE.applicant)
        case = _submit(CASE, target, user)
        case = cases.accept_case(
            actor=_staff(RS)["intake"], case=case, opinion="材料齐全，请缴纳工本费后制卡。"
        )
    order = PaymentOrder.objects.filter(case=case).first()
    return (
        f"沙箱支付渠道测试密钥：{folder}；收费事项“{target.name}”（工本费 20 元）；"
        f"张晓明的办件 {case.number} {case.get_status_display()}"
        + (f"，缴款码 {order.payment_code}" if order else "")
    )
