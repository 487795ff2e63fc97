"""read_population_records: the road of platform tasks (免申即享 sweep, simulation) that read
many people at once — same refusals as read_resource, one log row per person read."""

import datetime as dt

import pytest

from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.registries.models import DataAccessLog, PopulationRecord
from tongban.sharing import services


def _second(world) -> PopulationRecord:
    return PopulationRecord.objects.create(
        name="李四",
        id_number="511602198501010027",
        birth_date=dt.date(1985, 1, 1),
        sex="F",
        ethnicity="汉族",
        address="四川省广安市广安区北街3号",
        region=world.person.region,
    )


def _read(world, **kw):
    kw.setdefault("accessor_label", "通办平台·测试任务")
    kw.setdefault("purpose", "待遇资格筛查")
    return list(services.read_population_records(world.consumer, ["name", "address"], **kw))


def test_every_person_read_is_logged_with_the_system_and_grant(world, granted):
    other = _second(world)
    records = _read(world)
    assert [r.pk for r in records] == [world.person.pk, other.pk]
    logs = DataAccessLog.objects.order_by("pk")
    assert [log.person_id for log in logs] == [world.person.pk, other.pk]
    assert {log.subject_id_number for log in logs} == {world.person.id_number, other.id_number}
    for log in logs:
        assert log.accessor is None
        assert log.accessor_label == "通办平台·测试任务"
        assert log.department == world.consumer
        assert log.purpose == "待遇资格筛查"
        assert log.fields == ["姓名", "户籍地址"]
        assert log.grant_code == granted.code


def test_only_the_named_people_are_read(world, granted):
    other = _second(world)
    assert [r.pk for r in _read(world, id_numbers=[other.id_number])] == [other.pk]
    assert list(DataAccessLog.objects.values_list("person_id", flat=True)) == [other.pk]


def test_a_staff_reader_is_named(world, granted):
    _read(world, accessor=world.admin, accessor_label="")
    assert DataAccessLog.objects.get().accessor == world.admin


def test_logged_in_chunks_before_the_records_are_handed_over(world, granted, monkeypatch):
    monkeypatch.setattr(services, "SYSTEM_CHUNK", 1)
    _second(world)
    reads = services.read_population_records(
        world.consumer, ["name"], "待遇资格筛查", accessor_label="通办平台·测试任务"
    )
    next(reads)
    assert DataAccessLog.objects.count() == 1
    next(reads)
    assert DataAccessLog.objects.count() == 2


@pytest.mark.parametrize("purpose", ["", "  "])
def test_without_purpose_refused_nothing_read(world, granted, purpose):
    with pytest.raises(InvalidInput) as exc:
        _read(world, purpose=purpose)
    assert exc.value.code == "purpose_required"
    assert not DataAccessLog.objects.exists()


def test_without_a_named_reader_refused(world, granted):
    with pytest.raises(InvalidInput) as exc:
        _read(world, accessor_label=" ")
    assert exc.value.code == "system_required"
    assert not DataAccessLog.objects.exists()


def test_without_grant_refused(world):
    with pytest.raises(PermissionDenied) as exc:
        _read(world)
    assert exc.value.code == "no_grant"
    assert not DataAccessLog.objects.exists()


def test_fields_outside_the_grant_refused(world, granted):
    with pytest.raises(PermissionDenied):
        list(
            services.read_population_records(
                world.consumer, ["name", "birth_date"], "待遇资格筛查", accessor_label="通办平台·测试任务"
            )
        )
    assert not DataAccessLog.objects.exists()


def test_provider_reads_its_own_registry_without_grant(world):
    records = list(
        services.read_population_records(world.police, ["name"], "户籍核查", accessor_label="公安系统")
    )
    assert [r.pk for r in records] == [world.person.pk]
    assert DataAccessLog.objects.get().grant_code == ""
