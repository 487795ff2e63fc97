"""Data sharing: every object URL in the shared authorization table
(tests/identity/test_authorization.py). The world's department provides the population registry
and asks for the enterprise registry (provided by a 公安 department of the same county); its
catalogue administrator (事项管理, ``staff``) decides requests, revokes grants and verifies
disputes; the person whose data was read reports the read; supervisors of the region above the
reading department answer the report. The catalogue entries themselves are public
(``PUBLIC_URLS``)."""

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, StaffUserFactory, region_chain
from tests.identity.authorization import (
    ObjectURL,
    World,
    fingerprint,
    outsiders_test,
    owner_test,
    refused,
    send,
    sign_in,
)
from tongban.identity.models import StaffMembership, StaffRole
from tongban.registries.models import DataAccessLog
from tongban.sharing import catalogue, services
from tongban.sharing.models import DataResource, Grant, SharingRequest

UNTIL = timezone.localdate() + dt.timedelta(days=365)


def _cached(w: World, key: str, make) -> Any:
    if key not in w.__dict__:
        w.__dict__[key] = make()
    return w.__dict__[key]


def _police(w: World) -> Any:
    return _cached(
        w, "_sharing_police", lambda: DepartmentFactory(name="区公安局", region=region_chain("511602"))
    )


def _resources(w: World) -> dict[str, DataResource]:
    def make() -> dict[str, DataResource]:
        catalogue.publish_standard(population=w.department, enterprise=_police(w), case_results=_police(w))
        return {r.kind: r for r in DataResource.objects.all()}

    return _cached(w, "_sharing_resources", make)


def _population(w: World) -> DataResource:
    return _resources(w)[DataResource.Kind.POPULATION]


def _enterprise_registry(w: World) -> DataResource:
    return _resources(w)[DataResource.Kind.ENTERPRISE]


def _pending_request(w: World) -> SharingRequest:
    """The 公安 department asks the world's department for its population registry (conditional)."""

    def make() -> SharingRequest:
        police_admin = StaffUserFactory(real_name="公安数据员")
        StaffMembership.objects.create(user=police_admin, department=_police(w), role=StaffRole.CATALOGUE)
        return services.request_sharing(
            actor=police_admin,
            resource=_population(w),
            consumer=_police(w),
            fields=["name", "address"],
            purpose="户籍核验",
            legal_basis="《居民身份证法》",
            valid_until=UNTIL,
        )

    return _cached(w, "_sharing_request", make)


def _grant(w: World) -> Grant:
    return _cached(
        w,
        "_sharing_grant",
        lambda: Grant.objects.create(
            code="SQAUTH1",
            resource=_population(w),
            consumer=_police(w),
            fields=["name"],
            purpose="户籍核验",
            valid_from=dt.date(2020, 1, 1),
            valid_until=UNTIL,
        ),
    )


def _dispute(w: World) -> Any:
    return _cached(
        w,
        "_sharing_dispute",
        lambda: services.dispute_value(
            actor=w.citizen,
            resource=_population(w),
            field_name="address",
            claimed_value="广安区中心街 2 号",
            reason="已搬家",
        ),
    )


def _read(w: World) -> DataAccessLog:
    """A read of the citizen's data by the world's department."""
    return _cached(
        w,
        "_sharing_read",
        lambda: DataAccessLog.objects.create(
            subject_id_number=w.citizen.id_number,
            accessor=w.intake,
            accessor_label=w.intake.real_name,
            department=w.department,
            purpose="核对户籍地址（授权测试）",
            fields=["address"],
            channel="sharing",
        ),
    )


def _report(w: World) -> Any:
    return _cached(
        w,
        "_sharing_report",
        lambda: services.report_read(actor=w.citizen, access_id=_read(w).pk, reason="我没有办过事"),
    )


OUTSIDER_ROWS = [
    ObjectURL(
        "page: decide a sharing request",
        "post",
        lambda w: reverse("sharing:decide", args=[_pending_request(w).pk]),
        "staff",
        data=lambda w: {"decision": "grant", "note": "同意"},
    ),
    ObjectURL(
        "page: revoke a grant",
        "post",
        lambda w: reverse("sharing:revoke", args=[_grant(w).pk]),
        "staff",
        data=lambda w: {"reason": "用途已结束"},
    ),
    ObjectURL(
        "page: decide a data dispute",
        "post",
        lambda w: reverse("sharing:decide_dispute", args=[_dispute(w).pk]),
        "staff",
        data=lambda w: {"decision": "corrected", "outcome": "已更正地址"},
    ),
    ObjectURL(
        "page: answer a reported read",
        "post",
        lambda w: reverse("sharing:answer_report", args=[_report(w).pk]),
        "supervisor",
        data=lambda w: {"answer": "经核实，该次读取属于办件核验。"},
    ),
    ObjectURL(
        "page: a read of my data",
        "get",
        lambda w: reverse("sharing:report", args=[_read(w).pk]),
        "citizen",
        shows=lambda w: _read(w).purpose,
    ),
    ObjectURL(
        "page: report a read of my data",
        "post",
        lambda w: reverse("sharing:report", args=[_read(w).pk]),
        "citizen",
        data=lambda w: {"reason": "我没有办过事"},
    ),
]

# Asking for a published resource is open to every department's catalogue administrator; what is
# guarded is the consumer: one may ask only for a department one administers.
REQUEST_ROW = ObjectURL(
    "page: request sharing for the department",
    "post",
    lambda w: reverse("sharing:request", args=[_enterprise_registry(w).code]),
    "staff",
    data=lambda w: {
        "consumer": w.department.pk,
        "fields": ["name"],
        "purpose": "企业开办核验",
        "legal_basis": "《市场主体登记管理条例》",
        "valid_until": UNTIL.isoformat(),
    },
)

ROWS = [*OUTSIDER_ROWS, REQUEST_ROW]

test_outsiders_are_refused = outsiders_test(OUTSIDER_ROWS)
test_the_owner_gets_through = owner_test(ROWS)


def test_asking_for_another_department_is_refused_and_changes_nothing(client, db):
    """Anonymous and citizens are refused; staff of another department (with 事项管理 there)
    naming the world's department as consumer get the form back with an error, nothing saved."""
    world = World()
    url, data = REQUEST_ROW.build(world), REQUEST_ROW.data(world)
    for outsider in ("anonymous", "other_citizen"):
        person = None if outsider == "anonymous" else getattr(world, outsider)
        sign_in(client, person)
        before = fingerprint()
        assert refused(send(client, REQUEST_ROW, url, data), anonymous=person is None), outsider
        assert fingerprint() == before
    sign_in(client, world.other_staff)
    before = fingerprint()
    response = send(client, REQUEST_ROW, url, data)
    assert response.status_code == 400 and "请选择使用部门" in response.content.decode()
    assert fingerprint() == before
    assert not SharingRequest.objects.filter(consumer=world.department).exists()


def test_a_supervisor_of_another_region_cannot_answer_a_report(client, db):
    """The fix behind the answer row: 监察 of another county is not the reading department's."""
    world = World()
    report = _report(world)
    sign_in(client, world.other_staff)
    response = client.post(reverse("sharing:answer_report", args=[report.pk]), {"answer": "已处理"})
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == report.Status.OPEN and not report.answer
