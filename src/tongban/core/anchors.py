"""Audit anchors (留痕): the chain's head, signed every day with the platform's key and published.

The plain ``audit verify`` recomputes the chain from the database alone, so someone who can write
to the database and recomputes every hash after an edit passes it. An anchor pins, under a
signature the database does not hold the key for, the sequence number and hash of the head at
one moment. Once it has been published (and copied by anyone), the entries up to that sequence
number cannot change, vanish or be renumbered without the stored hash at that number differing
from the signed one (the chain makes every hash depend on all entries before it).

The signature is a compact JWS (RFC 7515). The key is the platform's own signing key, the one the
single sign-on issuer signs ID tokens with and publishes in its JWKS; ``core`` comes first in the
layering, so the app that owns the key registers it here (``register_key_provider``).
"""

import base64
import binascii
import datetime as dt
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk, jws
from jwcrypto.common import JWException, json_encode

from . import audit
from .errors import InvalidInput
from .models import AuditAnchor, AuditEntry, AuditHead, canonical_time

logger = logging.getLogger(__name__)

PAYLOAD_TYPE = "tongban-audit-anchor"
JOSE_TYPE = "tongban-audit-anchor+jws"
VERSION = 1
ACCEPTED_ALGS = ("RS256",)
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
CLOCK_SKEW = dt.timedelta(minutes=10)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KeyProvider:
    """Where the platform's key lives: the private key that signs now, and the public keys
    whose signatures are accepted (JWKS entries with ``kid``)."""

    signing_key: Callable[[], jwk.JWK]
    public_keys: Callable[[], list[dict]]


_provider: KeyProvider | None = None


def register_key_provider(provider: KeyProvider) -> None:
    global _provider
    _provider = provider


def _keys() -> KeyProvider:
    if _provider is None:
        raise ImproperlyConfigured("没有登记平台签名密钥（tongban.core.anchors.register_key_provider）。")
    return _provider


def published_keys() -> dict:
    """The public keys anchors are verified with, as a JWKS document."""
    return {"keys": _keys().public_keys()}


# ---------------------------------------------------------------- making anchors


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _sign(payload: dict) -> tuple[str, str, str]:
    """``(compact JWS, kid, alg)`` of ``payload`` under the platform's current key."""
    key = _keys().signing_key()
    kid = key.thumbprint()  # as the platform's JWKS names it
    alg = ACCEPTED_ALGS[0]
    token = jws.JWS(json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    token.add_signature(key, alg=alg, protected=json_encode({"alg": alg, "kid": kid, "typ": JOSE_TYPE}))
    return token.serialize(compact=True), kid, alg


def _check_since(last: AuditAnchor | None, head_seq: int) -> None:
    """Refuse to sign a head whose chain does not extend the last anchor intact: an anchor
    must never make an edit made since the last one look genuine."""
    if last is None:
        report = audit.verify_chain()
        if not report.ok:
            raise InvalidInput(_("审计哈希链不完整，拒绝签署锚点：%(problem)s") % {"problem": report.problem})
        return
    prev, expected = last.hash, last.seq
    anchored = AuditEntry.objects.filter(seq=last.seq).values_list("hash", flat=True).first()
    if anchored != last.hash:
        raise InvalidInput(_("第 %(seq)s 条审计记录与上一个锚点不符，拒绝签署新锚点。") % {"seq": last.seq})
    for entry in (
        AuditEntry.objects.filter(seq__gt=last.seq, seq__lte=head_seq).order_by("seq").iterator(2000)
    ):
        expected += 1
        if entry.seq != expected or entry.prev_hash != prev or entry.compute_hash() != entry.hash:
            raise InvalidInput(
                _("自上一个锚点以来，第 %(seq)s 条审计记录不完整，拒绝签署新锚点。") % {"seq": expected}
            )
        prev = entry.hash
    if expected != head_seq:
        raise InvalidInput(_("审计记录第 %(seq)s 条起缺失，拒绝签署新锚点。") % {"seq": expected + 1})


def anchor_now() -> AuditAnchor | None:
    """Sign the current head (after checking the chain since the last anchor) and keep it.

    Nothing to sign for an empty chain (None); a head already anchored gives that anchor back.
    """
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head is None or head[0] == 0:
        return None
    seq, head_hash = head
    existing = AuditAnchor.objects.filter(seq=seq).first()
    if existing is not None:
        return existing
    entry = AuditEntry.objects.filter(seq=seq).first()
    if entry is None or entry.hash != head_hash:
        raise InvalidInput(_("审计链头与第 %(seq)s 条记录不符，拒绝签署锚点。") % {"seq": seq})
    _check_since(AuditAnchor.objects.filter(seq__lt=seq).order_by("-seq").first(), seq)
    now = timezone.now()
    payload = {
        "type": PAYLOAD_TYPE,
        "v": VERSION,
        "issuer": settings.TONGBAN_PUBLIC_URL.rstrip("/"),
        "seq": seq,
        "hash": entry.hash,
        "entry_at": canonical_time(entry.at),
        "anchored_at": canonical_time(now),
    }
    token, kid, alg = _sign(payload)
    try:
        with transaction.atomic():
            return AuditAnchor.objects.create(
                seq=seq, hash=entry.hash, entry_at=entry.at, anchored_at=now, kid=kid, alg=alg, jws=token
            )
    except IntegrityError:  # another process anchored the same head meanwhile
        return AuditAnchor.objects.get(seq=seq)


def anchor_daily() -> int:
    """``tongban tick`` duty: one anchor per (local) day, if the chain grew since the last one."""
    today = timezone.localdate()
    last = AuditAnchor.objects.order_by("-anchored_at").values_list("anchored_at", flat=True).first()
    if last is not None and timezone.localdate(last) >= today:
        return 0
    before = AuditAnchor.objects.count()
    anchor_now()
    return AuditAnchor.objects.count() - before


# ---------------------------------------------------------------- publishing


def as_public(anchor: AuditAnchor) -> dict:
    return {
        "seq": anchor.seq,
        "hash": anchor.hash,
        "entry_at": canonical_time(anchor.entry_at),
        "anchored_at": canonical_time(anchor.anchored_at),
        "kid": anchor.kid,
        "alg": anchor.alg,
        "jws": anchor.jws,
    }


def document() -> dict:
    """The published file: every anchor (newest first) and the keys that verify them."""
    return {
        "type": "tongban-audit-anchors",
        "issuer": settings.TONGBAN_PUBLIC_URL.rstrip("/"),
        "verify": "tongban audit verify --anchors <本文件或其网址>",
        "keys": published_keys(),
        "anchors": [as_public(a) for a in AuditAnchor.objects.order_by("-seq")],
    }


# ---------------------------------------------------------------- verifying


def load(source: str) -> list[Any]:
    """The anchors in a published file or at its address (http/https, standard library only).

    Accepts the published document, a list of anchors, one anchor, or bare compact JWS strings.
    """
    if re.match(r"^https?://", source, re.IGNORECASE):
        try:
            with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (scheme checked)
                raw = response.read(MAX_DOCUMENT_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise InvalidInput(_("无法读取锚点地址 %(src)s：%(why)s") % {"src": source, "why": exc}) from exc
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(_("锚点文件 %(src)s 不存在。") % {"src": source})
        raw = path.read_bytes()[: MAX_DOCUMENT_BYTES + 1]
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(_("锚点文件过大。"))
    text = raw.decode("utf-8", errors="replace").strip()
    if text and not text.startswith(("{", "[", '"')):
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(_("锚点文件不是有效的 JSON：%(why)s") % {"why": exc}) from exc
    if isinstance(data, dict) and "anchors" in data:
        data = data["anchors"]
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidInput(_("锚点文件中没有锚点。"))
    return items


def keys_from_file(source: str) -> list[dict]:
    """Public keys pinned by the verifier (a JWKS file, or the published anchors document)."""
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(_("无法读取公钥文件 %(src)s：%(why)s") % {"src": source, "why": exc}) from exc
    if isinstance(data, dict) and isinstance(data.get("keys"), dict):
        data = data["keys"]
    keys = data.get("keys") if isinstance(data, dict) else data
    if not isinstance(keys, list) or not keys:
        raise InvalidInput(_('公钥文件中没有公钥（应为 JWKS：{"keys": [...]}）。'))
    return keys


@dataclass(frozen=True)
class AnchorCheck:
    """One anchor's verdict. ``seq`` is the signed sequence number (None if nothing could be read)."""

    index: int
    ok: bool
    seq: int | None = None
    anchored_at: str = ""
    problem: str = ""


def _public_key(keys: list[dict], kid: str) -> jwk.JWK | None:
    for entry in keys:
        if entry.get("kid") == kid:
            public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
            try:
                return jwk.JWK(**public)
            except (JWException, ValueError, TypeError):
                return None
    return None


def signed_payload(item: Any, keys: list[dict]) -> dict:
    """The payload of one anchor after its signature checked out; InvalidInput says why not."""
    token_text = item.get("jws") if isinstance(item, dict) else item
    if not isinstance(token_text, str) or token_text.count(".") != 2:
        raise InvalidInput(_("不是签名锚点（缺少 JWS）。"))
    try:
        header = _b64url_json(token_text.split(".", 1)[0])
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput(_("锚点的签名头无法解析。")) from exc
    if not isinstance(header, dict) or header.get("typ") != JOSE_TYPE:
        raise InvalidInput(_("不是通办审计锚点的签名（typ 不符）。"))
    if header.get("alg") not in ACCEPTED_ALGS:
        raise InvalidInput(_("锚点的签名算法 %(alg)s 不被接受。") % {"alg": header.get("alg")})
    key = _public_key(keys, str(header.get("kid", "")))
    if key is None:
        raise InvalidInput(
            _("签名密钥 %(kid)s 不是平台公布的密钥，无法采信（可用 --key 指定存档的公钥）。")
            % {"kid": header.get("kid")}
        )
    token = jws.JWS()
    try:
        token.deserialize(token_text)
        token.verify(key, alg=header["alg"])
        payload = json.loads(token.payload)
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidInput(_("签名无效：锚点是伪造的或被改动过，不予采信。")) from exc
    if (
        not isinstance(payload, dict)
        or payload.get("type") != PAYLOAD_TYPE
        or not isinstance(payload.get("seq"), int)
        or payload["seq"] < 1
        or not _HEX64.match(str(payload.get("hash", "")))
    ):
        raise InvalidInput(_("签名有效，但内容不是审计锚点。"))
    return payload


def _check_against_chain(payload: dict, last_seq: int, now: dt.datetime) -> str:
    seq, anchored_at = payload["seq"], str(payload.get("anchored_at", ""))
    try:
        signed_at = dt.datetime.fromisoformat(anchored_at)
    except ValueError:
        return _("锚点的签署时间无法解析。")
    if signed_at.tzinfo is None or signed_at > now + CLOCK_SKEW:
        return _("锚点的签署时间 %(at)s 晚于现在：锚点来自未来，不予采信。") % {"at": anchored_at}
    if seq > last_seq:
        return _(
            "锚点指向第 %(seq)s 条审计记录，本库只有 %(last)s 条：要么锚点来自另一套部署或更新的"
            "数据库副本，要么第 %(next)s 条起的记录已被删除。"
        ) % {"seq": seq, "last": last_seq, "next": last_seq + 1}
    stored = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if stored is None:
        return _("锚点指向的第 %(seq)s 条审计记录已不存在（被删除）。") % {"seq": seq}
    if stored != payload["hash"]:
        return _(
            "第 %(seq)s 条审计记录的哈希与 %(at)s 签署的锚点不符：此条及之前的记录被改动、删除或重新链接过。"
        ) % {"seq": seq, "at": anchored_at}
    return ""


def verify_anchors(items: list[Any], keys: list[dict] | None = None) -> list[AnchorCheck]:
    """Each anchor's signature (against ``keys``, default the platform's published keys) and
    whether the stored chain still has the signed hash at the signed sequence number.

    Use together with ``audit.verify_chain``: the chain proves each entry follows from the one
    before; a matching anchor proves the entries up to it are the ones that were signed.
    """
    keys = keys if keys is not None else published_keys()["keys"]
    last_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    now = timezone.now()
    checks = []
    for index, item in enumerate(items, start=1):
        try:
            payload = signed_payload(item, keys)
        except InvalidInput as exc:
            checks.append(AnchorCheck(index, False, problem=exc.message))
            continue
        problem = _check_against_chain(payload, last_seq, now)
        checks.append(
            AnchorCheck(index, not problem, payload["seq"], str(payload.get("anchored_at", "")), problem)
        )
    return checks
