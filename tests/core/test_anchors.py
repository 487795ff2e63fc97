"""Audit anchors (留痕): the head signed with the platform's key, published, and the anchored
verification that catches what the plain one cannot — a chain edited and rehashed by someone who
can write to the database."""

import base64
import datetime as dt
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

from tongban.core import anchors, audit, periodic
from tongban.core.errors import InvalidInput
from tongban.core.models import AuditAnchor, AuditEntry, AuditHead, entry_hash

pytestmark = pytest.mark.django_db


def _chain(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.append("test.step", summary={"n": i}, object_type="test.thing", object_id=str(i))


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def _database_writer():
    """Someone with write access: the append-only triggers are lifted for the edit and put back,
    so that the plain verification finds nothing amiss afterwards."""
    if connection.vendor == "postgresql":
        _sql("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
        yield
        _sql("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='core_auditentry'"
            )
            triggers = cursor.fetchall()
        for name, _sql_text in triggers:
            _sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql_text in triggers:
            _sql(sql_text)
    assert audit.guard_installed()


def _rechain(from_seq: int) -> None:
    """Recompute every hash from ``from_seq`` on, as a careful forger would, and move the head."""
    prev = AuditEntry.objects.get(seq=from_seq - 1).hash if from_seq > 1 else "0" * 64
    last = None
    for entry in AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq"):
        fields = {f: getattr(entry, f) for f in ("at", "actor_id", "actor_label", "on_behalf_of", "action")}
        new_hash = entry_hash(
            seq=entry.seq,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            prev_hash=prev,
            **fields,
        )
        _sql(
            "UPDATE core_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, new_hash, entry.seq]
        )
        prev, last = new_hash, entry.seq
    _sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [last, prev])


def _published(tmp_path, client) -> str:
    """The published anchors file, as a member of the public saved it."""
    response = client.get("/opendata/audit-anchors/anchors.json")
    assert response.status_code == 200
    path = tmp_path / "anchors.json"
    path.write_bytes(response.content)
    return str(path)


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _forged_token(payload: dict, key: jwk.JWK | None = None, kid: str | None = None) -> str:
    key = key or jwk.JWK.generate(kty="RSA", size=2048)
    token = jws.JWS(json.dumps(payload).encode())
    header = {"alg": "RS256", "kid": kid or key.thumbprint(), "typ": anchors.JOSE_TYPE}
    token.add_signature(key, alg="RS256", protected=json_encode(header))
    return token.serialize(compact=True)


# ------------------------------------------------------------------ making and publishing


def test_anchor_signs_the_head_with_the_platforms_published_key():
    _chain(4)
    anchor = anchors.anchor_now()
    head = AuditHead.objects.get(pk=1)
    assert (anchor.seq, anchor.hash) == (head.seq, head.hash) == (4, AuditEntry.objects.get(seq=4).hash)
    keys = anchors.published_keys()["keys"]
    assert anchor.kid in {k["kid"] for k in keys}
    payload = anchors.signed_payload({"jws": anchor.jws}, keys)
    assert (payload["seq"], payload["hash"], payload["type"]) == (4, anchor.hash, "tongban-audit-anchor")
    assert anchors.anchor_now() == anchor  # the same head is not signed twice
    assert AuditAnchor.objects.count() == 1


def test_empty_chain_has_nothing_to_anchor():
    assert anchors.anchor_now() is None
    assert not AuditAnchor.objects.exists()


def test_daily_duty_anchors_once_a_day_and_is_run_by_tick():
    assert periodic._DUTIES["audit.anchor_daily"] is anchors.anchor_daily
    _chain(2)
    assert anchors.anchor_daily() == 1
    _chain(2, start=2)
    assert anchors.anchor_daily() == 0  # already anchored today
    AuditAnchor.objects.update(anchored_at=timezone.now() - dt.timedelta(days=1))
    assert anchors.anchor_daily() == 1
    assert list(AuditAnchor.objects.values_list("seq", flat=True)) == [4, 2]


def test_no_new_anchor_over_a_chain_changed_since_the_last_one():
    """Signing a rewritten head would make the rewrite look genuine: refused."""
    _chain(3)
    anchors.anchor_now()
    _chain(2, start=3)
    with _database_writer():
        _sql("UPDATE core_auditentry SET action = 'test.forged' WHERE seq = 2")
        _rechain(2)
    with pytest.raises(InvalidInput, match="第 3 条审计记录与上一个锚点不符"):
        anchors.anchor_now()
    with pytest.raises(CommandError, match="拒绝签署"):
        _run("anchor")
    assert AuditAnchor.objects.count() == 1


def test_anchor_command_signs_now():
    _chain(3)
    out, _ = _run("anchor")
    assert "锚点：第 3 条" in out
    assert AuditAnchor.objects.get().seq == 3


def test_public_page_json_and_api_show_anchors_and_keys(client):
    _chain(3)
    anchor = anchors.anchor_now()
    page = client.get("/opendata/audit-anchors/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "审计锚点" in html and anchor.hash in html and anchor.kid in html
    assert "tongban audit verify --anchors" in html
    document = client.get("/opendata/audit-anchors/anchors.json").json()
    assert document["anchors"][0]["jws"] == anchor.jws
    assert document["keys"]["keys"][0]["kid"] == anchor.kid
    assert "d" not in document["keys"]["keys"][0]  # the public half only
    assert client.get("/opendata/audit-anchors/keys.json").json() == document["keys"]
    api = client.get("/api/v1/audit-anchors?page_size=5").json()
    assert api["total"] == 1 and api["items"][0]["seq"] == 3 and api["items"][0]["jws"] == anchor.jws


# ------------------------------------------------------------------ anchored verification


def test_anchored_verification_passes_on_an_untouched_chain(tmp_path, client):
    _chain(3)
    anchors.anchor_now()
    _chain(2, start=3)
    out, _ = _run("verify", "--anchors", _published(tmp_path, client))
    assert "哈希链完整" in out and "1 个锚点签名有效且与本库一致：第 3 条及之前的记录未被改动" in out


def test_edited_and_rehashed_chain_passes_plain_verification_but_not_the_anchored_one(tmp_path, client):
    _chain(5)
    anchors.anchor_now()
    published = _published(tmp_path, client)
    _chain(2, start=5)
    with _database_writer():
        _sql("UPDATE core_auditentry SET actor_label = '另一个人' WHERE seq = 2")
        _rechain(2)
    assert audit.verify_chain().ok  # the plain verification accepts the rewritten chain
    out, _ = _run("verify")
    assert "哈希链完整" in out
    with pytest.raises(CommandError, match="1 个锚点未通过核验"):
        _run("verify", "--anchors", published)
    checks = anchors.verify_anchors(anchors.load(published))
    assert not checks[0].ok and checks[0].seq == 5
    assert "第 5 条审计记录的哈希与" in checks[0].problem and "改动、删除或重新链接" in checks[0].problem


def test_removed_and_renumbered_entry_is_caught_by_the_anchor(tmp_path, client):
    _chain(5)
    anchors.anchor_now()
    published = _published(tmp_path, client)
    _chain(1, start=5)
    with _database_writer():
        _sql("DELETE FROM core_auditentry WHERE seq = 3")
        for seq in (4, 5, 6):
            _sql("UPDATE core_auditentry SET seq = %s WHERE seq = %s", [seq - 1, seq])
        _rechain(3)
    assert audit.verify_chain().ok
    checks = anchors.verify_anchors(anchors.load(published))
    assert not checks[0].ok and "第 5 条审计记录的哈希与" in checks[0].problem


def test_removed_tail_is_reported_as_an_anchor_beyond_the_chain(tmp_path, client):
    _chain(5)
    anchors.anchor_now()
    published = _published(tmp_path, client)
    with _database_writer():
        _sql("DELETE FROM core_auditentry WHERE seq >= 4")
        _sql(
            "UPDATE core_audithead SET seq = 3, hash = %s WHERE id = 1", [AuditEntry.objects.get(seq=3).hash]
        )
    assert audit.verify_chain().ok
    with pytest.raises(CommandError, match="未通过核验"):
        _run("verify", "--anchors", published)
    problem = anchors.verify_anchors(anchors.load(published))[0].problem
    assert "锚点指向第 5 条审计记录，本库只有 3 条" in problem and "第 4 条起的记录已被删除" in problem


def test_forged_anchor_is_refused(tmp_path, client):
    _chain(3)
    anchor = anchors.anchor_now()
    keys = anchors.published_keys()["keys"]
    header, payload, signature = anchor.jws.split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed["hash"] = "f" * 64
    forged_payload = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{forged_payload}.{signature}"
    # A key of one's own under the platform's kid: the signature does not verify either.
    impostor = _forged_token({**changed, "hash": anchor.hash}, kid=anchor.kid)
    # A key the platform never published.
    stranger = _forged_token({**changed, "hash": anchor.hash})
    checks = anchors.verify_anchors([{"jws": tampered}, impostor, stranger, {"seq": 3}], keys)
    assert [c.ok for c in checks] == [False, False, False, False]
    assert "签名无效" in checks[0].problem and "签名无效" in checks[1].problem
    assert "不是平台公布的密钥" in checks[2].problem
    assert "缺少 JWS" in checks[3].problem
    path = tmp_path / "forged.json"
    path.write_text(json.dumps({"anchors": [{"jws": tampered}]}))
    with pytest.raises(CommandError, match="1 个锚点未通过核验"):
        _run("verify", "--anchors", str(path))


def test_anchor_from_the_future_or_for_unknown_entries_is_reported_clearly():
    _chain(3)
    now = timezone.now()
    base = {"type": anchors.PAYLOAD_TYPE, "v": 1, "issuer": "x", "entry_at": now.isoformat()}
    ahead = {**base, "seq": 9, "hash": "a" * 64, "anchored_at": now.isoformat()}
    later = {**base, "seq": 2, "hash": AuditEntry.objects.get(seq=2).hash}
    later["anchored_at"] = (now + dt.timedelta(days=30)).isoformat()
    tokens = [anchors._sign(ahead)[0], anchors._sign(later)[0]]
    checks = anchors.verify_anchors(tokens)
    assert "锚点指向第 9 条审计记录，本库只有 3 条" in checks[0].problem
    assert "另一套部署" in checks[0].problem
    assert "来自未来" in checks[1].problem
    assert not any(c.ok for c in checks)


def test_keys_pinned_from_a_file_replace_the_platforms(tmp_path):
    _chain(2)
    anchor = anchors.anchor_now()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other_key = jwk.JWK.from_pem(pem)
    pinned = tmp_path / "jwks.json"
    pinned.write_text(json.dumps({"keys": [{**json.loads(other_key.export_public()), "kid": anchor.kid}]}))
    source = tmp_path / "anchors.json"
    source.write_text(json.dumps([{"jws": anchor.jws}]))
    with pytest.raises(CommandError, match="未通过核验"):
        _run("verify", "--anchors", str(source), "--key", str(pinned))
    platform = tmp_path / "platform.json"
    platform.write_text(json.dumps(anchors.published_keys()))
    out, _ = _run("verify", "--anchors", str(source), "--key", str(platform))
    assert "1 个锚点签名有效" in out


def test_anchors_are_fetched_from_an_address(client):
    _chain(3)
    anchors.anchor_now()
    body = client.get("/opendata/audit-anchors/anchors.json").content

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200 if self.path == "/anchors.json" else 404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if status == 200 else b"{}")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        out, _ = _run("verify", "--anchors", f"{url}/anchors.json")
        assert "1 个锚点签名有效" in out
        with pytest.raises(CommandError, match="无法读取锚点地址"):
            _run("verify", "--anchors", f"{url}/missing.json")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "不是有效的 JSON"), ("[]", "没有锚点")],
)
def test_unreadable_anchor_files_get_a_chinese_error(tmp_path, content, message):
    _chain(1)
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        _run("verify", "--anchors", str(path))
    with pytest.raises(CommandError, match="不存在"):
        _run("verify", "--anchors", str(tmp_path / "nowhere.json"))
