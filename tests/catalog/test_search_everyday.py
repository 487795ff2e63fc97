"""Everyday-language queries over a county catalogue: the wanted item must be in the top 3.

The catalogue is the real 广安区 list (1,135 items, the noise a citizen searches through) plus
every popular item of ``tongban.demo.popular`` in 广安区, built once per module inside a
transaction that is rolled back afterwards.
"""

import csv
import gzip
import io
from pathlib import Path

import pytest
from django.db import transaction

from tests.factories import region_chain
from tongban.catalog.models import ServiceItem, Theme
from tongban.catalog.search import rebuild_index, search_items
from tongban.demo.popular import POPULAR_ITEMS
from tongban.departments.models import Department

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("search-everyday")]

COUNTY_CSV = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "tongban"
    / "demo"
    / "data"
    / "guangan-district-items.csv.gz"
)
SHARED_CSV = Path("/work/shared/data/catalog/sichuan-guangan-district-items.csv")


def _county_rows() -> list[dict[str, str]]:
    if COUNTY_CSV.exists():
        text = gzip.decompress(COUNTY_CSV.read_bytes()).decode("utf-8-sig")
    else:
        text = SHARED_CSV.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def build_county_catalogue() -> dict[str, ServiceItem]:
    """Published items of 广安区: the real list plus the popular ones; returns popular by name."""
    county = region_chain("511602")
    themes = {(t.audience, t.name): t for t in Theme.objects.all()}
    departments: dict[str, Department] = {}

    def department(name: str) -> Department:
        if name not in departments:
            departments[name] = Department.objects.create(
                name=name, region=county, local_code=f"D{len(departments)}"
            )
        return departments[name]

    popular_names = {row[0] for row in POPULAR_ITEMS}
    items = []
    for n, row in enumerate(_county_rows()):
        if row["name"] in popular_names:
            continue
        kind = f"{int(row['task_type']):02d}" if row["task_type"].isdigit() else "10"
        items.append(
            ServiceItem(
                code=f"{row['item_code']}-{n}",
                name=row["name"],
                group=row.get("group", ""),
                item_type=kind,
                service_objects=["1"],
                for_person=True,
                department=department(row["department"]),
                region=county,
                region_code=county.code,
                status=ServiceItem.Status.PUBLISHED,
                popularity=(n * 37) % 200,
            )
        )
    popular = []
    for n, (name, dept, kind, audience, _themes) in enumerate(POPULAR_ITEMS):
        popular.append(
            ServiceItem(
                code=f"POPULAR-{n:03d}-511602",
                name=name,
                item_type=kind,
                service_objects=["1"] if audience == "person" else ["2"],
                for_person=audience == "person",
                for_enterprise=audience == "enterprise",
                department=department(dept),
                region=county,
                region_code=county.code,
                status=ServiceItem.Status.PUBLISHED,
                popularity=1000 + n,
            )
        )
    ServiceItem.objects.bulk_create(items + popular, batch_size=500)
    through = ServiceItem.themes.through
    links = []
    for item, (_name, _dept, _kind, audience, theme_names) in zip(popular, POPULAR_ITEMS, strict=True):
        for theme_name in theme_names:
            theme = themes.get((audience, theme_name)) or themes.get(("person", theme_name))
            if theme:
                links.append(through(serviceitem_id=item.pk, theme_id=theme.pk))
    through.objects.bulk_create(links)
    rebuild_index()
    return {item.name: item for item in popular}


@pytest.fixture(scope="module")
def county_catalogue(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_county_catalogue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# (what a citizen types, the item they need)
EVERYDAY_QUERIES = [
    ("开饭店要办什么证", "食品经营许可"),
    ("身份证丢了", "居民身份证补领"),
    ("身份证丢了怎么办", "居民身份证补领"),
    ("身份证过期了", "居民身份证换领"),
    ("我要结婚", "结婚登记"),
    ("怎么离婚", "离婚登记"),
    ("结婚证丢了", "补领结婚证"),
    ("想开个公司", ("企业设立登记", "公司设立登记")),
    ("摆摊需要办什么", "个体工商户设立登记"),
    ("公司不开了", "企业注销登记"),
    ("生孩子要办出生证", "出生医学证明办理"),
    ("宝宝上户口", "新生儿入户"),
    ("迁户口", "户口迁移审批"),
    ("外地人办暂住证", "居住证申领"),
    ("开无犯罪证明", "无犯罪记录证明"),
    ("驾照丢了", "机动车驾驶证补证"),
    ("出国办护照", "普通护照签发"),
    ("去香港旅游", "往来港澳通行证签发"),
    ("办社保卡", "社会保障卡申领"),
    ("农村养老保险怎么交", "城乡居民基本养老保险参保登记"),
    ("失业了领失业金", "失业保险金申领"),
    ("我要办退休", "职工正常退休申请"),
    ("产假工资怎么领", "生育津贴支付"),
    ("在外地看病", "异地就医备案"),
    ("取公积金", "住房公积金提取"),
    ("申请公租房", "公共租赁住房资格申请"),
    ("盖厂房要什么手续", "建筑工程施工许可证核发"),
    ("办房产证", "不动产登记"),
    ("开理发店", "公共场所卫生许可"),
    ("开药店", "药品零售企业经营许可"),
    ("卖烟要办证吗", "烟草专卖零售许可证核发"),
    ("跑客运", "道路旅客运输经营许可"),
    ("办残疾证", "残疾人证办理"),
    ("吃低保", "最低生活保障审核确认"),
    ("家里困难申请救助", "临时救助"),
    ("老人高龄补贴", "高龄津贴申领"),
    ("老人去世丧葬费", "殡葬补贴申领"),
    ("养狗要登记吗", "犬只登记"),
    ("孩子上小学报名", "义务教育入学报名"),
    ("考教师资格证", "教师资格认定"),
    ("个税退税", "个人所得税汇算清缴"),
    ("领发票", "增值税发票领用"),
    ("退伍军人优待证", "退役军人优待证申领"),
    ("打井抽水", "取水许可"),
    ("砍树", "林木采伐许可证核发"),
    ("工厂排污", "排污许可"),
    ("请不起律师", "法律援助申请"),
    ("办公证", "公证事项办理"),
    ("医生注册", "医师执业注册"),
    ("开超市", "食品经营许可"),
]


def _top(query: str, n: int = 3, **filters) -> list[str]:
    return [hit.item.name for hit in search_items(query, **filters).hits[:n]]


@pytest.mark.parametrize(("query", "wanted"), EVERYDAY_QUERIES, ids=[q for q, _ in EVERYDAY_QUERIES])
def test_everyday_query_finds_the_item_in_top_three(county_catalogue, query, wanted):
    acceptable = {wanted} if isinstance(wanted, str) else set(wanted)
    assert acceptable & _all_names(), "the wanted item must exist in the catalogue"
    assert acceptable & set(_top(query)), f"{query!r}: {_top(query, 5)}"


def _all_names() -> set[str]:
    return set(ServiceItem.objects.values_list("name", flat=True))


def test_at_least_thirty_everyday_queries():
    assert len({q for q, _ in EVERYDAY_QUERIES}) >= 30


# Typed pinyin, initials and one wrong character (homophones and shape slips).
TOLERANT_QUERIES = [
    ("shenfenzheng", "居民身份证补领"),
    ("shenfenzheng buling", "居民身份证补领"),
    ("jiehundengji", "结婚登记"),
    ("gongjijin tiqu", "住房公积金提取"),
    ("居民身分证补领", "居民身份证补领"),
    ("结昏登记", "结婚登记"),
    ("食品经营许刻", "食品经营许可"),
    ("往来港奥通行证", "往来港澳通行证签发"),
    ("社会保章卡申领", "社会保障卡申领"),
    ("义务教育入学报各", "义务教育入学报名"),
    ("不动产登机", "不动产登记"),
]


@pytest.mark.parametrize(("query", "wanted"), TOLERANT_QUERIES, ids=[q for q, _ in TOLERANT_QUERIES])
def test_pinyin_and_one_wrong_character(county_catalogue, query, wanted):
    assert wanted in _top(query), f"{query!r}: {_top(query, 5)}"


def test_exact_names_rank_first(county_catalogue):
    for name in ("居民身份证补领", "食品经营许可", "结婚登记", "不动产登记", "临时救助"):
        assert _top(name, 1) == [name]


def test_typo_offers_the_corrected_query(county_catalogue):
    assert search_items("结昏登记").corrected_query == "结婚登记"
    assert search_items("居民身分证补领").corrected_query == "居民身份证补领"
    assert search_items("结婚登记").corrected_query is None
