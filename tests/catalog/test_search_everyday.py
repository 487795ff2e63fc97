"""Everyday-language queries over the 广安市 demo catalogue: the wanted item must be in the top 3.

The demo (real 广安区 list of 1,135 items with generated guides, the other counties of the city,
and every popular item of ``tongban.demo.popular``) is loaded once per module by the demo's own
steps (regions, catalogue, search index) inside a transaction rolled back afterwards. Queries are
those of a citizen of 广安区 (region 511602: its items and the city's and province's above it).
"""

import pytest

from tests.fixtures_demo import load_demo_for_module
from tongban.catalog.models import ServiceItem
from tongban.catalog.search import search_items
from tongban.demo import step_names

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("search-everyday")]

HOME = "511602"
CATALOGUE_STEPS = ("regions", "catalog", "search")


@pytest.fixture(scope="module")
def county_catalogue(django_db_setup, django_db_blocker):
    skip = [name for name in step_names() if name not in CATALOGUE_STEPS]
    yield from load_demo_for_module(django_db_blocker, skip=skip)


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


def _top(query: str, n: int = 3) -> list[str]:
    return [hit.item.name for hit in search_items(query, region_code=HOME).hits[:n]]


@pytest.mark.parametrize(("query", "wanted"), EVERYDAY_QUERIES, ids=[q for q, _ in EVERYDAY_QUERIES])
def test_everyday_query_finds_the_item_in_top_three(county_catalogue, query, wanted):
    acceptable = {wanted} if isinstance(wanted, str) else set(wanted)
    assert acceptable & _home_names(), "the wanted item must exist in the catalogue"
    assert acceptable & set(_top(query)), f"{query!r}: {_top(query, 5)}"


def _home_names() -> set[str]:
    return set(ServiceItem.objects.published().filter(region_code=HOME).values_list("name", flat=True))


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
    assert wanted in _home_names()
    assert wanted in _top(query), f"{query!r}: {_top(query, 5)}"


def test_exact_names_rank_first(county_catalogue):
    for name in ("居民身份证补领", "食品经营许可", "结婚登记", "不动产登记", "临时救助"):
        assert _top(name, 1) == [name]


def test_typo_offers_the_corrected_query(county_catalogue):
    assert search_items("结昏登记", region_code=HOME).corrected_query == "结婚登记"
    assert search_items("居民身分证补领", region_code=HOME).corrected_query == "居民身份证补领"
    assert search_items("结婚登记", region_code=HOME).corrected_query is None
