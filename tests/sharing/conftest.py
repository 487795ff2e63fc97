"""A small world for sharing: a provider (公安) with the population registry, a consumer
department, its catalogue admin, and a citizen in the registry."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import DepartmentFactory, StaffUserFactory, UserFactory, region_chain


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def world(db):
    from tongban.identity.models import StaffMembership, StaffRole
    from tongban.registries.models import EnterpriseRecord, PopulationRecord
    from tongban.sharing import catalogue

    police = DepartmentFactory(name="测试公安局")
    market = DepartmentFactory(name="测试市场监督管理局")
    office = DepartmentFactory(name="测试行政审批局")
    consumer = DepartmentFactory(name="测试人社局")
    region = region_chain("511602")
    person = PopulationRecord.objects.create(
        name="张三",
        id_number="511602199003070010",
        birth_date=dt.date(1990, 3, 7),
        sex="M",
        ethnicity="汉族",
        address="四川省广安市广安区中心街1号",
        region=region,
    )
    from tests.factories import make_uscc

    firm = EnterpriseRecord.objects.create(
        name="广安测试有限公司",
        uscc=make_uscc(),
        legal_rep_name="张三",
        legal_rep_id_number=person.id_number,
        address="四川省广安市广安区工业路2号",
        region=region,
    )
    citizen = UserFactory(real_name="张三", id_number=person.id_number, real_name_level=2)
    admin = StaffUserFactory(real_name="人社数据员")
    StaffMembership.objects.create(user=admin, department=consumer, role=StaffRole.CATALOGUE)
    provider_admin = StaffUserFactory(real_name="公安数据员")
    StaffMembership.objects.create(user=provider_admin, department=police, role=StaffRole.CATALOGUE)
    supervisor = StaffUserFactory(real_name="监察员")
    StaffMembership.objects.create(user=supervisor, department=office, role=StaffRole.SUPERVISOR)
    catalogue.publish_standard(population=police, enterprise=market, case_results=office)
    from tongban.sharing.models import DataResource

    return SimpleNamespace(
        police=police,
        market=market,
        office=office,
        consumer=consumer,
        person=person,
        firm=firm,
        citizen=citizen,
        admin=admin,
        provider_admin=provider_admin,
        supervisor=supervisor,
        population=DataResource.objects.get(kind="population"),
        enterprise=DataResource.objects.get(kind="enterprise"),
        case_results=DataResource.objects.get(kind="case_result"),
        until=timezone.localdate() + dt.timedelta(days=365),
    )


@pytest.fixture
def granted(world):
    """人社局 holds a grant for name and address of 人口基础信息."""
    from tongban.sharing import services

    request = services.request_sharing(
        actor=world.admin,
        resource=world.population,
        consumer=world.consumer,
        fields=["name", "address"],
        purpose="社会保险登记核验",
        legal_basis="《社会保险法》第五十八条",
        valid_until=world.until,
    )
    services.decide_request(actor=world.provider_admin, request=request, grant=True)
    request.refresh_from_db()
    return request.grant
