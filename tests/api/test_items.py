"""GET /api/v1/items (filters, pagination) and /items/{code} (the whole guide)."""

import pytest
from django.core.files.base import ContentFile

from tests.factories import (
    FAQFactory,
    FeeItemFactory,
    MaterialRequirementFactory,
    ProcessStepFactory,
    PublishedItemFactory,
    region_chain,
)
from tongban.catalog.models import LifeEvent, Theme

pytestmark = pytest.mark.django_db


def _names(response):
    assert response.status_code == 200, response.data
    return [i["name"] for i in response.data["items"]]


def test_lists_published_items_only_most_popular_first(api, catalogue):
    response = api.get("/items")
    assert _names(response) == [
        "食品经营许可",
        "居民身份证补领",
        "城乡居民养老保险参保登记",
        "企业名称变更登记",
    ]
    assert response.data["total"] == 4
    food = response.data["items"][0]
    assert food["code"] == catalogue["food"].code
    assert food["type"] == "01"
    assert food["type_name"] == "行政许可"
    assert food["department"] == {"id": catalogue["market"].pk, "name": "广安区市场监督管理局"}
    assert food["region"]["code"] == "511602"
    assert food["region"]["code12"] == "511602000000"
    assert food["for_person"] is True and food["for_enterprise"] is True
    assert food["promised_limit"] == {"value": 10, "unit": "G", "unit_name": "工作日"}


def test_region_filter_includes_regions_below(api, catalogue):
    assert len(_names(api.get("/items", region="5116"))) == 4
    assert _names(api.get("/items", region="511602000000")) == [
        "食品经营许可",
        "居民身份证补领",
        "企业名称变更登记",
    ]
    assert _names(api.get("/items", region="511603")) == []
    elsewhere = PublishedItemFactory(name="杭州事项", department__region=region_chain("330106"))
    assert _names(api.get("/items", region="33")) == [elsewhere.name]


def test_department_filter(api, catalogue):
    response = api.get("/items", department=catalogue["market"].pk)
    assert _names(response) == ["食品经营许可", "企业名称变更登记"]
    missing = api.get("/items", department=999999)
    assert missing.status_code == 404
    assert missing.data["field"] == "department"


def test_audience_filter(api, catalogue):
    assert _names(api.get("/items", audience="enterprise")) == ["食品经营许可", "企业名称变更登记"]
    assert "企业名称变更登记" not in _names(api.get("/items", audience="person"))


def test_type_filter(api, catalogue):
    assert _names(api.get("/items", type="07")) == ["居民身份证补领"]
    assert _names(api.get("/items", type="20")) == ["城乡居民养老保险参保登记"]
    assert _names(api.get("/items", type="09")) == []


def test_theme_filter_by_slug_and_audience(api, catalogue):
    assert _names(api.get("/items", theme="hunyindengji")) == ["居民身份证补领"]
    assert _names(api.get("/items", theme="hunyindengji", audience="person")) == ["居民身份证补领"]
    # 婚姻登记 is a theme for individuals only.
    response = api.get("/items", theme="hunyindengji", audience="enterprise")
    assert response.status_code == 404
    assert response.data["field"] == "theme"
    assert api.get("/items", theme="no-such-theme").status_code == 404


def test_theme_shared_by_both_audiences_matches_each_item_once(api, catalogue):
    person = Theme.objects.get(audience="person", slug="shehuibaozhang")
    enterprise = Theme.objects.get(audience="enterprise", slug="shehuibaozhang")
    catalogue["pension"].themes.set([person, enterprise])
    response = api.get("/items", theme="shehuibaozhang")
    assert _names(response) == ["城乡居民养老保险参保登记"]
    assert response.data["total"] == 1


def test_filters_combine(api, catalogue):
    response = api.get(
        "/items", region="511602", department=catalogue["market"].pk, audience="person", type="01"
    )
    assert _names(response) == ["食品经营许可"]


def test_pagination(api, catalogue):
    first = api.get("/items", page_size=3).data
    second = api.get("/items", page_size=3, page=2).data
    assert (first["total"], first["page"], first["page_size"]) == (4, 1, 3)
    assert [i["name"] for i in first["items"] + second["items"]] == _names(api.get("/items"))
    assert api.get("/items", page=3, page_size=3).data["items"] == []
    assert api.get("/items", page_size=100).status_code == 200


def test_list_takes_a_fixed_number_of_queries(api, catalogue, django_assert_max_num_queries):
    for n in range(30):
        PublishedItemFactory(
            department=catalogue["police"], name=f"批量事项{n}", themes=[catalogue["marriage"]]
        )
    with django_assert_max_num_queries(5):
        response = api.get(
            "/items", region="511602", department=catalogue["police"].pk, theme="hunyindengji", page_size=100
        )
    assert response.data["total"] == 31


@pytest.fixture
def full_item(catalogue):
    """食品经营许可 with every element of its guide filled in."""
    item = catalogue["food"]
    item.is_charged = True
    item.fee_basis = "《四川省行政事业性收费目录》"
    item.legal_limit, item.promised_limit, item.promised_limit_unit = 20, 5, "G"
    item.handling_place = "广安区政务服务中心二楼 12 号窗口"
    item.handling_hours = "工作日 9:00–12:00，13:30–17:00"
    item.result_name = "食品经营许可证"
    item.result_type = "certificate"
    item.supports_appointment = True
    item.supports_delivery = True
    item.result_sample.save("sample.pdf", ContentFile(b"%PDF-1.4 sample"), save=False)
    item.save()
    material = MaterialRequirementFactory(
        item=item, order=1, name="食品经营许可申请书", forms=["original", "electronic"], copies=1
    )
    material.blank_form.save("form.docx", ContentFile(b"blank"), save=True)
    MaterialRequirementFactory(
        item=item, order=2, name="营业执照", necessity="conditional", source="government", forms=["copy"]
    )
    ProcessStepFactory(item=item, order=1, name="受理")
    ProcessStepFactory(item=item, order=2, name="审查", time_limit="3个工作日")
    ProcessStepFactory(item=item, order=3, name="决定")
    FeeItemFactory(item=item, name="证书工本费", standard="0元", basis="财税〔2015〕102号", may_reduce=True)
    FAQFactory(item=item, question="可以网上办理吗？", answer="可以，全程网办。")
    item.themes.set([Theme.objects.get(audience="enterprise", slug="zhunyingzhunban")])
    event = LifeEvent.objects.create(name="开办餐馆", slug="open-restaurant", audience="enterprise")
    event.items.add(item)
    return item


def test_detail_has_every_element(api, full_item):
    response = api.get(f"/items/{full_item.code}")
    assert response.status_code == 200
    data = response.data
    assert data["code"] == full_item.code
    assert data["base_code"] == full_item.base_code
    assert data["name"] == "食品经营许可"
    assert data["status"] == "published"
    assert data["type"] == "01" and data["type_name"] == "行政许可"
    assert data["service_objects"] == [{"code": "1", "name": "自然人"}, {"code": "2", "name": "企业法人"}]
    assert data["department"]["name"] == "广安区市场监督管理局"
    assert data["region"]["full_name"] == "四川省广安市广安区"
    assert data["legal_basis"].startswith("《中华人民共和国行政许可法》")
    assert data["conditions"]
    assert data["case_kind"] == "2" and data["case_kind_name"] == "承诺件"
    assert data["legal_limit"] == {"value": 20, "unit": "G", "unit_name": "工作日"}
    assert data["promised_limit"] == {"value": 5, "unit": "G", "unit_name": "工作日"}
    assert data["is_instant"] is False
    assert data["is_charged"] is True
    assert data["fee_basis"] == "《四川省行政事业性收费目录》"
    assert data["fees"] == [
        {"name": "证书工本费", "standard": "0元", "basis": "财税〔2015〕102号", "may_reduce": True}
    ]
    assert data["handling_place"].startswith("广安区政务服务中心")
    assert data["handling_hours"]
    assert data["channels"] == [{"code": "1", "name": "窗口"}, {"code": "2", "name": "网上"}]
    assert data["consult_phone"] == "0826-2220001"
    assert data["complaint_phone"] == "0826-12345"
    assert data["visits_required"] == 1
    assert data["online_depth"] == 3
    assert data["online_depth_name"].startswith("Ⅲ")
    assert data["result_type"] == "certificate" and data["result_type_name"] == "证照"
    assert data["result_name"] == "食品经营许可证"
    assert data["result_sample_url"].startswith("http://testserver/media/catalog/results/")
    assert data["flags"] == {"appointment": True, "online_payment": False, "delivery": True}
    first, second = data["materials"]
    assert first["name"] == "食品经营许可申请书"
    assert first["forms"] == [{"code": "original", "name": "原件"}, {"code": "electronic", "name": "电子"}]
    assert first["necessity"] == "required" and first["necessity_name"] == "必要"
    assert first["blank_form_url"].startswith("http://testserver/media/catalog/forms/")
    assert first["sample_url"] is None
    assert second["necessity_name"] == "容缺后补"
    assert second["source"] == "government" and second["source_name"] == "政府部门核发"
    assert [s["name"] for s in data["steps"]] == ["受理", "审查", "决定"]
    assert data["steps"][1]["time_limit"] == "3个工作日"
    assert data["faqs"] == [{"question": "可以网上办理吗？", "answer": "可以，全程网办。"}]
    assert data["themes"] == [{"slug": "zhunyingzhunban", "name": "准营准办", "audience": "enterprise"}]
    assert data["life_events"] == [{"slug": "open-restaurant", "name": "开办餐馆", "audience": "enterprise"}]
    assert data["published_at"]


def test_detail_of_an_instant_item(api, catalogue):
    item = PublishedItemFactory(department=catalogue["police"], case_kind="1", promised_limit=0)
    data = api.get(f"/items/{item.code}").data
    assert data["is_instant"] is True
    assert data["case_kind_name"] == "即办件"


def test_detail_of_draft_withdrawn_or_unknown_item_is_404(api, catalogue):
    for code in (catalogue["draft"].code, catalogue["withdrawn"].code, "NO-SUCH-CODE"):
        response = api.get(f"/items/{code}")
        assert response.status_code == 404
        assert response.data["code"] == "not_found"
        assert code in response.data["message"]


def test_detail_takes_a_fixed_number_of_queries(api, full_item, django_assert_max_num_queries):
    for _ in range(10):
        MaterialRequirementFactory(item=full_item)
        FAQFactory(item=full_item)
    with django_assert_max_num_queries(7):
        data = api.get(f"/items/{full_item.code}").data
    assert len(data["materials"]) == 12
