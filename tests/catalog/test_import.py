"""Import (layouts A and B, CSV and XLSX) and export of the catalogue."""

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.factories import DepartmentFactory, ServiceItemFactory, region_chain
from tongban.catalog import importer, services
from tongban.catalog.models import (
    FAQ,
    FeeItem,
    ItemChange,
    MaterialRequirement,
    ProcessStep,
    ServiceItem,
    Theme,
)
from tongban.departments.models import Department

pytestmark = pytest.mark.django_db

# A copy of the real list of one county (四川省广安市广安区, 1,135 items), byte for byte.
COUNTY_CSV = Path(__file__).resolve().parent / "data" / "sichuan-guangan-district-items.csv"

HEADER_A = ["department", "group", "name", "item_code", "area_code", "task_type", "dept_code"]


@pytest.fixture
def county():
    return region_chain("511602")


@pytest.fixture
def indexed(monkeypatch):
    from tongban.catalog import search

    calls = []
    monkeypatch.setattr(search, "index_items", lambda ids: calls.append(sorted(ids)))
    return calls


def write_csv(path, rows, header=HEADER_A, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row_a(code="511A0138000000-511602000000-000-115113010833722043-1-00", **kw):
    values = {
        "department": "区教科体局",
        "group": "未分类",
        "name": "适龄儿童、少年因身体状况需要延缓入学或者休学审批",
        "item_code": code,
        "area_code": "511602000000",
        "task_type": "1",
        "dept_code": "083372204",
    }
    values.update(kw)
    return [values[h] for h in HEADER_A]


def test_real_county_csv_imports_1135_items_and_a_second_import_changes_nothing(county, indexed):
    report = importer.import_catalog(COUNTY_CSV)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (1135, 0, 0)
    assert report.departments_created == 34
    assert ServiceItem.objects.count() == 1135
    assert ServiceItem.objects.filter(status="published", region_code="511602").count() == 1135
    assert len(indexed) == 1 and len(indexed[0]) == 1135  # one indexer call for the touched items
    types = Counter(ServiceItem.objects.values_list("item_type", flat=True))
    assert types == {"01": 536, "20": 348, "10": 182, "07": 50, "05": 9, "09": 8, "08": 2}
    # Names with commas (quoted in the file) arrive whole.
    assert (
        ServiceItem.objects.filter(name__contains="，").exists()
        or ServiceItem.objects.filter(name__contains=",").exists()
    )
    item = ServiceItem.objects.get(code="511Z07001006-511602000000-000-11511301008778183N-1-00")
    assert (item.base_code, item.item_type, item.department.name) == ("511Z07001006", "10", "区经信局")
    assert ServiceItem.objects.get(code__startswith="G-000007-001").base_code == ""
    assert Department.objects.get(name="区经信局").uscc == "11511301008778183N"
    assert Department.objects.get(name="区行政审批局").local_code == "68236467-9"
    history = ItemChange.objects.count()

    indexed.clear()
    again = importer.import_catalog(COUNTY_CSV)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 1135, [])
    assert again.departments_created == 0
    assert ItemChange.objects.count() == history
    assert not ServiceItem.objects.exclude(version=1).exists()
    assert not any(indexed)


def test_commas_in_quoted_names_and_defaults_pass_the_cross_checks(tmp_path, county):
    path = write_csv(
        tmp_path / "a.csv",
        [
            row_a(name="个人独资企业设立、变更, 注销登记", code="C-1"),
            row_a(code="C-2", task_type="20", name="居民身份证换领"),
            row_a(code="C-3", task_type="7", name="建设工程项目竣工验收备案"),
        ],
    )
    report = importer.import_catalog(path)
    assert report.errors == []
    first = ServiceItem.objects.get(code="C-1")
    assert first.name == "个人独资企业设立、变更, 注销登记"
    assert first.service_objects == ["1", "2"]
    assert ServiceItem.objects.get(code="C-2").service_objects == ["1"]
    confirm = ServiceItem.objects.get(code="C-3")
    assert (confirm.item_type, confirm.service_objects, confirm.result_type) == ("07", ["2"], "proof")
    for item in ServiceItem.objects.all():
        item.check_rules()
        assert item.promised_limit <= item.legal_limit


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path, county, encoding):
    path = write_csv(tmp_path / "a.csv", [row_a()], encoding=encoding)
    report = importer.import_catalog(path)
    assert (report.created, report.errors) == (1, [])
    assert ServiceItem.objects.get().name.startswith("适龄儿童、少年")


def test_xlsx_import_with_numeric_cells(tmp_path, county):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER_A)
    sheet.append(["区民政局", "未分类", "结婚登记", "X-1", 511602000000, 7, "11511301008778298W"])
    sheet.append(["区民政局", "未分类", "离婚登记", "X-2", "511602000000", "07", "11511301008778298W"])
    sheet.append([None] * 7)
    path = tmp_path / "items.xlsx"
    workbook.save(path)
    report = importer.import_catalog(path)
    assert (report.created, report.errors) == (2, [])
    assert set(ServiceItem.objects.values_list("item_type", flat=True)) == {"07"}
    assert Department.objects.get(name="区民政局").uscc == "11511301008778298W"
    assert importer.import_catalog(path).unchanged == 2


def test_bad_rows_are_reported_by_row_number_while_good_rows_land(tmp_path, county, indexed):
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            row_a(code="OK-1"),
            row_a(code="BAD-TYPE", task_type="99"),
            row_a(code="", name="无编码"),
            row_a(code="BAD-AREA", area_code="999999000000"),
            row_a(code="OK-2", name="第二个好行"),
            row_a(code="OK-1", name="重复编码"),
            row_a(code="BAD-NAME", name=""),
            row_a(code="BAD-DEPT", department=""),
        ],
    )
    report = importer.import_catalog(path)
    assert report.created == 2
    assert set(ServiceItem.objects.values_list("code", flat=True)) == {"OK-1", "OK-2"}
    errors = {(e.row, e.field) for e in report.errors}
    assert errors == {
        (3, "task_type"),
        (4, "item_code"),
        (5, "area_code"),
        (7, "item_code"),
        (8, "name"),
        (9, "department"),
    }
    messages = {e.row: str(e) for e in report.errors}
    assert "第 3 行" in messages[3] and "“事项类型”99无效" in messages[3]
    assert "“实施编码”不能为空" in messages[4]
    assert "区划不存在" in messages[5]
    assert "重复" in messages[7]
    assert indexed == [sorted(ServiceItem.objects.values_list("pk", flat=True))]


def test_cross_check_failures_in_rich_rows_are_row_errors(tmp_path, county):
    header = [*HEADER_A, "online_depth", "visits_required", "is_charged", "fee_basis", "materials"]
    path = write_csv(
        tmp_path / "b.csv",
        [
            [*row_a(code="B-1"), "4", "1", "0", "", ""],
            [*row_a(code="B-2"), "Ⅳ", "0", "是", "", ""],
            [*row_a(code="B-3"), "3", "1", "1", "《收费标准》", "not json"],
            [*row_a(code="B-4"), "3", "one", "0", "", ""],
            [*row_a(code="B-5"), "4", "0", "0", "", ""],
        ],
        header=header,
    )
    report = importer.import_catalog(path)
    assert report.created == 1
    assert ServiceItem.objects.get().code == "B-5"
    found = {e.row: e for e in report.errors}
    assert found[2].field == "visits_required" and "“到办事现场次数”必须为 0" in found[2].message
    assert found[3].field == "fee_basis" and "收费依据" in found[3].message
    assert found[4].field == "materials" and "JSON" in found[4].message
    assert found[5].field == "visits_required"


def rich_item(county):
    department = DepartmentFactory(
        region=county, name="区市监局", address="广安区金安大道", office_hours="9:00-17:00"
    )
    themes = list(Theme.objects.filter(audience="enterprise", name__in=["准营准办", "设立变更"]))
    item = services.create_item(
        actor=None,
        data={
            "code": "511A0077700002-511602000000-000-115113010087783353-1-00",
            "base_code": "511A0077700002",
            "name": "食品经营许可（新办）",
            "group": "食品（含保健食品）经营许可",
            "item_type": "01",
            "service_objects": ["2", "5"],
            "department": department,
            "summary": "从事食品销售和餐饮服务活动，应当依法取得食品经营许可。",
            "legal_basis": "《中华人民共和国食品安全法》第三十五条",
            "conditions": "有与经营的食品品种、数量相适应的经营场所，\n有食品安全管理人员。",
            "case_kind": "2",
            "legal_limit": 20,
            "promised_limit": 5,
            "is_charged": True,
            "fee_basis": "《行政事业性收费标准》",
            "channels": ["1", "2", "3"],
            "consult_phone": "0826-2220001",
            "complaint_phone": "12315",
            "visits_required": 0,
            "online_depth": 4,
            "result_type": "certificate",
            "result_name": "食品经营许可证",
            "supports_delivery": True,
            "keywords": "开饭店 餐馆 小吃店",
            "themes": themes,
            "materials": [
                {"name": "食品经营许可申请书", "forms": ["original", "electronic"], "copies": 1},
                {"name": "营业执照", "forms": ["copy"], "necessity": "optional", "source": "government"},
            ],
            "steps": [{"name": "申请", "description": "网上提交"}, {"name": "审查"}, {"name": "决定"}],
            "fees": [
                {"name": "工本费", "standard": "0元", "basis": "《行政事业性收费标准》", "may_reduce": True}
            ],
            "faqs": [{"question": "需要现场核查吗？", "answer": "申请人承诺后可先证后查。"}],
        },
    )
    return services.publish_item(actor=None, item=item)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_round_trip_changes_nothing(tmp_path, county, suffix):
    item = rich_item(county)
    ServiceItemFactory(department=item.department, code="Z-9", name="=1+1 looks like a formula")
    path = tmp_path / f"export{suffix}"
    assert importer.export_catalog(path) == 2
    history = ItemChange.objects.count()
    report = importer.import_catalog(path)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, [])
    assert ItemChange.objects.count() == history
    assert ServiceItem.objects.get(pk=item.pk).version == 1
    assert ServiceItem.objects.get(code="Z-9").status == "draft"
    assert ServiceItem.objects.get(code="Z-9").name == "=1+1 looks like a formula"


def test_layout_b_recreates_every_element_in_an_empty_catalogue(tmp_path, county):
    item = rich_item(county)
    before = services.snapshot(item)
    department_id = item.department_id
    path = tmp_path / "export.csv"
    importer.export_catalog(path)
    ServiceItem.objects.all().delete()
    report = importer.import_catalog(path)
    assert (report.created, report.errors) == (1, [])
    again = ServiceItem.objects.get(code=item.code)
    assert again.status == "published"
    after = services.snapshot(again)
    assert after == before
    assert again.department_id == department_id
    assert MaterialRequirement.objects.filter(item=again).count() == 2
    assert ProcessStep.objects.filter(item=again).count() == 3
    assert FeeItem.objects.get(item=again).may_reduce is True
    assert FAQ.objects.filter(item=again).count() == 1


def test_layout_b_update_bumps_version_and_records_the_import(tmp_path, county):
    item = rich_item(county)
    path = tmp_path / "export.csv"
    importer.export_catalog(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    rows[0]["promised_limit"] = "3"
    steps = json.loads(rows[0]["steps"])
    rows[0]["steps"] = json.dumps(steps[:2], ensure_ascii=False)
    write_csv(path, [list(r.values()) for r in rows], header=list(rows[0]))
    report = importer.import_catalog(path)
    assert (report.updated, report.unchanged) == (1, 0)
    stored = ServiceItem.objects.get(pk=item.pk)
    assert (stored.version, stored.promised_limit, stored.steps.count()) == (2, 3, 2)
    change = ItemChange.objects.filter(item=item).latest("id")
    assert change.action == "import"
    assert set(change.changes) == {"promised_limit", "steps"}


def test_layout_a_update_keeps_the_rich_elements(tmp_path, county):
    item = rich_item(county)
    path = write_csv(
        tmp_path / "a.csv",
        [
            [
                "区市监局",
                "食品（含保健食品）经营许可",
                "食品经营许可（新办、延续）",
                item.code,
                "511602",
                "1",
                "",
            ]
        ],
    )
    report = importer.import_catalog(path)
    assert report.updated == 1
    stored = ServiceItem.objects.get(pk=item.pk)
    assert stored.name == "食品经营许可（新办、延续）"
    assert (stored.online_depth, stored.is_charged, stored.materials.count()) == (4, True, 2)
    assert ItemChange.objects.filter(item=item).latest("id").changes == {
        "name": {"from": "食品经营许可（新办）", "to": "食品经营许可（新办、延续）"}
    }


def test_status_flags_region_option_and_status_column(tmp_path, county):
    path = write_csv(tmp_path / "a.csv", [row_a(code="S-1"), row_a(code="S-2", area_code="")])
    report = importer.import_catalog(path, region="511602000000", status="draft")
    assert report.created == 2
    assert set(ServiceItem.objects.values_list("status", flat=True)) == {"draft"}
    report = importer.import_catalog(path, region="511602", status="published")
    assert report.updated == 2
    assert set(ServiceItem.objects.values_list("status", flat=True)) == {"published"}
    assert importer.import_catalog(path, region="511602").unchanged == 2
    # Rows outside the chosen region, and rows with no region at all, are refused.
    region_chain("511621")
    report = importer.import_catalog(path, region="511621")
    assert {e.field for e in report.errors} == {"area_code"}
    report = importer.import_catalog(path)
    assert [(e.row, e.field) for e in report.errors] == [(3, "area_code")]
    bad_status = write_csv(tmp_path / "s.csv", [[*row_a(code="S-3"), "gone"]], header=[*HEADER_A, "status"])
    assert importer.import_catalog(bad_status).errors[0].field == "status"


def test_chinese_headers_and_themes_column(tmp_path, county):
    header = ["实施主体", "事项名称", "实施编码", "区划代码", "事项类型", "主题", "服务对象"]
    path = write_csv(
        tmp_path / "zh.csv",
        [
            ["区民政局", "结婚登记", "M-1", "511602", "行政确认", "person:婚姻登记；个人:户籍办理", "1"],
            ["区民政局", "离婚登记", "M-2", "511602", "07", "person:不存在", "1"],
        ],
        header=header,
    )
    report = importer.import_catalog(path)
    assert report.created == 1
    item = ServiceItem.objects.get(code="M-1")
    assert item.item_type == "07"
    assert sorted(item.themes.values_list("name", flat=True)) == sorted(["户籍办理", "婚姻登记"])
    assert report.errors[0].row == 3 and report.errors[0].field == "themes"


def test_command_prints_summary_errors_and_strict_exit(tmp_path, county, capsys):
    path = write_csv(tmp_path / "a.csv", [row_a(code="K-1"), row_a(code="K-2", task_type="x")])
    call_command("catalog", "import", str(path))
    out = capsys.readouterr()
    assert "新增 1，更新 0，未变 0，错误 1" in out.out
    assert "第 3 行 [task_type]" in out.err
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(path), "--strict")
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(path), "--region", "999999")
    call_command("catalog", "import", str(path), "--draft")
    assert ServiceItem.objects.get(code="K-1").status == "draft"
    call_command("catalog", "export", str(tmp_path / "out.xlsx"))
    assert "已导出 1 个事项" in capsys.readouterr().out


def test_import_refuses_users_without_permission(tmp_path, county):
    from django.contrib.auth.models import AnonymousUser

    from tongban.core.errors import PermissionDenied

    path = write_csv(tmp_path / "a.csv", [row_a()])
    with pytest.raises(PermissionDenied):
        importer.import_catalog(path, actor=AnonymousUser())
    assert not ServiceItem.objects.exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1", "01"), ("01", "01"), ("7", "07"), ("20", "20"), ("10", "10"), ("行政许可", "01")],
)
def test_parse_item_type(given, expected):
    assert importer.parse_item_type(given) == expected


@pytest.mark.parametrize("bad", ["", "11", "0", "21", "许可"])
def test_parse_item_type_rejects(bad):
    with pytest.raises(importer.RowProblem):
        importer.parse_item_type(bad)


@pytest.mark.parametrize(
    ("code", "base"),
    [
        ("511A0138000000-511602000000-000-115113010833722043-1-00", "511A0138000000"),
        ("511Z07001006-511602000000-000-11511301008778183N-1-00", "511Z07001006"),
        ("G-000007-001-511602000000-000-115113010833722043-1-00", ""),
        ("1J-5100-00019-511602000000-000-11511301008778386B-1-00", ""),
    ],
)
def test_derive_base_code(code, base):
    assert importer.derive_base_code(code) == base
