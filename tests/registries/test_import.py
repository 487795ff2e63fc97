import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import region_chain
from tongban.registries.generator import RegistryGenerator
from tongban.registries.models import EnterpriseRecord, PopulationRecord
from tongban.registries.services import (
    ENTERPRISE_COLUMNS,
    PEOPLE_COLUMNS,
    ImportFailed,
    import_people,
    read_csv_rows,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def counties():
    return [region_chain(code) for code in ("511602", "511603", "511621", "511622", "511623", "511681")]


def write_csv(path, columns, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_people_and_enterprises_from_csv(tmp_path, counties):
    gen = RegistryGenerator(seed=11)
    people = gen.people(30)
    people[0].status = "deceased"
    enterprises = gen.enterprises(people, 10)
    people_csv = write_csv(tmp_path / "people.csv", PEOPLE_COLUMNS, [p.as_csv() for p in people])
    ent_csv = write_csv(tmp_path / "ent.csv", ENTERPRISE_COLUMNS, [e.as_csv() for e in enterprises])

    out = io.StringIO()
    call_command("registries", "import-people", str(people_csv), stdout=out)
    assert "新增 30" in out.getvalue()
    call_command("registries", "import-enterprises", str(ent_csv), stdout=out)
    assert PopulationRecord.objects.count() == 30
    assert EnterpriseRecord.objects.count() == 10
    record = PopulationRecord.objects.get(id_number=people[0].id_number)
    assert record.status == "deceased"
    assert record.region.code == people[0].region_code
    assert record.birth_date == people[0].birth_date


def test_import_again_updates_instead_of_duplicating(tmp_path, counties):
    gen = RegistryGenerator(seed=12)
    people = gen.people(3)
    rows = [p.as_csv() for p in people]
    import_people(rows)
    rows[1]["status"] = "已死亡"
    rows[1]["address"] = "新地址"
    report = import_people(rows)
    assert (report.created, report.updated) == (0, 1)
    changed = PopulationRecord.objects.get(id_number=people[1].id_number)
    assert (changed.status, changed.address) == ("deceased", "新地址")


def test_a_bad_row_aborts_the_whole_file_with_line_numbers(tmp_path, counties):
    gen = RegistryGenerator(seed=13)
    rows = [p.as_csv() for p in gen.people(3)]
    rows[1]["id_number"] = rows[1]["id_number"][:-1] + ("0" if rows[1]["id_number"][-1] != "0" else "1")
    rows[2]["birth_date"] = "1901-01-01"
    with pytest.raises(ImportFailed) as info:
        import_people(rows)
    assert any(e.startswith("第 3 行") and "校验位" in e for e in info.value.errors)
    assert any(e.startswith("第 4 行") and "出生日期与身份证号码不一致" in e for e in info.value.errors)
    assert PopulationRecord.objects.count() == 0


def test_unknown_region_and_sex_mismatch_are_refused(counties):
    person = RegistryGenerator(seed=14).person(region_code="511602", sex="M")
    row = person.as_csv() | {"sex": "女", "region_code": "999999"}
    with pytest.raises(ImportFailed) as info:
        import_people([row])
    text = "\n".join(info.value.errors)
    assert "性别与身份证号码不一致" in text and "999999" in text


def test_enterprise_with_invalid_uscc_is_refused(tmp_path, counties):
    gen = RegistryGenerator(seed=15)
    people = gen.people(2)
    row = gen.enterprise(people[0]).as_csv() | {"uscc": "91110000600037341M"}
    path = write_csv(tmp_path / "e.csv", ENTERPRISE_COLUMNS, [row])
    with pytest.raises(CommandError, match="校验码"):
        call_command("registries", "import-enterprises", str(path))


def test_duplicate_rows_are_refused(counties):
    person = RegistryGenerator(seed=16).person()
    with pytest.raises(ImportFailed, match="重复"):
        import_people([person.as_csv(), person.as_csv()])


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("registries", "import-people", str(tmp_path / "none.csv"))


def test_read_csv_rows_accepts_a_bom():
    rows = read_csv_rows("\ufeffname,id_number\n张三,1\n".encode())
    assert rows == [{"name": "张三", "id_number": "1"}]
