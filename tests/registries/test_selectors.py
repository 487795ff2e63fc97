import pytest

from tests.factories import DepartmentFactory
from tests.identity.factories import CitizenFactory, EnterpriseRecordFactory, PopulationRecordFactory
from tongban.registries.models import DataAccessLog
from tongban.registries.selectors import access_log_for_person, read_enterprise, read_person

pytestmark = pytest.mark.django_db


def test_every_person_read_is_logged_with_who_and_why():
    record = PopulationRecordFactory()
    reader = CitizenFactory(real_name="王审核")
    department = DepartmentFactory()
    found = read_person(record.id_number, accessor=reader, purpose="办件审核", department=department)
    assert found == record
    log = access_log_for_person(record.id_number).get()
    assert (log.accessor, log.accessor_label, log.department, log.purpose, log.found) == (
        reader,
        "王审核",
        department,
        "办件审核",
        True,
    )


def test_a_miss_is_logged_too():
    assert read_person("11010519491231002X", accessor=None, purpose="系统核对") is None
    log = DataAccessLog.objects.get()
    assert (log.found, log.accessor_label, log.subject_id_number) == (False, "系统", "11010519491231002X")


def test_a_read_without_purpose_is_refused():
    record = PopulationRecordFactory()
    with pytest.raises(ValueError):
        read_person(record.id_number, accessor=None, purpose="  ")
    assert not DataAccessLog.objects.exists()


def test_enterprise_reads_are_logged():
    record = EnterpriseRecordFactory()
    assert read_enterprise(record.uscc.lower(), accessor=None, purpose="开通核验") == record
    assert DataAccessLog.objects.get().enterprise == record


def test_log_of_one_person_does_not_show_another():
    a, b = PopulationRecordFactory(), PopulationRecordFactory()
    read_person(a.id_number, accessor=None, purpose="甲")
    read_person(b.id_number, accessor=None, purpose="乙")
    assert [log.purpose for log in access_log_for_person(a.id_number)] == ["甲"]
