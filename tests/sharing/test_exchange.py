"""The exchange API: signed client assertion in, provider-signed answer out, logged twice
(the person's data-access log and the audit chain, which verifies)."""

import json
import time

import pytest
from django.core.management import call_command

from tongban.certificates import seals
from tongban.core.models import AuditEntry
from tongban.registries.models import DataAccessLog
from tongban.sharing import signing
from tongban.sharing.models import ConsumerSystem

URL = "/api/v1/sharing/exchange"


@pytest.fixture
def system(world, granted):
    """人社业务系统: an OIDC client of the platform, let into the exchange with its key."""
    from tongban.identity.oidc.services import create_client
    from tongban.sharing import services

    key, public = signing.new_client_key()
    client = create_client(
        name="人社业务系统", redirect_uris=["https://rs.example.cn/cb"], department_id=world.consumer.pk
    ).client
    client.client_id = "rs-system"
    client.save(update_fields=["client_id"])
    made = services.register_system(actor=None, client=client, public_key=public)
    assert isinstance(made, ConsumerSystem)
    made.key = key
    return made


def _body(world, **kw):
    data = {
        "resource": world.population.code,
        "subject": world.person.id_number,
        "fields": ["name", "address"],
        "purpose": "社会保险登记核验",
        **kw,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def _post(client, system, body, *, signed_body=None, key=None, now=None, token=None):
    token = token or signing.make_assertion(system.client_id, key or system.key, signed_body or body, now=now)
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _provider_key(world):
    key = seals.active_key(world.police)
    return seals.public_key_bytes(key), key.algorithm


def test_signed_exchange_returns_only_granted_fields(client, world, system):
    response = _post(client, system, _body(world))
    assert response.status_code == 200, response.content
    public, algorithm = _provider_key(world)
    payload = signing.verify_response(response.content, public, algorithm=algorithm)
    assert payload["records"] == [{"name": "张三", "address": "四川省广安市广安区中心街1号"}]
    assert payload["grant"] and payload["consumer"]["client_id"] == "rs-system"
    log = DataAccessLog.objects.get()
    assert log.channel == "exchange" and log.accessor_label == "人社业务系统"
    assert log.department == world.consumer and log.case_number == ""


def test_a_tampered_response_is_rejected_by_the_consumer(client, world, system):
    response = _post(client, system, _body(world))
    public, algorithm = _provider_key(world)
    answer = json.loads(response.content)
    answer["payload"]["records"][0]["address"] = "别处"
    with pytest.raises(signing.BadSignature):
        signing.verify_response(json.dumps(answer).encode(), public, algorithm=algorithm)
    answer = json.loads(response.content)
    answer["signature"]["value"] = seals.b64url(b"\0" * 64)
    with pytest.raises(signing.BadSignature):
        signing.verify_response(json.dumps(answer).encode(), public, algorithm=algorithm)
    other = seals.public_key_bytes(seals.active_key(world.market))
    with pytest.raises(signing.BadSignature):
        signing.verify_response(response.content, other, algorithm=algorithm)


def test_exchange_is_in_the_audit_chain_which_verifies(client, world, system, capsys):
    body = _body(world)
    response = _post(client, system, body)
    entry = AuditEntry.objects.filter(action="sharing.exchange").get()
    summary = entry.summary
    assert summary["consumer"] == "rs-system" and summary["provider"] == world.police.name
    assert summary["fields"] == ["name", "address"] and summary["purpose"] == "社会保险登记核验"
    assert summary["request_sha256"] == signing.sha256(body)
    assert summary["response_sha256"] == signing.sha256(response.content)
    assert summary["subject_sha256"] == signing.sha256(world.person.id_number.encode())
    assert world.person.id_number not in json.dumps(summary)
    call_command("audit", "verify")
    assert "哈希链完整" in capsys.readouterr().out


def test_a_changed_body_is_rejected(client, world, system):
    signed = _body(world)
    response = _post(client, system, _body(world, fields=["name", "id_number"]), signed_body=signed)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert not DataAccessLog.objects.exists()


def test_wrong_key_unknown_or_disabled_system_is_rejected(client, world, system):
    other, _public = signing.new_client_key()
    assert _post(client, system, _body(world), key=other).status_code == 401
    system.is_active = False
    system.save()
    assert _post(client, system, _body(world)).status_code == 401
    assert client.post(URL, _body(world), content_type="application/json").status_code == 401
    assert not DataAccessLog.objects.exists()


def test_expired_assertion_and_replay_are_rejected(client, world, system):
    assert _post(client, system, _body(world), now=time.time() - 600).status_code == 401
    body = _body(world)
    token = signing.make_assertion(system.client_id, system.key, body)
    assert _post(client, system, body, token=token).status_code == 200
    again = _post(client, system, body, token=token)
    assert again.status_code == 401 and again.json()["code"] == "replayed"
    assert DataAccessLog.objects.count() == 1


def test_exchange_without_purpose_is_refused(client, world, system):
    response = _post(client, system, _body(world, purpose=""))
    assert response.status_code == 400 and response.json()["code"] == "purpose_required"
    assert not DataAccessLog.objects.exists()
    assert not AuditEntry.objects.filter(action="sharing.exchange").exists()


def test_exchange_outside_the_grant_is_refused(client, world, system):
    response = _post(client, system, _body(world, fields=["name", "birth_date"]))
    assert response.status_code == 403 and response.json()["code"] == "no_grant"
    assert not DataAccessLog.objects.exists()


def test_catalogue_api(client, world):
    listed = client.get("/api/v1/sharing/resources").json()
    population = next(r for r in listed if r["name"] == "人口基础信息")
    assert population["sharing_class"] == "conditional" and population["decision_days"] == 5
    assert {"name", "id_number", "address"} <= {i["name"] for i in population["items"]}
    one = client.get(f"/api/v1/sharing/resources/{population['code']}")
    assert one.status_code == 200 and one.json()["provider"] == world.police.name
    assert client.get("/api/v1/sharing/resources/NOPE").status_code == 404
