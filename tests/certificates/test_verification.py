import json
import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone

from tongban.certificates import seals, services
from tongban.certificates.documents import document_bytes
from tongban.certificates.models import Certificate, CertificateEvent

VERIFY = "/api/v1/certificates/{}/verify"


def test_verification_by_identifier_reports_valid_with_masked_holder(client, issued, world):
    answer = client.get(VERIFY.format(issued.identifier)).json()
    assert answer["status"] == "valid"
    assert answer["issuer"] == {"name": world["department"].name, "uscc": world["department"].uscc}
    assert answer["type"] == {"code": "11100000000000001", "name": "食品经营许可证"}
    assert answer["valid_from"] == issued.valid_from.isoformat()
    assert answer["valid_until"] == issued.valid_until.isoformat()
    number = world["applicant"].id_number
    assert answer["holder"] == {
        "kind": "person",
        "name": "*三",
        "number": number[:4] + "*" * 10 + number[-4:],
    }
    assert number not in json.dumps(answer, ensure_ascii=False)


def test_unknown_and_mistyped_identifiers(client, issued):
    body, check = issued.identifier.rsplit(".", 1)
    wrong_check = next(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != check)
    answer = client.get(VERIFY.format(f"{body}.{wrong_check}")).json()
    assert answer["status"] == "unknown" and "校验位" in answer["message"]
    from tongban.certificates import identifiers

    other = identifiers.build("11100000000000001", issued.department.uscc, 999, 1)
    assert client.get(VERIFY.format(other)).json()["status"] == "unknown"
    assert client.get(VERIFY.format("not-an-identifier")).json()["status"] == "unknown"


def test_revocation_shows_in_the_next_verification(client, issued, world):
    assert client.get(VERIFY.format(issued.identifier)).json()["status"] == "valid"
    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="以欺骗手段取得许可")
    answer = client.get(VERIFY.format(issued.identifier)).json()
    assert answer["status"] == "revoked" and "以欺骗手段取得许可" in answer["reason"]
    document = document_bytes(Certificate.objects.get(pk=issued.pk))
    assert (
        client.post("/api/v1/certificates/verify", document, content_type="application/json").json()["status"]
        == "revoked"
    )


def test_replacement_gives_a_new_version_and_the_old_one_reads_as_replaced(client, issued, world):
    new = services.replace_certificate(actor=world["issuer"], certificate=issued, reason="证照遗失补发")
    assert new.serial == issued.serial and new.version == 2
    assert new.identifier.split(".")[-2] == "002"
    old = client.get(VERIFY.format(issued.identifier)).json()
    assert old["status"] == "revoked" and old["replaced_by"] == new.identifier
    assert client.get(VERIFY.format(new.identifier)).json()["status"] == "valid"
    assert json.loads(new.payload)["replaces"] == issued.identifier
    assert new.fields == issued.fields and new.valid_until == issued.valid_until


def test_renewal_recomputes_validity_and_may_change_fields(issued, world):
    from tongban.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="补发只能"):
        services.replace_certificate(
            actor=world["issuer"], certificate=issued, reason="变更", fields={"scope": "热食类"}
        )
    Certificate.objects.filter(pk=issued.pk).update(valid_from="2020-01-01", valid_until="2024-12-31")
    issued.refresh_from_db()
    new = services.replace_certificate(
        actor=world["issuer"], certificate=issued, reason="到期换证", fields={"scope": "热食类"}, renew=True
    )
    assert new.fields["scope"] == "热食类" and new.valid_from == timezone.localdate()
    assert new.valid_until > timezone.localdate()


def test_a_changed_validity_column_reads_as_tampered(client, issued):
    Certificate.objects.filter(pk=issued.pk).update(
        valid_until=timezone.localdate() - timezone.timedelta(days=1)
    )
    # the signed content still says the original date: a changed column alone reads as tampered
    assert client.get(VERIFY.format(issued.identifier)).json()["status"] == "tampered"


def test_an_expired_certificate_reads_expired_and_the_sweep_marks_it(
    client, world, licence_type, django_capture_on_commit_callbacks
):
    from tests.certificates.conftest import conclude, submitted_case

    licence_type.validity, licence_type.validity_count = "days", 1
    licence_type.save()
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(case=case)
    assert certificate.valid_until == certificate.valid_from
    assert client.get(VERIFY.format(certificate.identifier)).json()["status"] == "valid"
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    assert certificate.state_on(tomorrow) == "expired"
    assert services.expire_due(today=tomorrow) == 1
    certificate.refresh_from_db()
    assert certificate.status == "expired"
    assert client.get(VERIFY.format(certificate.identifier)).json()["status"] == "expired"
    assert certificate.events.filter(action=CertificateEvent.Action.EXPIRED).count() == 1
    assert services.expire_due(today=tomorrow) == 0


def test_a_database_edit_of_the_signed_content_reads_as_tampered(client, issued):
    changed = issued.payload.replace("申请开办餐饮店", "申请开办网吧")
    Certificate.objects.filter(pk=issued.pk).update(payload=changed)
    assert client.get(VERIFY.format(issued.identifier)).json()["status"] == "tampered"


def test_a_downloaded_document_verifies_and_any_changed_byte_gives_tampered(client, issued):
    document = document_bytes(issued)
    assert (
        client.post("/api/v1/certificates/verify", document, content_type="application/json").json()["status"]
        == "valid"
    )
    from tongban.certificates.selectors import verify_document

    statuses = set()
    for i in range(len(document)):
        for delta in (1, 0x80):
            changed = document[:i] + bytes([document[i] ^ delta]) + document[i + 1 :]
            statuses.add(verify_document(changed)["status"])
    assert statuses == {"tampered"}
    # through the API as well, for a byte inside the holder's name and one in the signature
    for needle in ("张三".encode(), b'"value":"'):
        at = document.index(needle) + len(needle) - 1
        changed = document[:at] + bytes([document[at] ^ 1]) + document[at + 1 :]
        answer = client.post("/api/v1/certificates/verify", changed, content_type="application/json").json()
        assert answer["status"] == "tampered"
    # pretty-printed or re-encoded copies are not the sealed document either
    pretty = json.dumps(json.loads(document), ensure_ascii=False, indent=2).encode()
    assert verify_document(pretty)["status"] == "tampered"


def test_a_certificate_signed_before_a_key_rotation_still_verifies(
    client, issued, world, django_capture_on_commit_callbacks
):
    from tests.certificates.conftest import conclude, submitted_case

    before = issued.seal_key
    seals.rotate_key(world["department"])
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    after = Certificate.objects.get(case=case)
    assert after.seal_key.kid != before.kid
    for certificate in (issued, after):
        assert client.get(VERIFY.format(certificate.identifier)).json()["status"] == "valid"
        answer = client.post(
            "/api/v1/certificates/verify", document_bytes(certificate), content_type="application/json"
        ).json()
        assert answer["status"] == "valid"
    kids = {k["kid"]: k["tongban_status"] for k in client.get("/api/v1/certificates/keys").json()["keys"]}
    assert kids[before.kid] == "retired" and kids[after.seal_key.kid] == "active"


@pytest.mark.parametrize("algorithm", ["ed25519", "sm2"])
def test_issuing_and_verifying_under_each_algorithm(
    client, world, licence_type, settings, algorithm, django_capture_on_commit_callbacks
):
    from tests.certificates.conftest import conclude, submitted_case

    settings.TONGBAN_SEAL_ALGORITHM = algorithm
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(case=case)
    assert certificate.seal_key.algorithm == algorithm
    document = document_bytes(certificate)
    assert json.loads(document)["signature"]["alg"] == {"ed25519": "EdDSA", "sm2": "SM2-SM3"}[algorithm]
    assert (
        client.post("/api/v1/certificates/verify", document, content_type="application/json").json()["status"]
        == "valid"
    )
    at = document.index(b'"scope":"') + 10
    changed = document[:at] + bytes([document[at] ^ 1]) + document[at + 1 :]
    assert (
        client.post("/api/v1/certificates/verify", changed, content_type="application/json").json()["status"]
        == "tampered"
    )


def test_a_seal_of_another_department_does_not_pass_for_the_issuer(client, issued):
    """A document re-signed with a genuine key of a different department is refused."""
    from tests.factories import DepartmentFactory
    from tongban.certificates.documents import canonical

    intruder = seals.active_key(DepartmentFactory(name="别的局"))
    content = json.loads(issued.payload)
    forged = {
        "certificate": content,
        "signature": {
            "alg": "EdDSA",
            "kid": intruder.kid,
            "value": seals.b64url(seals.sign(intruder, canonical(content).encode())),
        },
    }
    answer = client.post(
        "/api/v1/certificates/verify", canonical(forged).encode(), content_type="application/json"
    ).json()
    assert answer["status"] == "tampered"


OFFLINE_VERIFIER = textwrap.dedent(
    """
    import base64, json, sys
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def b64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    document = json.load(open(sys.argv[1], encoding="utf-8"))
    keys = json.load(open(sys.argv[2], encoding="utf-8"))["keys"]
    key = next(k for k in keys if k["kid"] == document["signature"]["kid"])
    assert key["tongban_issuer_uscc"] == document["certificate"]["issuer"]["uscc"]
    signed = json.dumps(document["certificate"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        Ed25519PublicKey.from_public_bytes(b64(key["x"])).verify(b64(document["signature"]["value"]), signed.encode())
        print("valid")
    except InvalidSignature:
        print("tampered")
    assert not [m for m in sys.modules if m.split(".")[0] in ("tongban", "django", "tests")]
    """
)


def test_offline_verification_with_only_cryptography_and_the_published_keys(client, issued, world, tmp_path):
    """Download the certificate and the JWKS, then verify in a separate Python that imports no project code."""
    client.force_login(world["applicant"])
    downloaded = client.get(f"/api/v1/wallet/certificates/{issued.identifier}/document")
    assert downloaded.status_code == 200
    keys = client.get("/api/v1/certificates/keys")
    (tmp_path / "cert.json").write_bytes(downloaded.content)
    (tmp_path / "keys.json").write_bytes(keys.content)
    (tmp_path / "verify.py").write_text(OFFLINE_VERIFIER, encoding="utf-8")
    document = json.loads(downloaded.content)
    document["certificate"]["holder"]["name"] = "李四"
    (tmp_path / "forged.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    def run(name: str) -> str:
        # -I: isolated mode, no PYTHONPATH, no current directory on sys.path
        out = subprocess.run(
            [
                sys.executable,
                "-I",
                str(tmp_path / "verify.py"),
                str(tmp_path / name),
                str(tmp_path / "keys.json"),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        return out.stdout.strip()

    assert run("cert.json") == "valid"
    assert run("forged.json") == "tampered"


def test_jwks_lists_every_department_key(client, issued, settings):
    settings.TONGBAN_SEAL_ALGORITHM = "sm2"
    seals.active_key(issued.department)
    response = client.get("/api/v1/certificates/keys")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    kinds = {(k["kty"], k["crv"]) for k in response.json()["keys"]}
    assert kinds == {("OKP", "Ed25519"), ("EC", "SM2")}
    assert all("d" not in k for k in response.json()["keys"])


def test_the_public_verification_pages(client, issued):
    page = client.get(f"/certificates/verify/{issued.identifier}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "核验通过：证照有效" in text and "食品经营许可证" in text and "*三" in text
    redirect = client.get("/certificates/verify/", {"identifier": issued.identifier})
    assert redirect.status_code == 302 and redirect["Location"].endswith(f"/verify/{issued.identifier}/")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.json", document_bytes(issued), content_type="application/json")
    assert "核验通过" in client.post("/certificates/verify/", {"document": upload}).content.decode()
    bad = SimpleUploadedFile("c.json", document_bytes(issued).replace(b"\xe5\xbc\xa0", b"\xe6\x9d\x8e"))
    assert "内容已被改动" in client.post("/certificates/verify/", {"document": bad}).content.decode()
    assert "请选择" in client.post("/certificates/verify/", {}).content.decode()
    odd = client.get("/certificates/verify/", {"identifier": "1.2/../x"})
    assert odd.status_code == 200 and "证照标识格式不正确" in odd.content.decode()
    huge = client.post("/api/v1/certificates/verify", b" " * (300 * 1024), content_type="application/json")
    assert huge.json()["status"] == "tampered" and "文件过大" in huge.json()["message"]
