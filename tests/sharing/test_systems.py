"""Department systems are OIDC clients of the platform (issue 14, Build 2 and 3): a system is let
into the exchange as the client it is registered as, files 共享申请 for its own department through
the API under the staff rules, and is shut out when its client is switched off."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.models import AuditEntry
from tongban.sharing import services, signing
from tongban.sharing.models import ConsumerSystem, Grant, SharingRequest

EXCHANGE = "/api/v1/sharing/exchange"
REQUESTS = "/api/v1/sharing/requests"


def _client(world, department=None, name="人社业务系统"):
    from tongban.identity.oidc.services import create_client

    department = department or world.consumer
    return create_client(
        name=name, redirect_uris=["https://rs.example.cn/cb"], department_id=department.pk
    ).client


@pytest.fixture
def registered(world):
    key, public = signing.new_client_key()
    system = services.register_system(actor=None, client=_client(world), public_key=public)
    system.key = key
    return system


def _signed(client, system, url, body: bytes, method="post"):
    token = signing.make_assertion(system.client_id, system.key, body)
    if method == "get":
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _request_body(world, of, **kw):
    data = {
        "resource": of.code,
        "fields": ["name", "address"],
        "purpose": "失业保险待遇资格复核",
        "legal_basis": "《失业保险条例》第十六条",
        "valid_until": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
        **kw,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def test_registration_takes_the_clients_id_and_department(world, registered):
    assert registered.oidc_client.client_id == registered.client_id
    assert registered.department == world.consumer
    assert AuditEntry.objects.filter(action="sharing.system").count() == 1


def test_registration_refusals_change_nothing(world):
    from tongban.identity.oidc.services import create_client

    _key, public = signing.new_client_key()
    loose = create_client(name="无部门系统", redirect_uris=["https://x.example.cn/cb"]).client
    with pytest.raises(InvalidInput):
        services.register_system(actor=None, client=loose, public_key=public)
    with pytest.raises(InvalidInput):
        services.register_system(actor=None, client=_client(world), public_key="00ff")
    # Another department's sharing manager may not register 人社's system; 人社's may.
    with pytest.raises(PermissionDenied):
        services.register_system(
            actor=world.provider_admin, client=_client(world, name="甲"), public_key=public
        )
    assert not ConsumerSystem.objects.exists()
    assert services.register_system(actor=world.admin, client=_client(world, name="乙"), public_key=public)


def test_a_system_files_a_request_for_its_own_department(client, world, registered):
    # 法人基础信息 is 无条件: granted at once, to the system's department.
    response = _signed(client, registered, REQUESTS, _request_body(world, world.enterprise, fields=["name"]))
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["status"] == "granted" and answer["grant"]
    assert answer["consumer"] == world.consumer.name
    made = SharingRequest.objects.get(pk=answer["id"])
    assert made.requested_by is None and made.requested_by_system == registered
    assert Grant.objects.get(request=made).consumer == world.consumer
    # 人口基础信息 is 有条件: it waits for 公安 on the working-day clock.
    pending = _signed(client, registered, REQUESTS, _request_body(world, world.population)).json()
    assert pending["status"] == "pending" and pending["grant"] == "" and pending["due_on"]
    seen = _signed(client, registered, f"{REQUESTS}/{pending['id']}", b"", method="get")
    assert seen.status_code == 200 and seen.json()["status"] == "pending"


def test_a_system_sees_only_its_departments_requests(client, world, registered):
    other = SharingRequest.objects.create(
        resource=world.enterprise,
        consumer=world.police,
        fields=["name"],
        purpose="别的部门的申请",
        legal_basis="依据",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        requested_by=world.provider_admin,
        due_on=timezone.localdate(),
    )
    assert _signed(client, registered, f"{REQUESTS}/{other.pk}", b"", method="get").status_code == 404
    # A signed-in person (even the department's own sharing manager) is not a system.
    client.force_login(world.admin)
    mine = _signed(
        client, registered, REQUESTS, _request_body(world, world.enterprise, fields=["name"])
    ).json()
    assert client.get(f"{REQUESTS}/{mine['id']}").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"fields": ["photo"]}, "fields"),
        ({"valid_until": "明年"}, "valid_until"),
    ],
)
def test_bad_requests_get_a_chinese_error_and_change_nothing(client, world, registered, change, field):
    response = _signed(client, registered, REQUESTS, _request_body(world, world.population, **change))
    assert response.status_code in (400, 422)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(response.json(), ensure_ascii=False))
    assert not SharingRequest.objects.exists()


def test_unsigned_or_unknown_resource_requests_are_refused(client, world, registered):
    body = _request_body(world, world.population)
    assert client.post(REQUESTS, body, content_type="application/json").status_code == 401
    missing = _request_body(world, world.population, resource="NO-SUCH")
    assert _signed(client, registered, REQUESTS, missing).status_code == 404
    assert not SharingRequest.objects.exists()


def test_switching_the_oidc_client_off_shuts_the_system_out(client, world, registered, granted):
    from tongban.identity.oidc.services import deactivate_client

    exchange = json.dumps(
        {
            "resource": world.population.code,
            "subject": world.person.id_number,
            "fields": ["name", "address"],
            "purpose": "社会保险登记核验",
        },
        ensure_ascii=False,
    ).encode()
    assert _signed(client, registered, EXCHANGE, exchange).status_code == 200
    deactivate_client(client=registered.oidc_client)
    assert _signed(client, registered, EXCHANGE, exchange).status_code == 401
    assert _signed(client, registered, REQUESTS, _request_body(world, world.enterprise)).status_code == 401


def test_a_system_without_an_oidc_client_or_moved_department_is_refused(client, world, registered, granted):
    exchange = json.dumps(
        {
            "resource": world.population.code,
            "subject": world.person.id_number,
            "fields": ["name"],
            "purpose": "社会保险登记核验",
        },
        ensure_ascii=False,
    ).encode()
    oidc = registered.oidc_client
    oidc.department = world.market
    oidc.save(update_fields=["department"])
    assert _signed(client, registered, EXCHANGE, exchange).status_code == 401
    legacy_key, legacy_public = signing.new_client_key()
    legacy = ConsumerSystem.objects.create(
        client_id="legacy-system", name="旧系统", department=world.consumer, public_key=legacy_public
    )
    legacy.key = legacy_key
    assert _signed(client, legacy, EXCHANGE, exchange).status_code == 401


def test_the_command_registers_a_client_and_refuses_an_unknown_one(world):
    from django.core.management import CommandError, call_command

    client = _client(world)
    _key, public = signing.new_client_key()
    call_command("sharing-system", client.client_id, public)
    assert ConsumerSystem.objects.get(oidc_client=client).public_key == public
    with pytest.raises(CommandError, match="找不到"):
        call_command("sharing-system", "no-such-client", public)
    with pytest.raises(CommandError, match="公钥"):
        call_command("sharing-system", client.client_id, "xyz")
