"""A small catalogue for the page and browser tests: two counties, two departments, a full guide."""

from dataclasses import dataclass

from tests.factories import (
    DepartmentFactory,
    FAQFactory,
    FeeItemFactory,
    LifeEventFactory,
    MaterialRequirementFactory,
    ProcessStepFactory,
    PublishedItemFactory,
    ServiceItemFactory,
    ThemeFactory,
    region_chain,
)
from tongban.catalog.models import ServiceItem
from tongban.catalog.themes import theme_slug


@dataclass
class Catalogue:
    county: object
    other_county: object
    department: object
    other_department: object
    person_theme: object
    enterprise_theme: object
    guide_item: ServiceItem
    food_item: ServiceItem
    other_region_item: ServiceItem
    draft_item: ServiceItem
    life_event: object


def build_catalogue() -> Catalogue:
    county = region_chain("511602")
    other_county = region_chain("330106")
    department = DepartmentFactory(name="广安区公安分局", region=county, address="广安区金安大道 1 号")
    other_department = DepartmentFactory(name="西湖区市场监管局", region=other_county)
    person_theme = ThemeFactory(audience="person", name="证件办理", slug=theme_slug("证件办理"))
    enterprise_theme = ThemeFactory(audience="enterprise", name="准营准办", slug=theme_slug("准营准办"))
    guide_item = PublishedItemFactory(
        name="居民身份证补领",
        department=department,
        item_type="07",
        service_objects=["1"],
        summary="居民身份证丢失后申请补领。",
        legal_basis="《中华人民共和国居民身份证法》第十一条",
        conditions="居民身份证丢失的本区户籍居民。",
        prohibited="不得要求申请人提供无法律依据的证明。",
        is_charged=True,
        fee_basis="《居民身份证工本费收费标准》",
        handling_place="广安区政务服务中心一楼公安窗口",
        handling_hours="工作日 9:00–17:00",
        consult_phone="0826-2220001",
        consult_channels="窗口咨询、电话咨询",
        complaint_phone="0826-12345",
        complaint_channels="12345 热线",
        visits_required=1,
        online_depth=3,
        result_type="certificate",
        result_name="中华人民共和国居民身份证",
        supports_appointment=True,
        supports_online_payment=True,
        supports_delivery=False,
        popularity=900,
        themes=[person_theme],
    )
    MaterialRequirementFactory(
        item=guide_item,
        name="户口簿",
        forms=["original"],
        copies=1,
        necessity="required",
        source="government",
        source_note="公安机关核发",
    )
    MaterialRequirementFactory(
        item=guide_item, name="近期免冠照片", forms=["electronic"], copies=1, necessity="optional"
    )
    ProcessStepFactory(item=guide_item, name="受理", description="窗口核对材料。", time_limit="即时")
    ProcessStepFactory(item=guide_item, name="制证", description="省公安厅制证。", time_limit="20个工作日")
    FeeItemFactory(item=guide_item, name="工本费", standard="20元/证", basis="《居民身份证工本费收费标准》")
    FAQFactory(item=guide_item, question="补领期间怎么办？", answer="可申请临时居民身份证。")
    food_item = PublishedItemFactory(
        name="食品经营许可",
        department=department,
        service_objects=["2"],
        popularity=500,
        themes=[enterprise_theme],
    )
    other_region_item = PublishedItemFactory(
        name="食品生产许可", department=other_department, service_objects=["2"], popularity=100
    )
    draft_item = ServiceItemFactory(name="草稿事项", department=department)
    life_event = LifeEventFactory(
        name="出生一件事", slug="chusheng", items=[guide_item, food_item, draft_item]
    )
    from tongban.catalog.search import rebuild_index

    rebuild_index()
    return Catalogue(
        county=county,
        other_county=other_county,
        department=department,
        other_department=other_department,
        person_theme=person_theme,
        enterprise_theme=enterprise_theme,
        guide_item=guide_item,
        food_item=food_item,
        other_region_item=other_region_item,
        draft_item=draft_item,
        life_event=life_event,
    )
