import pytest
from django.contrib.auth.models import Permission

from tests.factories import (
    DepartmentFactory,
    PublishedItemFactory,
    ServiceItemFactory,
    StaffUserFactory,
    SuperUserFactory,
    UserFactory,
    make_uscc,
    region_chain,
)
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.departments import selectors, services
from tongban.departments.models import Department

pytestmark = pytest.mark.django_db

VALID_USCC = ["91110000600037341L", "91310000775785552L", "9144030071526726XG", "11511301452259996u"]
INVALID_USCC = [
    "91110000600037341M",  # wrong check character
    "9111000060003734L",  # 17 characters
    "I1110000600037341L",  # letter among the first eight digits
    "91110000600037341O",  # O is not in the GB 32100 alphabet
    "1151130108778239R",  # a local code, not a USCC
]


@pytest.fixture
def county():
    return region_chain("511602")


@pytest.mark.parametrize("value", VALID_USCC)
def test_create_department_accepts_valid_uscc(county, value):
    department = services.create_department(
        actor=None, data={"name": "区市场监管局", "region": county, "uscc": value}
    )
    assert department.uscc == value.upper()
    assert Department.objects.get(pk=department.pk).uscc == value.upper()


@pytest.mark.parametrize("value", INVALID_USCC)
def test_create_department_rejects_invalid_uscc_naming_the_field(county, value):
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": "区市场监管局", "region": county, "uscc": value})
    assert info.value.field == "uscc"
    assert "统一社会信用代码" in info.value.message
    assert not Department.objects.filter(name="区市场监管局").exists()


def test_department_without_uscc_is_stored_with_null(county):
    department = services.create_department(
        actor=None, data={"name": "区委办", "region": county, "uscc": "", "local_code": "008778546"}
    )
    assert department.uscc is None
    assert department.local_code == "008778546"


def test_create_department_refuses_duplicates_and_missing_fields(county):
    code = make_uscc()
    services.create_department(actor=None, data={"name": "区民政局", "region": county, "uscc": code})
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": "区民政局", "region": county})
    assert info.value.field == "name"
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": "另一个局", "region": county, "uscc": code})
    assert info.value.field == "uscc"
    assert "已被" in info.value.message
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": " ", "region": county})
    assert info.value.field == "name"
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": "无区划局"})
    assert info.value.field == "region"
    with pytest.raises(InvalidInput) as info:
        services.create_department(actor=None, data={"name": "某局", "region": county, "colour": "red"})
    assert info.value.field == "colour"


def test_update_department_validates_uscc(county):
    department = DepartmentFactory(region=county)
    services.update_department(actor=None, department=department, data={"phone": "0826-1111111"})
    department.refresh_from_db()
    assert department.phone == "0826-1111111"
    with pytest.raises(InvalidInput) as info:
        services.update_department(actor=None, department=department, data={"uscc": INVALID_USCC[0]})
    assert info.value.field == "uscc"
    department.refresh_from_db()
    assert department.uscc != INVALID_USCC[0]


def test_department_writes_refuse_users_without_permission(county):
    for actor in (UserFactory(), StaffUserFactory()):
        with pytest.raises(PermissionDenied):
            services.create_department(actor=actor, data={"name": "区水务局", "region": county})
    department = DepartmentFactory(region=county)
    with pytest.raises(PermissionDenied):
        services.update_department(actor=UserFactory(), department=department, data={"phone": "1"})
    assert not Department.objects.filter(name="区水务局").exists()


def test_department_writes_allowed_with_permission_or_superuser(county):
    editor = StaffUserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="change_department"))
    editor = type(editor).objects.get(pk=editor.pk)
    services.create_department(actor=editor, data={"name": "区水务局", "region": county})
    services.create_department(actor=SuperUserFactory(), data={"name": "区林业局", "region": county})
    assert Department.objects.filter(name__in=["区水务局", "区林业局"]).count() == 2


def test_import_lookup_stores_uscc_or_local_code(county):
    with_uscc, created = services.get_or_create_department_for_import(
        county, "区经信局", "11511301008778183N"
    )
    assert created
    assert (with_uscc.uscc, with_uscc.local_code) == ("11511301008778183N", "")
    local, created = services.get_or_create_department_for_import(county, "区委办", "008778546")
    assert created
    assert (local.uscc, local.local_code) == (None, "008778546")
    # A 17-character code that looks almost like a USCC is a local code.
    almost, _ = services.get_or_create_department_for_import(county, "区公安分局", "1151130000877869M")
    assert (almost.uscc, almost.local_code) == (None, "1151130000877869M")


def test_import_lookup_reuses_by_name_and_only_fills_missing_codes(county):
    first, created = services.get_or_create_department_for_import(county, "区交通运输局", "11736")
    assert created
    again, created = services.get_or_create_department_for_import(
        county, "区交通运输局", "11511301008778386B"
    )
    assert not created
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.uscc, again.local_code) == ("11511301008778386B", "11736")
    # Nothing is overwritten by later, different codes.
    services.get_or_create_department_for_import(county, "区交通运输局", "99999")
    again.refresh_from_db()
    assert (again.uscc, again.local_code) == ("11511301008778386B", "11736")


def test_import_lookup_never_steals_a_uscc_used_elsewhere(county):
    owner = DepartmentFactory(region=county)
    other, _ = services.get_or_create_department_for_import(county, "重名编码局", owner.uscc)
    assert other.uscc is None
    assert other.local_code == owner.uscc


def test_import_lookup_uses_the_cache_and_rejects_empty_names(county):
    cache = {}
    department, _ = services.get_or_create_department_for_import(county, "区残联", "", cache=cache)
    assert cache[(county.pk, "区残联")] == department
    with pytest.raises(InvalidInput) as info:
        services.get_or_create_department_for_import(county, "  ", "")
    assert info.value.field == "department"


def test_classify_department_code():
    assert services.classify_department_code(" 11511301452259996u ") == ("11511301452259996U", "")
    assert services.classify_department_code("68236467-9") == (None, "68236467-9")
    assert services.classify_department_code("") == (None, "")


def test_selectors_count_published_items_per_department(county):
    busy = DepartmentFactory(region=county, name="甲局")
    quiet = DepartmentFactory(region=county, name="乙局")
    PublishedItemFactory.create_batch(2, department=busy)
    ServiceItemFactory(department=quiet)  # a draft does not count
    other_county = region_chain("511621")
    DepartmentFactory(region=other_county, name="丙局")
    shops = list(selectors.departments_with_item_counts(county))
    assert [(d.name, d.item_count) for d in shops] == [("甲局", 2), ("乙局", 0)]
    assert selectors.departments_in_region(county.parent).count() == 3
    assert selectors.departments_in_region(county.parent, include_below=False).count() == 0
    assert selectors.get_department(busy.pk) == busy
    with pytest.raises(NotFound):
        selectors.get_department(999999)
    assert selectors.find_by_code(busy.uscc.lower()) == busy
    assert selectors.find_by_code("") is None
