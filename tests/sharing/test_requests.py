"""Requests and grants: 无条件 at once, 有条件 on the provider's working-day clock, revocation."""

import datetime as dt

import pytest
from django.utils import timezone

from tongban.core.audit import entries_for
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.sharing import services
from tongban.sharing.models import Grant, SharingRequest
from tongban.workdays.calendar import add_workdays


def _ask(world, **kw):
    args = {
        "actor": world.admin,
        "resource": world.population,
        "consumer": world.consumer,
        "fields": ["name", "address"],
        "purpose": "社会保险登记核验",
        "legal_basis": "《社会保险法》",
        "valid_until": world.until,
    }
    return services.request_sharing(**{**args, **kw})


def test_conditional_request_waits_with_a_working_day_deadline(world):
    request = _ask(world)
    assert request.status == SharingRequest.Status.PENDING
    assert request.due_on == add_workdays(timezone.localdate(), 5).date
    assert not Grant.objects.exists()
    assert entries_for(request).filter(action="sharing.request").exists()


def test_time_limit_is_configurable(world, settings):
    settings.TONGBAN_SHARING_DECISION_DAYS = 2
    assert _ask(world).due_on == add_workdays(timezone.localdate(), 2).date
    world.enterprise.sharing_class = "conditional"
    world.enterprise.decision_days = 8
    world.enterprise.save()
    request = _ask(world, resource=world.enterprise, fields=["name"])
    assert request.due_on == add_workdays(timezone.localdate(), 8).date


def test_unconditional_request_is_granted_at_once(world):
    request = _ask(world, resource=world.enterprise, fields=["name", "status"])
    assert request.status == SharingRequest.Status.GRANTED
    grant = request.grant
    assert grant.fields == ["name", "status"] and grant.consumer == world.consumer
    assert grant.valid_until == world.until and grant.in_force_on()


def test_provider_grants_exactly_what_was_asked(world):
    request = _ask(world)
    services.decide_request(actor=world.provider_admin, request=request, grant=True)
    grant = Grant.objects.get()
    assert grant.fields == ["name", "address"] and grant.purpose == "社会保险登记核验"


def test_refusal_needs_a_reason_and_leaves_no_grant(world):
    request = _ask(world)
    with pytest.raises(InvalidInput):
        services.decide_request(actor=world.provider_admin, request=request, grant=False)
    services.decide_request(actor=world.provider_admin, request=request, grant=False, note="用途超出履职范围")
    request.refresh_from_db()
    assert request.status == SharingRequest.Status.REFUSED and not Grant.objects.exists()
    with pytest.raises(InvalidInput) as exc:
        services.decide_request(actor=world.provider_admin, request=request, grant=True)
    assert exc.value.code == "already_decided"


def test_only_the_provider_decides(world):
    request = _ask(world)
    for outsider in (world.admin, world.citizen, world.supervisor):
        with pytest.raises(PermissionDenied):
            services.decide_request(actor=outsider, request=request, grant=True)
    assert SharingRequest.objects.get().status == SharingRequest.Status.PENDING


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fields": []}, "bad_fields"),
        ({"fields": ["name", "photo"]}, "bad_fields"),
        ({"purpose": " "}, "purpose_required"),
        ({"legal_basis": ""}, "basis_required"),
    ],
)
def test_bad_requests_are_refused(world, change, code):
    with pytest.raises(InvalidInput) as exc:
        _ask(world, **change)
    assert exc.value.code == code
    assert not SharingRequest.objects.exists()


def test_request_refusals(world):
    with pytest.raises(InvalidInput):
        _ask(world, valid_until=timezone.localdate())
    with pytest.raises(PermissionDenied):
        _ask(world, actor=world.citizen)
    with pytest.raises(PermissionDenied):
        _ask(world, actor=world.provider_admin)  # not an admin of the consumer
    with pytest.raises(InvalidInput) as exc:
        _ask(world, actor=world.provider_admin, consumer=world.police)
    assert exc.value.code == "own_resource"
    world.population.sharing_class = "none"
    world.population.save()
    with pytest.raises(InvalidInput) as exc:
        _ask(world)
    assert exc.value.code == "not_shared"


def test_revoke(world, granted):
    with pytest.raises(InvalidInput):
        services.revoke_grant(actor=world.provider_admin, grant=granted, reason="")
    with pytest.raises(PermissionDenied):
        services.revoke_grant(actor=world.citizen, grant=granted, reason="x")
    services.revoke_grant(actor=world.provider_admin, grant=granted, reason="用途已结束")
    granted.refresh_from_db()
    assert granted.revoked_at is not None and not granted.in_force_on()
    with pytest.raises(InvalidInput):
        services.revoke_grant(actor=world.admin, grant=granted, reason="再次撤销")


def test_consumer_may_give_up_its_grant(world, granted):
    services.revoke_grant(actor=world.admin, grant=granted, reason="不再需要")
    assert Grant.objects.in_force().count() == 0


def test_clock_colours(world):
    request = _ask(world)
    today = timezone.localdate()
    assert services.clock_colour(request, today) == "green"
    day_before = request.due_on - dt.timedelta(days=1)
    while add_workdays(day_before, 1).date < request.due_on:
        day_before += dt.timedelta(days=1)
    assert services.clock_colour(request, day_before) == "yellow"
    assert services.clock_colour(request, request.due_on) == "yellow"
    assert services.clock_colour(request, request.due_on + dt.timedelta(days=1)) == "red"
    services.decide_request(actor=world.provider_admin, request=request, grant=True)
    request.refresh_from_db()
    assert services.clock_colour(request, request.due_on + dt.timedelta(days=1)) == ""


def test_supervisors_see_overdue_requests(world, client):
    from tests.factories import login_verified

    request = _ask(world)
    SharingRequest.objects.filter(pk=request.pk).update(due_on=timezone.localdate() - dt.timedelta(days=3))
    login_verified(client, world.supervisor)
    page = client.get("/staff/sharing/").content.decode()
    assert "已超期" in page and world.consumer.name in page


def test_catalogue_is_idempotent_and_lists_certificate_types(world):
    from tests.factories import DepartmentFactory
    from tongban.certificates.models import CertificateType
    from tongban.sharing import catalogue
    from tongban.sharing.models import DataResource

    count = DataResource.objects.count()
    assert (
        catalogue.publish_standard(
            population=world.police, enterprise=world.market, case_results=world.office
        )
        == []
    )
    issuer = DepartmentFactory(name="测试颁证局")
    ctype = CertificateType.objects.create(name="测试许可证", code="TEST01", department=issuer)
    made = catalogue.publish_standard(
        population=world.police, enterprise=world.market, case_results=world.office
    )
    assert [r.certificate_type for r in made] == [ctype]
    assert DataResource.objects.count() == count + 1
    names = set(DataResource.objects.values_list("name", flat=True))
    assert {"人口基础信息", "法人基础信息", "办件结果信息", "测试许可证"} <= names
