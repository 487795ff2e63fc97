"""Demo data for 跨域通办 (`tongban demo`, step "crossregion").

Three items of 广安区人力资源和社会保障局 are marked 跨域通办; 前锋区人力资源和社会保障局 gets a
window clerk (``qf_shouli``, README) who takes them in for 广安区 (异地代收代办). One case is
taken in that way (for a resident of 前锋区 from the population registry, post delivery), so the receiving office's list and 广安区's intake
queue (``rs_shouli``) show one when the demo is loaded. Idempotent.
"""

import datetime as dt
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.cases.services import crossregion as rules
from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.identity.models import StaffRole, User
from tongban.registries.models import PopulationRecord

from .cases import _PDF, GENERIC_DATA
from .configure import RS, item
from .identity import NAMED_PEOPLE, _staff

CROSS_REGION_ITEMS = ("社会保障卡申领", "失业登记", "失业保险金申领")
RECEIVING_REGION = "511603"  # 前锋区
RECEIVING_DEPARTMENT = "人力资源和社会保障局"
CLERK = "qf_shouli"
DEMO_KEY = "demo:crossregion01"
DEMO_ITEM = "失业登记"
DEMO_ADDRESS = "四川省广安市前锋区奎阁街道前锋大道 88 号（本人收）"


def receiving_department() -> Department | None:
    return (
        Department.objects.filter(region__code=RECEIVING_REGION, name__contains=RECEIVING_DEPARTMENT)
        .order_by("pk")
        .first()
    )


def load(*, out: Callable[[str], None] | None = None, **_: object) -> str:
    """The demo step: mark the items, add the receiving clerk, take in one case."""
    items = [item(RS, name) for name in CROSS_REGION_ITEMS]
    ServiceItem.objects.filter(pk__in=[i.pk for i in items]).update(cross_region=True)
    receiving = receiving_department()
    if receiving is None:
        return "缺少前锋区人社局，跳过跨域通办演示"
    clerk, _created = _staff(CLERK, "前锋人社受理员", receiving, [StaffRole.INTAKE])
    made = 0
    if not Case.objects.filter(submitted_by=clerk, idempotency_key=DEMO_KEY).exists():
        _take_in(clerk, receiving, item(RS, DEMO_ITEM))
        made = 1
    if out:
        out(
            f"跨域通办：{'、'.join(CROSS_REGION_ITEMS)}（广安区人社局）可在 {receiving.name} 窗口异地代收，"
            f"账号 {CLERK}"
        )
    return f"跨域通办事项 {len(items)} 个，异地代收演示办件 {made} 件"


def _take_in(clerk: User, receiving: Department, target: ServiceItem) -> Case:
    """异地代收代办 as the clerk does it at the window: identify, fill in, attach, submit."""
    record = (
        PopulationRecord.objects.filter(
            region__code__startswith=RECEIVING_REGION,
            status=PopulationRecord.Status.ALIVE,
            birth_date__lte=dt.date(2000, 1, 1),
        )
        .exclude(name__in=[p[0] for p in NAMED_PEOPLE.values()])
        .exclude(id_number__in=User.objects.filter(id_number__gt="").values("id_number"))
        .order_by("pk")
        .first()
    )
    if record is None:
        raise LookupError("人口库中没有前锋区的演示人员")
    person = cases.counter_applicant(staff=clerk, id_number=record.id_number, department=receiving)
    draft = cases.start_window_application(
        staff=clerk, item=target, applicant=person, receiving_department=receiving, originals_checked=True
    )
    properties = draft.form.schema.get("properties") or {}
    data = {k: v for k, v in GENERIC_DATA.items() if k in properties}
    if "mobile" in properties and not draft.data.get("mobile"):
        data["mobile"] = "13800000005"
    cases.save_draft(user=clerk, application=draft, data=data)
    for material in cases.missing_materials(draft):
        upload = SimpleUploadedFile(f"{material.name}.pdf", _PDF, content_type="application/pdf")
        cases.attach_file(user=clerk, application=draft, requirement=material, upload=upload)
    rules.choose_delivery(user=clerk, application=draft, delivery="post", address=DEMO_ADDRESS)
    return cases.submit_at_window(staff=clerk, application=draft, idempotency_key=DEMO_KEY)
