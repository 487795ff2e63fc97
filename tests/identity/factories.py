"""Factories for registry records, citizens, enterprises and staff with roles.

Passwords are hashed once per process with the real (argon2) hasher and the hash reused, so
tests keep the production hasher without paying for it on every user.
"""

import datetime
import functools
import itertools
import random

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from tests.factories import region_chain
from tongban.identity.models import AgentAuthorization, EnterpriseAccount, StaffMembership, User
from tongban.registries.generator import organisation_code
from tongban.registries.models import EnterpriseRecord, PopulationRecord
from tongban.registries.validators import make_id_number, make_uscc

PASSWORD = "Tongban-2026!"
_sequence = itertools.count(1)
_mobile = itertools.count(13800000001)


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD, hasher="argon2")  # never a test's faster hasher, whatever ran first


def next_id_number(region_code: str = "511602", birth: datetime.date | None = None, sex: str = "M") -> str:
    n = next(_sequence)
    birth = birth or datetime.date(1980, 1, 1) + datetime.timedelta(days=n * 37 % 9000)
    seq = (n % 500) * 2 + (1 if sex == "M" else 0)
    return make_id_number(region_code, birth, seq)


class PopulationRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PopulationRecord

    class Params:
        region_code = "511602"

    name = factory.Sequence(lambda n: f"测试人{n}")
    id_number = factory.LazyAttribute(lambda o: next_id_number(o.region_code))
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_number[16]) % 2 else "F")
    address = "四川省广安市广安区建设路1号"
    region = factory.LazyAttribute(lambda o: region_chain(o.id_number[:6]))
    status = PopulationRecord.Status.ALIVE


class EnterpriseRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseRecord

    class Params:
        legal_rep = factory.SubFactory(PopulationRecordFactory)

    name = factory.Sequence(lambda n: f"广安测试{n}有限公司")
    uscc = factory.LazyFunction(
        lambda: make_uscc("511602", organisation_code(random.Random(next(_sequence))))
    )
    legal_rep_name = factory.LazyAttribute(lambda o: o.legal_rep.name)
    legal_rep_id_number = factory.LazyAttribute(lambda o: o.legal_rep.id_number)
    region = factory.LazyFunction(lambda: region_chain("511602"))
    status = EnterpriseRecord.Status.ACTIVE


class CitizenFactory(factory.django.DjangoModelFactory):
    """An L1 citizen registered with a mobile number."""

    class Meta:
        model = User

    mobile = factory.LazyFunction(lambda: str(next(_mobile)))
    username = factory.LazyAttribute(lambda o: o.mobile)
    password = factory.LazyFunction(password_hash)
    kind = User.Kind.CITIZEN


def verified_citizen(record: PopulationRecord | None = None, **kwargs) -> User:
    """An L2 citizen bound to a population record (created when not given)."""
    record = record or PopulationRecordFactory()
    return CitizenFactory(
        real_name=record.name,
        id_number=record.id_number,
        real_name_level=User.RealNameLevel.L2,
        real_name_verified_at=timezone.now(),
        **kwargs,
    )


def enterprise_for(rep: User, **record_kwargs) -> EnterpriseAccount:
    record = EnterpriseRecordFactory(
        legal_rep_name=rep.real_name, legal_rep_id_number=rep.id_number, **record_kwargs
    )
    return EnterpriseAccount.objects.create(record=record, name=record.name, uscc=record.uscc, legal_rep=rep)


def grant(
    enterprise: EnterpriseAccount, agent: User, *, items=(), all_items=False, days=30, **kwargs
) -> AgentAuthorization:
    g = AgentAuthorization.objects.create(
        enterprise=enterprise,
        agent=agent,
        all_items=all_items,
        valid_until=kwargs.pop("valid_until", timezone.now() + datetime.timedelta(days=days)),
        granted_by=enterprise.legal_rep,
        **kwargs,
    )
    if items:
        g.items.set(items)
    return g


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    real_name = factory.Sequence(lambda n: f"工作人员{n}")
    password = factory.LazyFunction(password_hash)
    kind = User.Kind.STAFF


def staff_in(department, *roles: str, **kwargs) -> User:
    user = StaffFactory(**kwargs)
    for role in roles:
        StaffMembership.objects.create(user=user, department=department, role=role)
    return user
