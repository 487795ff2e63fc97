"""The open-data portal's pages, downloads and API: every endpoint, paging, bad parameters, the
download counter, and that no dataset carries personal data."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook
from stdnum.cn import ric

from tests.factories import MaterialRequirementFactory, PublishedItemFactory, UserFactory
from tongban.opendata import services
from tongban.opendata.datasets import SPECS
from tongban.opendata.models import Dataset
from tongban.ratings.models import Rating
from tongban.workdays.models import DayOverride

pytestmark = pytest.mark.django_db

PERSON = {
    "name": "欧阳明远",
    "mobile": "13912345678",
    "id_number": "11010519491231002X",
    "street": "幸福路8号3单元",
}


@pytest.fixture
def world(stats_world):
    dept = stats_world["big"]
    item = stats_world["items"][0]
    MaterialRequirementFactory(item=item, name="营业执照复印件")
    PublishedItemFactory(department=dept, name="草稿外的事项", status="draft")
    citizen = UserFactory(
        username=PERSON["mobile"],
        mobile=PERSON["mobile"],
        id_number=PERSON["id_number"],
        real_name=PERSON["name"],
    )
    for level in (5, 4, 1):
        Rating.objects.create(
            department=dept,
            item=item,
            region_code=item.region_code,
            channel="online",
            rater=citizen,
            rater_name=PERSON["name"],
            level=level,
            comment=f"我住{PERSON['street']}，电话{PERSON['mobile']}",
        )
    DayOverride.objects.create(date=dt.date(dt.date.today().year, 3, 2), kind="holiday", name="测试假日")
    services.rebuild_statistics()
    return stats_world | {"item": item, "citizen": citizen}


def test_index_lists_every_dataset_with_licence_and_counts(client, world):
    page = client.get("/opendata/")
    assert page.status_code == 200
    text = page.content.decode()
    for spec in SPECS.values():
        assert f"/opendata/{spec.slug}/" in text
        assert str(spec.title) in text
    assert "CC BY 4.0" in text and "下载 0 次" in text


@pytest.mark.parametrize("slug", list(SPECS))
def test_landing_page_shows_metadata_distributions_and_preview(client, world, slug):
    page = client.get(f"/opendata/{slug}/")
    assert page.status_code == 200
    text = page.content.decode()
    for fmt in ("csv", "json", "xlsx"):
        assert f"/opendata/{slug}/download.{fmt}" in text
    assert f"/opendata/{slug}/datapackage.json" in text and f"/opendata/{slug}/dcat.ttl" in text
    assert "许可协议" in text and "更新时间" in text and "下载次数" in text
    assert "<table" in text


def test_statistics_page_marks_and_explains_suppressed_cells(client, world):
    text = client.get("/opendata/case-statistics/").content.decode()
    assert "小数抑制" in text and "少于 5 件" in text
    assert '<span aria-hidden="true">*</span><span class="visually-hidden">不公开</span>' in text


def test_catalogue_download_csv_has_bom_header_and_published_items_only(client, world):
    response = client.get("/opendata/service-items/download.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == SPECS["service-items"].field_names
    names = {r["name"] for r in rows}
    assert "大事项0" in names and "草稿外的事项" not in names
    assert any(r["materials"] == "营业执照复印件" for r in rows)
    assert all(r["legal_basis"] == "《中华人民共和国行政许可法》第十二条" for r in rows)
    assert 'attachment; filename="service-items.csv"' == response["Content-Disposition"]


def test_statistics_csv_leaves_suppressed_cells_empty(client, world):
    body = b"".join(client.get("/opendata/case-statistics/download.csv").streaming_content).decode(
        "utf-8-sig"
    )
    rows = {r["item_name"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows["大事项0"]["received"] == "40"
    assert rows["大事项1"]["received"] == ""


def test_json_and_xlsx_downloads(client, world):
    data = json.loads(b"".join(client.get("/opendata/holidays/download.json").streaming_content))
    assert data["name"] == "holidays" and any(r["name"] == "测试假日" for r in data["rows"])
    response = client.get("/opendata/department-ratings/download.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:2] == ["名次", "部门"] and first[1] == "统计测试局" and first[5] == 3


def test_downloads_are_counted_per_dataset(client, world):
    for _ in range(3):
        client.get("/opendata/holidays/download.csv")
    client.get("/opendata/service-items/download.xlsx")
    assert Dataset.objects.get(slug="holidays").downloads == 3
    assert Dataset.objects.get(slug="service-items").downloads == 1
    assert "下载 3 次" in client.get("/opendata/").content.decode()


def test_filtered_download_uses_the_filter(client, world):
    body = b"".join(client.get("/opendata/case-statistics/download.csv?month=2026-10").streaming_content)
    assert body.decode("utf-8-sig").strip().count("\n") == 0  # header only


def test_datapackage_describes_the_csv_and_its_schema(client, world):
    package = client.get("/opendata/case-statistics/datapackage.json").json()
    assert package["name"] == "case-statistics"
    resource = package["resources"][0]
    assert resource["path"].endswith("/opendata/case-statistics/download.csv")
    fields = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    assert fields["received"] == "integer" and fields["month"] == "yearmonth"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"


def test_unknown_dataset_and_format_are_404(client, db):
    assert client.get("/opendata/people/").status_code == 404
    assert client.get("/opendata/holidays/download.exe").status_code == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/opendata/case-statistics/?month=2026-13", "月份格式应为 YYYY-MM"),
        ("/opendata/case-statistics/?region=51x", "行政区划代码"),
        ("/opendata/holidays/?year=99999", "年份应为四位数字"),
        ("/opendata/holidays/?page=0", "页码应在"),
        ("/opendata/holidays/?page=abc", "页码和每页条数必须是整数"),
        ("/opendata/case-statistics/download.csv?month=x", "月份格式应为 YYYY-MM"),
    ],
)
def test_bad_page_parameters_get_a_chinese_error(client, db, url, message):
    response = client.get(url)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_bad_filter_is_shown_on_the_dataset_page_with_the_unfiltered_preview(client, world):
    response = client.get("/opendata/case-statistics/?month=2026-13")
    text = response.content.decode()
    assert response.status_code == 422
    assert '<p class="filter-error">月份格式应为 YYYY-MM' in text and "下表为未筛选的数据" in text
    assert "共 7 行" in text and 'value="2026-13"' in text


def test_bad_download_filter_is_not_counted(client, world):
    client.get("/opendata/case-statistics/download.csv?month=x")
    assert not Dataset.objects.filter(slug="case-statistics", downloads__gt=0).exists()


def test_pages_refuse_writes(client, db):
    assert client.post("/opendata/holidays/download.csv").status_code == 405


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_datasets(client, world):
    data = client.get("/api/v1/opendata/datasets").json()
    assert [d["slug"] for d in data] == list(SPECS)
    stats = next(d for d in data if d["slug"] == "case-statistics")
    assert stats["filters"] == ["month", "region", "item"]
    assert stats["distributions"]["csv"].endswith("/opendata/case-statistics/download.csv")
    assert any(f["suppressible"] for f in stats["fields"])


def test_api_dataset_and_datapackage(client, world):
    assert client.get("/api/v1/opendata/datasets/holidays").json()["title"] == "节假日安排"
    assert client.get("/api/v1/opendata/datasets/holidays/datapackage").json()["name"] == "holidays"
    response = client.get("/api/v1/opendata/datasets/nobody")
    assert response.status_code == 404 and "没有这个开放数据集" in response.json()["message"]


def test_api_rows_page_through_the_data(client, world):
    first = client.get("/api/v1/opendata/datasets/case-statistics/rows?page_size=3").json()
    assert (first["total"], first["pages"], len(first["rows"])) == (7, 3, 3)
    last = client.get("/api/v1/opendata/datasets/case-statistics/rows?page_size=3&page=3").json()
    assert len(last["rows"]) == 1
    beyond = client.get("/api/v1/opendata/datasets/case-statistics/rows?page_size=3&page=4").json()
    assert beyond["rows"] == [] and beyond["total"] == 7
    seen = [
        r["item_code"]
        for p in (1, 2, 3)
        for r in client.get(f"/api/v1/opendata/datasets/case-statistics/rows?page_size=3&page={p}").json()[
            "rows"
        ]
    ]
    assert len(seen) == len(set(zip(seen, range(7), strict=True)))


def test_api_rows_filter_and_suppression(client, world):
    item = world["item"]
    data = client.get(f"/api/v1/opendata/datasets/case-statistics/rows?item={item.code}&month=2026-11").json()
    assert data["total"] == 1 and data["rows"][0]["received"] == 40
    hidden = client.get(
        f"/api/v1/opendata/datasets/case-statistics/rows?item={world['items'][1].code}"
    ).json()["rows"][0]
    assert hidden["received"] is None and hidden["on_time_rate"] is None
    assert client.get("/api/v1/opendata/datasets/case-statistics/rows?region=52").json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "page_size=201",
        "page=10001",
        "month=2026-1",
        "month=2026-00",
        "region=5",
        "item=" + "x" * 81,
        "year=2026",
    ],
)
def test_api_bad_parameters_are_422_in_chinese(client, db, query):
    response = client.get(f"/api/v1/opendata/datasets/case-statistics/rows?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_parameters"
    assert re.search(r"[\u4e00-\u9fff]", body["message"])


# --- no personal data -------------------------------------------------------------------------

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Any 18-character run that is a valid 居民身份证号码 (GB 11643: birth date and check character);
# a department's 统一社会信用代码 is also 18 characters but never passes.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.mark.parametrize("slug", list(SPECS))
def test_no_dataset_carries_personal_data(client, world, slug):
    texts = [
        b"".join(client.get(f"/opendata/{slug}/download.{fmt}").streaming_content).decode("utf-8-sig")
        for fmt in ("csv", "json")
    ]
    texts.append(
        json.dumps(
            client.get(f"/api/v1/opendata/datasets/{slug}/rows?page_size=200").json(), ensure_ascii=False
        )
    )
    texts.append(client.get(f"/opendata/{slug}/").content.decode())
    for text in texts:
        for value in PERSON.values():
            assert value not in text
        assert not MOBILE.search(text)
        assert not [m for m in ID_NUMBER.findall(text) if ric.is_valid(m)]
