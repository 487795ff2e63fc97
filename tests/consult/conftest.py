import pytest

from tests.factories import DepartmentFactory, StaffUserFactory, UserFactory, region_chain
from tongban.consult.models import Category, Centre
from tongban.identity.models import StaffMembership, StaffRole


def staff(username: str, department, role: str = StaffRole.INTAKE):
    user = StaffUserFactory(username=username)
    StaffMembership.objects.create(user=user, department=department, role=role)
    return user


@pytest.fixture
def world(db):
    """A 12345 centre for city 5116, two county departments with a handler each, a citizen."""
    city = region_chain("5116")
    region_chain("511602")
    centre_dept = DepartmentFactory(name="12345热线中心", region=city)
    centre = Centre.objects.create(department=centre_dept, region=city)
    rs = DepartmentFactory(name="区人社局")
    sj = DepartmentFactory(name="区市监局")
    return {
        "centre": centre,
        "operator": staff("op", centre_dept),
        "rs": rs,
        "sj": sj,
        "rs_handler": staff("rsh", rs),
        "sj_handler": staff("sjh", sj),
        "citizen": UserFactory(username="13900000009", real_name="王小明", mobile="13900000009"),
        "other": UserFactory(username="13900000010", real_name="李四", mobile="13900000010"),
        "market": Category.objects.get(code="market"),
        "social": Category.objects.get(code="social-security"),
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Accounts here are scaffolding; argon2's deliberate slowness is tested in identity."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
