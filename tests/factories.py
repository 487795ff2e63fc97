"""Shared factory_boy factories for every app's tests.

Regions are created directly (with their ancestors) instead of loading the whole GB/T 2260
tree, so a test pays only for the rows it needs. ``region_chain("511602")`` gives the county
with its province and city; ``RegionFactory`` gives a fresh county under a fresh province.
"""

import itertools

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from tongban.catalog.models import (
    FAQ,
    FeeItem,
    ItemType,
    LifeEvent,
    MaterialRequirement,
    ProcessStep,
    SearchSynonym,
    ServiceItem,
    Theme,
)
from tongban.departments.models import Department
from tongban.regions.codes import LEVEL_LENGTHS, ancestor_codes, level_of, normalize_region_code
from tongban.regions.models import Region

# Names for the real codes tests use most; other codes get a generated name.
KNOWN_REGIONS = {
    "51": "四川省",
    "5116": "广安市",
    "511602": "广安区",
    "511603": "前锋区",
    "511621": "岳池县",
    "33": "浙江省",
    "3301": "杭州市",
    "330106": "西湖区",
}


def region_chain(code: str, name: str | None = None) -> Region:
    """Return the region with ``code``, creating it and any missing ancestors."""
    code = normalize_region_code(code)
    parent = None
    for ancestor in ancestor_codes(code):
        region = Region.objects.filter(code=ancestor).first()
        if region is None:
            title = name if (ancestor == code and name) else KNOWN_REGIONS.get(ancestor, f"区划{ancestor}")
            full_name = f"{parent.full_name}{title}" if parent else title
            region = Region.objects.create(
                code=ancestor, name=title, level=level_of(ancestor), parent=parent, full_name=full_name
            )
        parent = region
    return parent


_province_codes = itertools.count(60)


class RegionFactory(factory.django.DjangoModelFactory):
    """A county (level 3) under its own province and city; pass ``code`` for a specific one."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.LazyFunction(lambda: f"{next(_province_codes) % 100:02d}0102")  # a county, 6 digits
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = factory.LazyAttribute(lambda o: level_of(normalize_region_code(o.code)))
    parent = factory.LazyAttribute(
        lambda o: (
            region_chain(normalize_region_code(o.code)[: LEVEL_LENGTHS[o.level - 1]]) if o.level > 1 else None
        )
    )
    full_name = factory.LazyAttribute(lambda o: f"{o.parent.full_name}{o.name}" if o.parent else o.name)


_uscc_serial = itertools.count(1)


def make_uscc(serial: int | None = None, prefix: str = "11511301") -> str:
    """A 统一社会信用代码 with a correct check character (GB 32100)."""
    serial = next(_uscc_serial) if serial is None else serial
    body = f"{prefix}{serial:09d}"
    return body + stdnum_uscc.calc_check_digit(body)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试局{n}")
    region = factory.LazyFunction(lambda: region_chain("511602"))
    uscc = factory.LazyFunction(make_uscc)
    phone = "0826-2220000"


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("audience", "slug")

    audience = "person"
    name = factory.Sequence(lambda n: f"主题{n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class ServiceItemFactory(factory.django.DjangoModelFactory):
    """A consistent promised licensing item (passes every cross-check)."""

    class Meta:
        model = ServiceItem
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"511A{n:010d}-511602000000-000-TEST-1-00")
    base_code = factory.LazyAttribute(lambda o: o.code.split("-")[0])
    name = factory.Sequence(lambda n: f"测试事项{n}")
    item_type = ItemType.LICENSING
    service_objects = factory.LazyFunction(lambda: ["1"])
    department = factory.SubFactory(DepartmentFactory)
    region = factory.LazyAttribute(lambda o: o.department.region)
    legal_basis = "《中华人民共和国行政许可法》第十二条"
    conditions = "申请人符合法定条件。"
    consult_phone = "0826-2220001"
    complaint_phone = "0826-12345"
    channels = factory.LazyFunction(lambda: ["1", "2"])

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)


class PublishedItemFactory(ServiceItemFactory):
    status = ServiceItem.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class MaterialRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialRequirement

    item = factory.SubFactory(ServiceItemFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"申请材料{n}")
    forms = factory.LazyFunction(lambda: ["original"])
    copies = 1


class ProcessStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessStep

    item = factory.SubFactory(ServiceItemFactory)
    order = factory.Sequence(lambda n: n)
    name = "受理"
    description = "窗口人员核对申请材料。"
    time_limit = "1个工作日"


class FeeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeItem

    item = factory.SubFactory(ServiceItemFactory, is_charged=True, fee_basis="《收费标准》")
    name = "工本费"
    standard = "10元/件"
    basis = "《行政事业性收费标准》"


class FAQFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQ

    item = factory.SubFactory(ServiceItemFactory)
    order = factory.Sequence(lambda n: n)
    question = factory.Sequence(lambda n: f"常见问题{n}？")
    answer = "请携带身份证原件到窗口办理。"


class LifeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LifeEvent
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"一件事{n}")
    slug = factory.Sequence(lambda n: f"life-event-{n}")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create and extracted:
            self.items.set(extracted)


class SearchSynonymFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SearchSynonym

    phrase = factory.Sequence(lambda n: f"俗称{n}")
    expansions = "规范用语"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-123456")


class StaffUserFactory(UserFactory):
    kind = "staff"
    is_staff = True


class SuperUserFactory(StaffUserFactory):
    is_superuser = True


def login_verified(client, user) -> None:
    """Sign ``user`` in on a test client with a verified second factor (staff need one).

    Creates a confirmed TOTP device and marks the session as verified with it, the way
    django-otp's login does after a correct token.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
