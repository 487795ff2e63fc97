"""The guide page (办事指南) of an item: every element, printable, with its own QR code."""

import pytest
from django.urls import reverse

from tests.factories import PublishedItemFactory
from tongban.catalog.models import ServiceItem

pytestmark = pytest.mark.django_db


def guide(client, item):
    response = client.get(reverse("web:item", args=[item.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_guide_shows_every_element(client, catalogue):
    item = catalogue.guide_item
    html = guide(client, item)
    expected = [
        "居民身份证补领",
        item.code,
        item.base_code,
        "行政确认",  # type
        "自然人",  # service objects
        "《中华人民共和国居民身份证法》第十一条",  # legal basis
        "居民身份证丢失的本区户籍居民。",  # conditions
        "不得要求申请人提供无法律依据的证明。",
        # materials table: name, form, copies, necessity, source
        "户口簿",
        "原件",
        "电子",
        "必要",
        "非必要",
        "政府部门核发",
        "公安机关核发",
        # process steps
        "受理",
        "制证",
        "20个工作日",
        # limits with unit
        "法定办结时限",
        "20 工作日",
        "承诺办结时限",
        "10 工作日",
        # fees with basis
        "工本费",
        "20元/证",
        "《居民身份证工本费收费标准》",
        # place and hours
        "广安区政务服务中心一楼公安窗口",
        "工作日 9:00–17:00",
        # consult and complaint channels
        "0826-2220001",
        "窗口咨询、电话咨询",
        "0826-12345",
        "12345 热线",
        # visits and online depth
        "到办事现场次数",
        "Ⅲ 级（网上受理）",
        # result
        "证照",
        "中华人民共和国居民身份证",
        # themes, FAQs, life events
        "证件办理",
        "补领期间怎么办？",
        "可申请临时居民身份证。",
        "出生一件事",
        # department and channels
        "广安区公安分局",
        "窗口、网上",
    ]
    missing = [text for text in expected if text not in html]
    assert missing == []
    # 预约/支付/物流 are listed only once the platform has the function: 预约 (appointments) and
    # 网上支付 (payments) since issue 18, 物流 not yet.
    assert "预约办理：支持" in html and "网上支付：支持" in html and "物流快递" not in html
    assert "/appointments/book/" in html  # the 预约 line leads to booking


def test_guide_links_blank_form_sample_and_result_sample(client, catalogue):
    from django.core.files.base import ContentFile

    material = catalogue.guide_item.materials.first()
    material.blank_form.save("blank.pdf", ContentFile(b"%PDF-1.4 blank"), save=False)
    material.sample.save("sample.pdf", ContentFile(b"%PDF-1.4 sample"), save=True)
    item = catalogue.guide_item
    item.result_sample.save("result.pdf", ContentFile(b"%PDF-1.4 result"), save=True)
    html = guide(client, item)
    assert material.blank_form.url in html
    assert material.sample.url in html
    assert item.result_sample.url in html
    assert "空白表格" in html and "示例样表" in html and "查看样本" in html


def test_guide_has_qr_code_of_its_own_address(client, catalogue):
    item = catalogue.guide_item
    response = client.get(reverse("web:item", args=[item.code]))
    html = response.content.decode()
    own_url = f"http://127.0.0.1:8000/items/{item.code}/"  # TONGBAN_PUBLIC_URL, not the Host header
    assert response.context["own_url"] == own_url
    assert '<svg role="img"' in html and 'class="qr-code"' in html
    assert own_url in html
    # The symbol encodes the address: decoding the same matrix gives the same SVG.
    import segno

    expected = segno.make_qr(own_url, error="m", mask=3).svg_inline(scale=4, border=2, svgclass="qr-code")
    assert expected.split('d="')[1].split('"')[0] in html


def test_guide_is_printable(client, catalogue):
    html = guide(client, catalogue.guide_item)
    assert 'href="/static/web/print.css" media="print"' in html
    assert "data-print" in html


def test_instant_item_shows_instant(client, catalogue):
    item = PublishedItemFactory(
        name="即办事项", department=catalogue.department, case_kind="1", promised_limit=0, legal_limit=0
    )
    html = guide(client, item)
    assert "即办件" in html
    assert "即办" in html


def test_unpublished_and_unknown_items_are_404(client, catalogue):
    assert client.get(reverse("web:item", args=[catalogue.draft_item.code])).status_code == 404
    item = catalogue.food_item
    item.status = ServiceItem.Status.WITHDRAWN
    item.save()
    assert client.get(reverse("web:item", args=[item.code])).status_code == 404
    response = client.get("/items/NO-SUCH-CODE/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_guide_query_count_is_fixed(client, catalogue, django_assert_max_num_queries):
    """The same number of queries for a full guide and a bare one; a repeat costs two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for item in (catalogue.guide_item, catalogue.food_item):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("web:item", args=[item.code]))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 16
    with django_assert_max_num_queries(2):
        client.get(reverse("web:item", args=[catalogue.guide_item.code]))
