"""read_resource: the one road for reading shared data: purpose, grant, fields, case, log."""

import datetime as dt

import pytest
from django.utils import timezone

from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.registries.models import DataAccessLog
from tongban.sharing import services


def _read(world, fields=("name", "address"), purpose="社会保险登记核验", **kw):
    return services.read_resource(
        world.consumer, world.population.code, world.person.id_number, list(fields), purpose, **kw
    )


def test_granted_fields_only_and_logged(world, granted):
    read = _read(world, accessor=world.admin)
    assert read.records == [{"name": "张三", "address": "四川省广安市广安区中心街1号"}]
    log = DataAccessLog.objects.get()
    assert log.subject_id_number == world.person.id_number
    assert log.person == world.person
    assert log.department == world.consumer
    assert log.fields == ["姓名", "户籍地址"]
    assert log.grant_code == granted.code
    assert log.purpose == "社会保险登记核验"
    assert log.accessor == world.admin


@pytest.mark.parametrize("purpose", ["", "   "])
def test_read_without_purpose_is_refused_and_not_logged(world, granted, purpose):
    with pytest.raises(InvalidInput) as exc:
        _read(world, purpose=purpose)
    assert exc.value.code == "purpose_required"
    assert not DataAccessLog.objects.exists()


def test_field_outside_the_grant_is_refused(world, granted):
    # The grant covers name and address: the ID number, birth date (or anything else) is never given.
    for extra in ("id_number", "birth_date", "ethnicity"):
        with pytest.raises(PermissionDenied) as exc:
            _read(world, fields=["name", extra])
        assert exc.value.code == "no_grant"
    assert not DataAccessLog.objects.exists()


def test_field_not_in_catalogue_is_refused(world, granted):
    with pytest.raises(InvalidInput) as exc:
        _read(world, fields=["name", "photo"])
    assert exc.value.code == "bad_fields"


def test_no_grant_is_refused(world):
    with pytest.raises(PermissionDenied) as exc:
        _read(world)
    assert "测试公安局" in exc.value.message


def test_revoked_grant_is_refused(world, granted):
    services.revoke_grant(actor=world.provider_admin, grant=granted, reason="用途已结束")
    with pytest.raises(PermissionDenied):
        _read(world)


def test_expired_grant_is_refused(world, granted):
    granted.valid_until = timezone.localdate() - dt.timedelta(days=1)
    granted.save()
    with pytest.raises(PermissionDenied):
        _read(world)


def test_not_yet_valid_grant_is_refused(world, granted):
    granted.valid_from = timezone.localdate() + dt.timedelta(days=1)
    granted.save()
    with pytest.raises(PermissionDenied):
        _read(world)


def test_provider_reads_its_own_resource_without_grant(world):
    read = services.read_resource(
        world.police, world.population.code, world.person.id_number, ["birth_date"], "户籍核查"
    )
    assert read.first == {"birth_date": "1990-03-07"}
    assert DataAccessLog.objects.get().grant_code == ""


def test_unknown_resource_and_bad_subject(world, granted):
    with pytest.raises(NotFound):
        services.read_resource(world.consumer, "NOPE", world.person.id_number, ["name"], "x")
    with pytest.raises(InvalidInput) as exc:
        services.read_resource(world.consumer, world.population.code, "123", ["name"], "x")
    assert exc.value.code == "bad_subject"


def test_not_shared_resource_is_refused(world, granted):
    world.population.sharing_class = "none"
    world.population.not_shared_reason = "涉及国家秘密"
    world.population.save()
    with pytest.raises(PermissionDenied) as exc:
        _read(world)
    assert exc.value.code == "not_shared"


def test_unknown_subject_is_logged_as_not_found(world, granted):
    read = services.read_resource(
        world.consumer, world.population.code, "110101199003070011", ["name"], "核验"
    )
    assert read.records == []
    assert DataAccessLog.objects.get().found is False


def test_enterprise_resource_unconditional(world):
    request = services.request_sharing(
        actor=world.admin,
        resource=world.enterprise,
        consumer=world.consumer,
        fields=["name", "status"],
        purpose="参保单位核验",
        legal_basis="《社会保险法》",
        valid_until=world.until,
    )
    assert request.status == "granted"  # 无条件: granted at once
    read = services.read_resource(
        world.consumer, world.enterprise.code, world.firm.uscc, ["name"], "参保单位核验"
    )
    assert read.first == {"name": "广安测试有限公司"}
    log = DataAccessLog.objects.get()
    assert log.enterprise == world.firm and log.fields == ["名称"]


def test_case_results_and_certificates_are_read_through_the_same_road(world):
    from tests.factories import DepartmentFactory
    from tongban.certificates.models import CertificateType
    from tongban.sharing import catalogue
    from tongban.sharing.models import DataResource

    ctype = CertificateType.objects.create(name="测试许可证", code="TEST02", department=DepartmentFactory())
    catalogue.publish_standard(population=world.police, enterprise=world.market, case_results=world.office)
    licence = DataResource.objects.get(certificate_type=ctype)
    for resource, fields in ((world.case_results, ["number", "result"]), (licence, ["identifier"])):
        services.request_sharing(
            actor=world.admin,
            resource=resource,
            consumer=world.consumer,
            fields=fields,
            purpose="核验",
            legal_basis="依据",
            valid_until=world.until,
        )
        read = services.read_resource(world.consumer, resource.code, world.person.id_number, fields, "核验")
        assert read.records == []
        log = DataAccessLog.objects.order_by("-pk").first()
        assert (log.found, log.subject_id_number, log.person) == (False, world.person.id_number, world.person)
    read = services.read_resource(
        world.consumer, world.case_results.code, world.firm.uscc, ["number"], "核验"
    )
    assert DataAccessLog.objects.order_by("-pk").first().enterprise == world.firm
