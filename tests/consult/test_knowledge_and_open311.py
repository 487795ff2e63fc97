"""Duplicate suggestions, answers published without personal data, and Open311 GeoReport v2
conformance in JSON and XML, including the spec's error responses."""

import json
from xml.etree import ElementTree as ET

import pytest

from tongban.consult import selectors, services
from tongban.consult.models import Petition, PublishedAnswer
from tongban.core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


def ask(w, user=None, **kw):
    fields = {
        "user": user or w["citizen"],
        "kind": "consult",
        "title": "失业金怎么申领",
        "body": "我上个月失业了，失业保险金怎么申领，要带哪些材料？",
        "category": w["social"],
        "region_code": "511602",
    }
    fields.update(kw)
    return services.submit(**fields)


def test_same_person_with_similar_text_is_a_likely_duplicate(world):
    first = ask(world)
    again = ask(world, body="我上个月失业了，失业保险金怎么申领？要带什么材料？")
    unrelated = ask(world, title="噪音", body="楼下饭店油烟太大，晚上还很吵。")
    other_person = ask(world, user=world["other"])
    found = [p for p, _why in selectors.likely_duplicates(again)]
    assert first in found and unrelated not in found and other_person not in found


def test_same_place_and_category_within_days_is_a_likely_duplicate(world):
    a = services.submit(
        user=None,
        kind="report",
        title="井盖丢了",
        body="建设路口井盖丢失很危险。",
        category=world["market"],
        address="建设路12号",
        lat="30.456",
        long="106.633",
    )
    b = services.submit(
        user=None,
        kind="report",
        title="路上有个坑",
        body="有个洞，晚上看不见。",
        category=world["market"],
        lat="30.4565",
        long="106.6331",
    )
    c = services.submit(
        user=None,
        kind="report",
        title="路上有个坑",
        body="有个洞，晚上看不见。",
        category=world["social"],
        lat="30.4565",
        long="106.6331",
    )
    assert a in [p for p, _ in selectors.likely_duplicates(b)]
    assert a not in [p for p, _ in selectors.likely_duplicates(c)]


def test_the_centre_merges_a_duplicate_into_the_open_request(world):
    first, again = ask(world), ask(world)
    with pytest.raises(PermissionDenied):
        services.merge(actor=world["citizen"], petition=again, into=first)
    services.merge(actor=world["operator"], petition=again, into=first)
    again.refresh_from_db()
    assert again.status == Petition.Status.MERGED and again.merged_into == first


def _answered_consultation(w):
    p = ask(w, body="我叫王小明，身份证号 511602198803140011，电话 13900000009，失业金怎么领？")
    services.dispatch(actor=w["operator"], petition=p, department=w["rs"])
    services.accept(actor=w["rs_handler"], petition=p)
    services.answer(
        actor=w["rs_handler"], petition=p, text="王小明您好：可全程网上申领，咨询 13900000009 已回电。"
    )
    return Petition.objects.get(pk=p.pk)


def test_published_answers_carry_no_personal_data(world):
    p = _answered_consultation(world)
    entry = services.publish_answer(
        actor=world["operator"],
        petition=p,
        question="王小明（511602198803140011，139 0000 0009）问：失业金怎么领？",
        answer=p.answer,
    )
    text = entry.question + entry.answer
    for secret in ("511602198803140011", "13900000009", "139 0000 0009", "王小明"):
        assert secret not in text
    assert "失业金" in entry.question
    assert [e.pk for e in selectors.published_answers()] == [entry.pk]
    with pytest.raises(InvalidInput, match="已经公开"):
        services.publish_answer(actor=world["operator"], petition=p, question="问题问题", answer="答案答案")


def test_only_answered_consultations_are_published_and_only_by_the_centre(world):
    p = _answered_consultation(world)
    with pytest.raises(PermissionDenied):
        services.publish_answer(
            actor=world["rs_handler"], petition=p, question="怎么领失业金", answer="网上申领即可"
        )
    complaint = services.submit(
        user=world["citizen"], kind="complain", title="投诉窗口", body="窗口态度很差。"
    )
    with pytest.raises(InvalidInput):
        services.publish_answer(
            actor=world["operator"], petition=complaint, question="投诉窗口", answer="已经处理"
        )
    assert not PublishedAnswer.objects.exists()


# ---------------------------------------------------------------- Open311


@pytest.fixture
def api_key(world):
    from tests.factories import SuperUserFactory

    _client, key = services.create_api_client(actor=SuperUserFactory(username="root"), name="FixMyStreet")
    return key


def test_api_keys_are_issued_by_admins_only(world):
    with pytest.raises(PermissionDenied):
        services.create_api_client(actor=world["operator"], name="某系统")


def _json(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _xml(response):
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_services_in_both_formats(client, world):
    rows = _json(client.get("/open311/v2/services.json"))
    market = next(r for r in rows if r["service_code"] == "market")
    assert set(market) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    root = _xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert "market" in codes and len(codes) == len(rows)


def test_service_definition_in_both_formats_and_404(client, world):
    body = _json(client.get("/open311/v2/services/market.json"))
    assert body["service_code"] == "market" and body["attributes"][0]["code"] == "kind"
    root = _xml(client.get("/open311/v2/services/market.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/code").text == "kind"
    assert root.find("attributes/attribute/values/value/key") is not None
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and _json(missing)[0]["code"] == 404
    missing_xml = client.get("/open311/v2/services/nope.xml")
    error = _xml(missing_xml)
    assert missing_xml.status_code == 404 and error.tag == "errors"
    assert error.find("error/code").text == "404" and error.find("error/description").text


def test_post_request_json_then_read_it_by_id_token_and_filters(client, world, api_key):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "market",
            "lat": "30.456",
            "long": "106.633",
            "description": "超市卖过期酸奶",
            "attribute[kind]": "report",
            "email": "a@example.org",
        },
    )
    assert response.status_code == 201
    created = _json(response)[0]
    number = created["service_request_id"]
    petition = Petition.objects.get(number=number)
    assert petition.channel == "open311" and petition.kind == "report"
    row = _json(client.get(f"/open311/v2/requests/{number}.json"))[0]
    assert row["status"] == "open" and row["service_code"] == "market" and row["lat"] == pytest.approx(30.456)
    assert "a@example.org" not in json.dumps(row)
    token = _json(client.get(f"/open311/v2/tokens/{petition.token}.json"))[0]
    assert token == {"service_request_id": number, "token": petition.token}
    listed = _json(client.get("/open311/v2/requests.json", {"service_code": "market", "status": "open"}))
    assert [r["service_request_id"] for r in listed] == [number]
    assert _json(client.get("/open311/v2/requests.json", {"status": "closed"})) == []
    by_ids = _json(client.get("/open311/v2/requests.json", {"service_request_id": f"{number},nope"}))
    assert [r["service_request_id"] for r in by_ids] == [number]


def test_post_request_xml(client, world, api_key):
    response = client.post(
        "/open311/v2/requests.xml",
        {
            "api_key": api_key,
            "service_code": "market",
            "address_string": "建设路12号",
            "description": "门口垃圾三天没人收",
            "phone": "13800001111",
        },
    )
    assert response.status_code == 201
    root = _xml(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    detail = _xml(client.get(f"/open311/v2/requests/{number}.xml"))
    assert detail.findtext("request/status") == "open" and detail.findtext("request/address") == "建设路12号"
    assert "13800001111" not in client.get(f"/open311/v2/requests/{number}.xml").content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_as_the_spec_defines_them(client, world, api_key, fmt):
    def error(response, status):
        assert response.status_code == status
        if fmt == "json":
            body = _json(response)
            assert body[0]["code"] == status and body[0]["description"]
        else:
            root = _xml(response)
            assert root.tag == "errors" and root.findtext("error/code") == str(status)

    before = Petition.objects.count()
    error(
        client.post(f"/open311/v2/requests.{fmt}", {"service_code": "market", "lat": "1", "long": "1"}), 403
    )
    error(
        client.post(
            f"/open311/v2/requests.{fmt}",
            {"api_key": "wrong", "service_code": "market", "lat": "1", "long": "1"},
        ),
        403,
    )
    error(
        client.post(
            f"/open311/v2/requests.{fmt}",
            {"api_key": api_key, "service_code": "nope", "lat": "1", "long": "1"},
        ),
        400,
    )
    error(client.post(f"/open311/v2/requests.{fmt}", {"api_key": api_key, "service_code": "market"}), 400)
    error(
        client.post(
            f"/open311/v2/requests.{fmt}",
            {
                "api_key": api_key,
                "service_code": "market",
                "lat": "1",
                "long": "1",
                "description": "投诉投诉投诉",
            },
        ),
        400,
    )
    error(client.get(f"/open311/v2/requests/12345-20000101-000001.{fmt}"), 404)
    error(client.get(f"/open311/v2/tokens/nope.{fmt}"), 404)
    error(client.get(f"/open311/v2/requests.{fmt}", {"status": "maybe"}), 400)
    error(client.get(f"/open311/v2/requests.{fmt}", {"start_date": "yesterday"}), 400)
    error(client.delete(f"/open311/v2/services.{fmt}"), 405)
    assert Petition.objects.count() == before
    assert client.get("/open311/v2/services.csv").status_code == 404
