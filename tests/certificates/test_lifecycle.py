import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import login_verified
from tongban.certificates import services
from tongban.certificates.audit import verify_chains
from tongban.certificates.models import Certificate, CertificateEvent
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity.models import ActionRecord


def test_revocation_needs_the_issuing_departments_issue_or_decide_role_and_a_reason(issued, world):
    with pytest.raises(NotFound):
        services.revoke_certificate(actor=world["outsider"], certificate=issued, reason="x")
    with pytest.raises(PermissionDenied, match="制证"):
        services.revoke_certificate(actor=world["intake"], certificate=issued, reason="x")
    with pytest.raises(NotFound):
        services.revoke_certificate(actor=world["applicant"], certificate=issued, reason="x")
    with pytest.raises(InvalidInput, match="吊销原因"):
        services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="  ")
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.VALID
    done = services.revoke_certificate(actor=world["decider"], certificate=issued, reason="违法经营")
    assert done.status == Certificate.Status.REVOKED and done.status_reason == "违法经营"
    with pytest.raises(InvalidInput, match="已吊销"):
        services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="again")
    with pytest.raises(InvalidInput):
        services.replace_certificate(actor=world["issuer"], certificate=issued, reason="补发")
    assert ActionRecord.objects.filter(action="certificates.revoked", target_id=str(issued.pk)).exists()


def test_every_change_is_an_append_only_hash_chained_event(issued, world):
    new = services.replace_certificate(actor=world["issuer"], certificate=issued, reason="遗失补发")
    services.revoke_certificate(actor=world["issuer"], certificate=new, reason="注销登记", cancel=True)
    assert list(issued.events.values_list("action", flat=True)) == ["issued", "replaced"]
    assert list(new.events.values_list("action", flat=True)) == ["issued", "cancelled"]
    assert verify_chains() == []
    event = new.events.last()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    # an edit behind the application's back breaks the chain, and the command says so
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CertificateEvent._meta.db_table} SET detail = %s WHERE id = %s", ["无", event.pk]
        )
    assert len(verify_chains()) == 1
    with pytest.raises(Exception, match="哈希链"):
        call_command("certificates", "verify-audit")


def test_staff_page_revokes_and_replaces(client, issued, world):
    login_verified(client, world["issuer"])
    page = client.get(f"/staff/certificates/{issued.identifier}/")
    assert page.status_code == 200 and "变更证照" in page.content.decode()
    response = client.post(
        f"/staff/certificates/{issued.identifier}/", {"action": "reissue", "reason": "遗失补发"}
    )
    new = Certificate.objects.get(previous=issued)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/staff/certificates/{new.identifier}/"
    )
    client.post(f"/staff/certificates/{new.identifier}/", {"action": "revoke", "reason": "违法经营"})
    new.refresh_from_db()
    assert new.status == Certificate.Status.REVOKED
    login_verified(client, world["outsider"])
    assert client.get(f"/staff/certificates/{issued.identifier}/").status_code == 404
    login_verified(client, world["intake"])
    page = client.get(f"/staff/certificates/{new.identifier}/").content.decode()
    assert "变更证照" not in page


def test_lifecycle_api(client, issued, world):
    api = client
    login_verified(api, world["issuer"])  # staff sessions need their second factor
    url = f"/api/v1/certificates/{issued.identifier}"
    replaced = api.post(
        f"{url}/replace",
        {"reason": "换证", "renew": True, "fields": {"scope": "热食类"}},
        content_type="application/json",
    )
    assert replaced.status_code == 201 and replaced.json()["fields"]["scope"] == "热食类"
    new_id = replaced.json()["identifier"]
    revoked = api.post(
        f"/api/v1/certificates/{new_id}/revoke",
        {"reason": "注销", "kind": "cancel"},
        content_type="application/json",
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "cancelled"
    api.force_login(world["other"])
    assert (
        api.post(
            f"/api/v1/certificates/{new_id}/revoke", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_rotate_key_command(issued, world, capsys):
    call_command("certificates", "rotate-key", "--department", str(world["department"].pk))
    assert "新印章密钥" in capsys.readouterr().out
    assert world["department"].seal_keys.count() == 2
    with pytest.raises(Exception, match="没有 ID"):
        call_command("certificates", "rotate-key", "--department", "999999")


def test_sweep_command(issued, capsys):
    call_command("certificates", "sweep")
    assert "补出证照 0 张" in capsys.readouterr().out
