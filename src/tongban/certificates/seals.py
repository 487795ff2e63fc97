"""Electronic seals: each department's signing key, and signing and verifying with it.

Algorithms (``TONGBAN_SEAL_ALGORITHM``, per deployment):

- ``ed25519`` (default) through ``cryptography``: 32-byte keys, 64-byte signatures;
- ``sm2``: SM2 with SM3 (GB/T 32918, GB/T 32905, the signer ID the default ``1234567812345678``)
  through gmssl; 32-byte private key, 64-byte public key ``x‖y``, signature ``r‖s`` (64 bytes).

Private keys are encrypted at rest with Fernet under a key derived (HKDF-SHA256) from
``TONGBAN_SEAL_SECRET`` when set, else from SECRET_KEY; SECRET_KEY_FALLBACKS still decrypt.
Keys are looked up by ``kid``; a kid never changes its key, so decoded keys are cached per process.
"""

import base64
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.core.errors import InvalidInput
from tongban.departments.models import Department

from .models import SealKey

_HKDF_INFO = b"tongban certificate seal keys v1"
JWS_ALG = {SealKey.Algorithm.ED25519: "EdDSA", SealKey.Algorithm.SM2: "SM2-SM3"}
SM2_CURVE_NAME = "SM2"  # JWK "crv" for SM2 keys (no IANA name exists; GB/T 32918 curve sm2p256v1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the canonical encoding of some bytes is accepted (no padding, no spare bits)."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


# ---------------------------------------------------------------- algorithms


@dataclass(frozen=True)
class Algorithm:
    name: str
    generate: Callable[[], tuple[bytes, bytes]]
    sign: Callable[[bytes, bytes], bytes]
    verify: Callable[[bytes, bytes, bytes], bool]
    jwk: Callable[[bytes], dict]


def _ed25519_generate() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return private, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@functools.lru_cache(maxsize=256)
def _ed25519_private(private: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(private)


@functools.lru_cache(maxsize=256)
def _ed25519_public(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)


def _ed25519_sign(private: bytes, data: bytes) -> bytes:
    return _ed25519_private(private).sign(data)


def _ed25519_verify(public: bytes, data: bytes, signature: bytes) -> bool:
    try:
        _ed25519_public(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _sm2_order() -> int:
    from gmssl.sm2 import default_ecc_table

    return int(default_ecc_table["n"], 16)


def _sm2(private_hex: str, public_hex: str):
    from gmssl.sm2 import CryptSM2

    signer = CryptSM2(private_key=private_hex, public_key="00" * 64)
    # gmssl strips a leading "04" with str.lstrip, which also eats a key's own leading 0s and
    # 4s; the bare 128-hex-digit x‖y is set directly instead.
    signer.public_key = public_hex
    return signer


def _sm2_generate() -> tuple[bytes, bytes]:
    from gmssl.sm2 import default_ecc_table

    d = secrets.randbelow(_sm2_order() - 2) + 1
    private_hex = f"{d:064x}"
    public_hex = _sm2(private_hex, "00" * 64)._kg(d, default_ecc_table["g"])
    return bytes.fromhex(private_hex), bytes.fromhex(public_hex)


def _sm2_public_of(private: bytes) -> bytes:
    from gmssl.sm2 import default_ecc_table

    return bytes.fromhex(_sm2(private.hex(), "00" * 64)._kg(int(private.hex(), 16), default_ecc_table["g"]))


def _sm2_sign(private: bytes, data: bytes) -> bytes:
    signer = _sm2(private.hex(), _sm2_public_of_cached(private).hex())
    n = _sm2_order()
    while True:  # gmssl returns None for the rare unusable nonce; draw another
        k = f"{secrets.randbelow(n - 1) + 1:064x}"  # a CSPRNG nonce (gmssl's own uses random)
        signature = signer.sign_with_sm3(data, k)
        if signature:
            return bytes.fromhex(signature)


@functools.lru_cache(maxsize=256)
def _sm2_public_of_cached(private: bytes) -> bytes:
    return _sm2_public_of(private)


def _sm2_verify(public: bytes, data: bytes, signature: bytes) -> bool:
    if len(signature) != 64 or len(public) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    n = _sm2_order()
    if not (0 < r < n and 0 < s < n):
        return False
    try:
        return bool(_sm2("00" * 32, public.hex()).verify_with_sm3(signature.hex(), data))
    except (ValueError, TypeError, ZeroDivisionError):
        return False


def _ed25519_jwk(public: bytes) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public), "alg": "EdDSA"}


def _sm2_jwk(public: bytes) -> dict:
    return {
        "kty": "EC",
        "crv": SM2_CURVE_NAME,
        "x": b64url(public[:32]),
        "y": b64url(public[32:]),
        "alg": "SM2-SM3",
    }


ALGORITHMS = {
    SealKey.Algorithm.ED25519: Algorithm(
        "ed25519", _ed25519_generate, _ed25519_sign, _ed25519_verify, _ed25519_jwk
    ),
    SealKey.Algorithm.SM2: Algorithm("sm2", _sm2_generate, _sm2_sign, _sm2_verify, _sm2_jwk),
}


def configured_algorithm() -> str:
    name = (getattr(settings, "TONGBAN_SEAL_ALGORITHM", "") or "ed25519").strip().lower()
    if name not in ALGORITHMS:
        raise ImproperlyConfigured(f"TONGBAN_SEAL_ALGORITHM 只能是 ed25519 或 sm2，而不是 {name!r}。")
    return name


# ---------------------------------------------------------------- keys at rest


def _fernet_for(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> MultiFernet:
    dedicated = (getattr(settings, "TONGBAN_SEAL_SECRET", "") or "").strip()
    secrets_in_order = [
        s for s in [dedicated, settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])] if s
    ]
    return MultiFernet([_fernet_for(s) for s in secrets_in_order])


@functools.lru_cache(maxsize=256)
def _private_key(kid: str, encrypted: str) -> bytes:
    try:
        return _cipher().decrypt(encrypted.encode("ascii"))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            f"电子印章密钥 {kid} 无法解密：TONGBAN_SEAL_SECRET 或 SECRET_KEY 已更换。"
        ) from exc


def public_key_bytes(key: SealKey) -> bytes:
    return bytes.fromhex(key.public_key)


# ---------------------------------------------------------------- key management


def _new_key(department: Department, algorithm: str) -> SealKey:
    if not department.uscc:
        raise InvalidInput(f"“{department.name}”没有统一社会信用代码，不能生成电子印章。", code="no_uscc")
    private, public = ALGORITHMS[algorithm].generate()
    kid = f"{department.uscc}-{algorithm}-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"
    return SealKey.objects.create(
        kid=kid,
        department=department,
        issuer_uscc=department.uscc,
        algorithm=algorithm,
        public_key=public.hex(),
        private_key_encrypted=_cipher().encrypt(private).decode("ascii"),
    )


def active_key(department: Department, algorithm: str | None = None) -> SealKey:
    """The department's signing key for the deployment's algorithm, made on first use.

    Two processes making the first key at once: the partial unique index lets one win and the
    other reads the winner's key.
    """
    algorithm = algorithm or configured_algorithm()
    key = SealKey.objects.filter(department=department, algorithm=algorithm, retired_at__isnull=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _new_key(department, algorithm)
    except IntegrityError:
        return SealKey.objects.get(department=department, algorithm=algorithm, retired_at__isnull=True)


@transaction.atomic
def rotate_key(department: Department, algorithm: str | None = None) -> SealKey:
    """Retire the department's key and make a new one; certificates already signed keep verifying."""
    algorithm = algorithm or configured_algorithm()
    list(Department.objects.select_for_update().filter(pk=department.pk))
    SealKey.objects.filter(department=department, algorithm=algorithm, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    return _new_key(department, algorithm)


def sign(key: SealKey, data: bytes) -> bytes:
    return ALGORITHMS[key.algorithm].sign(_private_key(key.kid, key.private_key_encrypted), data)


def verify(key: SealKey, data: bytes, signature: bytes) -> bool:
    return ALGORITHMS[key.algorithm].verify(public_key_bytes(key), data, signature)


def jwk(key: SealKey) -> dict:
    return {
        **ALGORITHMS[key.algorithm].jwk(public_key_bytes(key)),
        "kid": key.kid,
        "use": "sig",
        "tongban_issuer_uscc": key.issuer_uscc,
        "tongban_status": "retired" if key.retired_at else "active",
    }
