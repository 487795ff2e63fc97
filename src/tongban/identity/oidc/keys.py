"""The RS256 key that signs ID tokens.

Every web process must sign with, and publish, the same key, so it is never kept only in memory
or in a local file: either the operator sets ``TONGBAN_OIDC_RSA_PRIVATE_KEY`` (PEM), or the first
request that needs a key generates one and stores it in the database, encrypted with a key
derived from SECRET_KEY (SECRET_KEY_FALLBACKS still decrypt after a secret rotation).
"""

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from jwcrypto import jwk

from .models import SigningKey

_HKDF_INFO = b"tongban oidc signing key v1"


def _fernet_for(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(s) for s in secrets])


@functools.lru_cache(maxsize=16)
def _key_from_pem(pem: str) -> jwk.JWK:
    return jwk.JWK.from_pem(pem.encode("utf-8"))


@functools.lru_cache(maxsize=16)
def _decrypt(kid: str, encrypted: str) -> jwk.JWK:
    try:
        pem = _cipher().decrypt(encrypted.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            f"OIDC 签名密钥 {kid} 无法解密：SECRET_KEY 已更换且未列入 SECRET_KEY_FALLBACKS。"
        ) from exc
    return _key_from_pem(pem)


def _configured_pem() -> str:
    return (getattr(settings, "TONGBAN_OIDC_RSA_PRIVATE_KEY", "") or "").strip()


def generate_signing_key() -> SigningKey:
    """Create a new 2048-bit RSA key; it signs from now on, older keys stay published."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    kid = _key_from_pem(pem).thumbprint()
    encrypted = _cipher().encrypt(pem.encode("utf-8")).decode("ascii")
    return SigningKey.objects.create(kid=kid, encrypted_private_key=encrypted)


def current_signing_key() -> jwk.JWK:
    """The key that signs new ID tokens: the configured one, else the newest stored one (made on first use)."""
    pem = _configured_pem()
    if pem:
        return _key_from_pem(pem)
    row = SigningKey.objects.filter(active=True).first()
    if row is None:
        with transaction.atomic():
            # Another process may have made one meanwhile; all processes then agree on the newest.
            row = SigningKey.objects.select_for_update().filter(active=True).first() or generate_signing_key()
    return _decrypt(row.kid, row.encrypted_private_key)


def published_keys() -> list[dict]:
    """Public halves of every key whose signatures are still accepted, in JWKS form."""
    if _configured_pem():
        keys = [current_signing_key()]
    else:
        rows = list(SigningKey.objects.filter(active=True))
        keys = [_decrypt(r.kid, r.encrypted_private_key) for r in rows] if rows else [current_signing_key()]
    published = []
    for key in keys:
        data = {"alg": "RS256", "use": "sig", "kid": key.thumbprint()}
        data.update(json.loads(key.export_public()))
        published.append(data)
    return published
