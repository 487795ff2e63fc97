"""The signed JSON form of a certificate, and checking one.

What is signed is the canonical JSON of the certificate content: keys sorted, UTF-8 (no ``\\u``
escapes), no spaces (``json.dumps(content, sort_keys=True, ensure_ascii=False,
separators=(",", ":"))``). No floats ever appear in it, so every implementation agrees on the bytes.

The downloadable document is itself canonical JSON::

    {"certificate": {...content...}, "signature": {"alg": "EdDSA", "kid": "...", "value": "<base64url>"}}

and checking a document insists on that exact form, so any changed byte — in the content, the
signature, the key id or the layout — makes the document ``tampered``.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from . import seals
from .models import Certificate, SealKey


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def signed_document(certificate: Certificate) -> dict:
    return {
        "certificate": json.loads(certificate.payload),
        "signature": {
            "alg": seals.JWS_ALG[certificate.seal_key.algorithm],
            "kid": certificate.seal_key.kid,
            "value": certificate.signature,
        },
    }


def document_bytes(certificate: Certificate) -> bytes:
    return canonical(signed_document(certificate)).encode("utf-8")


@dataclass
class DocumentCheck:
    """Outcome of checking a document's form and seal (not yet its current status)."""

    sealed: bool
    reason: str = ""
    content: dict = field(default_factory=dict)
    key: SealKey | None = None


def _tampered(reason: str) -> DocumentCheck:
    return DocumentCheck(sealed=False, reason=reason)


def check_document(raw: bytes) -> DocumentCheck:
    """Is ``raw`` exactly a document one of our departments sealed?"""
    try:
        text = raw.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return _tampered("文件不是有效的 UTF-8 JSON。")
    if not isinstance(document, dict) or set(document) != {"certificate", "signature"}:
        return _tampered("文件结构不是电子证照文件。")
    content, signature = document["certificate"], document["signature"]
    if not isinstance(content, dict) or not isinstance(signature, dict):
        return _tampered("文件结构不是电子证照文件。")
    if set(signature) != {"alg", "kid", "value"} or not all(isinstance(v, str) for v in signature.values()):
        return _tampered("签名信息不完整。")
    if canonical(document) != text:
        return _tampered("文件内容或格式已被改动。")
    key = SealKey.objects.filter(kid=signature["kid"]).first()
    if key is None or seals.JWS_ALG[key.algorithm] != signature["alg"]:
        return _tampered("签名所用的印章密钥不存在。")
    try:
        value = seals.b64url_decode(signature["value"])
    except ValueError:
        return _tampered("签名值格式不正确。")
    if not seals.verify(key, canonical(content).encode("utf-8"), value):
        return _tampered("电子印章验证失败：内容已被改动。")
    issuer = content.get("issuer") if isinstance(content.get("issuer"), dict) else {}
    if issuer.get("uscc") != key.issuer_uscc:
        return _tampered("印章不属于证照上的颁发机构。")
    return DocumentCheck(sealed=True, content=content, key=key)


def stored_content(certificate: Certificate) -> dict | None:
    """The stored row's signed content if its department's seal still holds over it, else None.

    The seal must cover this very identifier and validity, so a row edited in the database
    (or a payload moved to another row) reads as tampered.
    """
    key = certificate.seal_key
    try:
        value = seals.b64url_decode(certificate.signature)
    except ValueError:
        return None
    if not seals.verify(key, certificate.payload.encode("utf-8"), value):
        return None
    try:
        content = json.loads(certificate.payload)
    except ValueError:
        return None
    until = certificate.valid_until.isoformat() if certificate.valid_until else None
    if (
        content.get("identifier") != certificate.identifier
        or (content.get("issuer") or {}).get("uscc") != key.issuer_uscc
        or content.get("valid_until") != until
    ):
        return None
    return content
