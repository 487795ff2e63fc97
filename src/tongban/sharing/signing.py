"""Signed exchanges (the X-Road message-log idea) with the ``cryptography`` keys already in use.

- Requests: the consumer system signs a client assertion (compact JWS, EdDSA, RFC 7523 style)
  naming itself, the audience, a unique ``jti``, a short expiry and the SHA-256 of the request
  body, so the body cannot be changed in flight and no shared secret travels.
- Responses: the provider department's seal key (``certificates.seals``, as licences are signed)
  signs the canonical JSON of the payload; ``verify_response`` is the consumer side's check and
  rejects a response whose payload or signature was altered.
"""

import hashlib
import json
import time
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tongban.certificates import seals
from tongban.certificates.models import SealKey

AUDIENCE = "tongban-sharing"
MAX_LIFETIME = 300  # seconds an assertion may live
CLOCK_SKEW = 30


class BadSignature(Exception):
    """A signature, an assertion or a response that does not check out."""


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- consumer side


def new_client_key() -> tuple[Ed25519PrivateKey, str]:
    """A new key pair for a consumer system: the private key and the public key's hex."""
    key = Ed25519PrivateKey.generate()
    return key, public_hex(key)


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def make_assertion(client_id: str, key: Ed25519PrivateKey, body: bytes, *, now: float | None = None) -> str:
    """The ``Authorization: Bearer`` value a consumer system sends with ``body``."""
    now = time.time() if now is None else now
    header = {"alg": "EdDSA", "typ": "JWT", "kid": client_id}
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": AUDIENCE,
        "iat": int(now),
        "exp": int(now) + 120,
        "jti": uuid.uuid4().hex,
        "body_sha256": sha256(body),
    }
    signing_input = f"{seals.b64url(canonical(header))}.{seals.b64url(canonical(claims))}"
    return f"{signing_input}.{seals.b64url(key.sign(signing_input.encode('ascii')))}"


def verify_response(body: bytes, public_key: bytes, *, algorithm: str = SealKey.Algorithm.ED25519) -> dict:
    """The consumer's check of a provider's answer: the payload, or ``BadSignature``."""
    try:
        answer = json.loads(body)
        payload, signature = answer["payload"], answer["signature"]
        raw = seals.b64url_decode(signature["value"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadSignature("malformed response") from exc
    if not seals.ALGORITHMS[algorithm].verify(public_key, canonical(payload), raw):
        raise BadSignature("response signature does not verify")
    return payload


# ---------------------------------------------------------------- platform side


def read_assertion(token: str) -> tuple[dict, dict, str, bytes]:
    """Header, claims, signing input and signature of a compact JWS (not yet verified)."""
    try:
        head, body, sig = token.split(".")
        header = json.loads(seals.b64url_decode(head))
        claims = json.loads(seals.b64url_decode(body))
        signature = seals.b64url_decode(sig)
    except (ValueError, TypeError) as exc:
        raise BadSignature("malformed assertion") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise BadSignature("malformed assertion")
    return header, claims, f"{head}.{body}", signature


def check_assertion(
    header: dict, claims: dict, signing_input: str, signature: bytes, public_key_hex: str, body: bytes
) -> None:
    """Signature, audience, issuer, lifetime and body digest of a consumer's assertion."""
    if header.get("alg") != "EdDSA":
        raise BadSignature("unsupported algorithm")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            signature, signing_input.encode("ascii")
        )
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("assertion signature does not verify") from exc
    now = time.time()
    if claims.get("aud") != AUDIENCE or claims.get("iss") != header.get("kid") or not claims.get("jti"):
        raise BadSignature("wrong audience or issuer")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise BadSignature("no lifetime")
    if exp < now - CLOCK_SKEW or iat > now + CLOCK_SKEW or exp - iat > MAX_LIFETIME:
        raise BadSignature("assertion expired")
    if claims.get("body_sha256") != sha256(body):
        raise BadSignature("body does not match its signature")


def sign_payload(key: SealKey, payload: dict) -> dict:
    """The signed answer: payload plus the provider seal's signature over its canonical JSON."""
    return {
        "payload": payload,
        "signature": {
            "alg": seals.JWS_ALG[key.algorithm],
            "kid": key.kid,
            "value": seals.b64url(seals.sign(key, canonical(payload))),
        },
    }
