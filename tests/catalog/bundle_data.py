"""The restaurant bundle the 一件事 tests of the catalogue share."""

from tests.cases.conftest import citizen, staff
from tests.factories import DepartmentFactory, PublishedItemFactory, region_chain
from tongban.catalog.models import GuidanceQuestion, LifeEvent, LifeEventItem


def restaurant_bundle() -> dict:
    """开办餐饮店一件事 in 广安区: licence first, then food, tax and an optional sign."""
    county = region_chain("511602", "广安区")
    approval = DepartmentFactory(name="行政审批局", region=county)
    tax = DepartmentFactory(name="税务局", region=county)
    city = DepartmentFactory(name="城管局", region=county)
    licence = PublishedItemFactory(name="个体工商户设立登记", department=approval, result_name="营业执照")
    food = PublishedItemFactory(name="食品经营许可", department=approval, promised_limit=5)
    taxes = PublishedItemFactory(name="税务登记", department=tax, promised_limit=0, case_kind="1")
    sign = PublishedItemFactory(name="户外招牌设置", department=city)
    bundle = LifeEvent.objects.create(
        name="开办餐饮店一件事", slug="canyin", region=county, lead_department=approval, joint_limit_days=10
    )
    entries = {}
    for order, (key, item, essential) in enumerate(
        [("licence", licence, True), ("food", food, True), ("tax", taxes, True), ("sign", sign, False)]
    ):
        entries[key] = LifeEventItem.objects.create(
            bundle=bundle, item=item, essential=essential, order=order
        )
    for key in ("food", "tax", "sign"):
        entries[key].after.add(entries["licence"])
    sign_q = GuidanceQuestion.objects.create(
        bundle=bundle, order=1, text="是否设置户外招牌？", default_answer=True
    )
    sign_q.if_yes.add(entries["sign"])
    return {
        "bundle": bundle,
        "entries": entries,
        "items": {"licence": licence, "food": food, "tax": taxes, "sign": sign},
        "sign_q": sign_q,
        "approval": approval,
        "admin": staff(approval, "catalogue", name="事项管理员"),
        "clerk": staff(approval, "intake", name="受理员"),
        "outsider": staff(tax, "catalogue", name="外单位"),
        "citizen": citizen("张三"),
    }
