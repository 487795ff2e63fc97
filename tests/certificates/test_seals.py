import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.factories import DepartmentFactory
from tongban.certificates import seals
from tongban.certificates.models import SealKey

pytestmark = pytest.mark.django_db

MESSAGE = "电子证照内容".encode()


@pytest.mark.parametrize("algorithm", ["ed25519", "sm2"])
def test_sign_and_verify_with_both_algorithms(algorithm, settings):
    settings.TONGBAN_SEAL_ALGORITHM = algorithm
    department = DepartmentFactory()
    key = seals.active_key(department)
    assert key.algorithm == algorithm and key.issuer_uscc == department.uscc
    signature = seals.sign(key, MESSAGE)
    assert len(signature) == 64
    assert seals.verify(key, MESSAGE, signature)
    assert not seals.verify(key, MESSAGE + b" ", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not seals.verify(key, MESSAGE, flipped)
    assert not seals.verify(key, MESSAGE, signature[:-1])
    # the same department keeps one active key per algorithm
    assert seals.active_key(department).pk == key.pk


def test_sm2_signature_follows_gb_t_32918_with_a_fresh_nonce(settings):
    """Two signatures of one message differ (random k) and both verify with gmssl's own verifier."""
    from gmssl.sm2 import CryptSM2

    settings.TONGBAN_SEAL_ALGORITHM = "sm2"
    key = seals.active_key(DepartmentFactory())
    first, second = seals.sign(key, MESSAGE), seals.sign(key, MESSAGE)
    assert first != second
    verifier = CryptSM2(private_key="", public_key="04" + "ff" * 64)
    verifier.public_key = key.public_key
    assert verifier.verify_with_sm3(first.hex(), MESSAGE)
    assert verifier.verify_with_sm3(second.hex(), MESSAGE)


def test_private_keys_are_encrypted_at_rest_and_need_the_secret(settings):
    settings.TONGBAN_SEAL_SECRET = "a dedicated seal secret"
    key = seals.active_key(DepartmentFactory())
    private = seals._private_key(key.kid, key.private_key_encrypted)
    assert len(private) == 32
    assert private.hex() not in key.private_key_encrypted
    assert key.private_key_encrypted.startswith("gAAAAA")  # a Fernet token
    seals._private_key.cache_clear()
    settings.TONGBAN_SEAL_SECRET = "another secret"
    settings.SECRET_KEY = "another secret key as well"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ImproperlyConfigured, match="无法解密"):
        seals.sign(key, MESSAGE)
    seals._private_key.cache_clear()


def test_rotation_keeps_the_old_key_published_and_verifying(settings):
    department = DepartmentFactory()
    old = seals.active_key(department)
    signature = seals.sign(old, MESSAGE)
    new = seals.rotate_key(department)
    old.refresh_from_db()
    assert old.retired_at is not None and new.retired_at is None and new.kid != old.kid
    assert seals.active_key(department).pk == new.pk
    assert seals.verify(old, MESSAGE, signature)
    assert not seals.verify(new, MESSAGE, signature)
    assert SealKey.objects.filter(department=department).count() == 2


def test_a_department_without_uscc_has_no_seal():
    department = DepartmentFactory(uscc=None)
    with pytest.raises(Exception, match="统一社会信用代码"):
        seals.active_key(department)


def test_jwk_forms(settings):
    department = DepartmentFactory()
    ed = seals.jwk(seals.active_key(department, "ed25519"))
    assert ed["kty"] == "OKP" and ed["crv"] == "Ed25519" and ed["alg"] == "EdDSA"
    assert len(seals.b64url_decode(ed["x"])) == 32
    sm2 = seals.jwk(seals.active_key(department, "sm2"))
    assert sm2["kty"] == "EC" and sm2["crv"] == "SM2" and sm2["alg"] == "SM2-SM3"
    assert len(seals.b64url_decode(sm2["x"])) == 32 and len(seals.b64url_decode(sm2["y"])) == 32
    assert ed["tongban_issuer_uscc"] == sm2["tongban_issuer_uscc"] == department.uscc


def test_strict_base64url():
    assert seals.b64url_decode(seals.b64url(b"\x01\x02")) == b"\x01\x02"
    with pytest.raises(ValueError):
        seals.b64url_decode("AQI=")  # padding is not the canonical form
    with pytest.raises(ValueError):
        seals.b64url_decode("AQJ")  # spare bits set


def test_unknown_algorithm_setting_is_refused(settings):
    settings.TONGBAN_SEAL_ALGORITHM = "rsa"
    with pytest.raises(ImproperlyConfigured):
        seals.configured_algorithm()
