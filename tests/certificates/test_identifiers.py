import pytest
from stdnum.iso7064 import mod_37_36

from tests.factories import make_uscc
from tongban.certificates import identifiers
from tongban.certificates.identifiers import InvalidIdentifier

USCC = make_uscc(4242)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_identifier_has_the_national_shape_and_an_iso7064_check_character():
    identifier = identifiers.build("11100000000000001", USCC, 42, 1)
    body, check = identifier.rsplit(".", 1)
    assert body == f"1.2.156.3005.2.11100000000000001.{USCC}.00000042.001"
    assert check == mod_37_36.calc_check_digit(body.replace(".", ""))
    assert mod_37_36.is_valid(identifier.replace(".", ""))
    parsed = identifiers.parse(identifier)
    assert (parsed.type_code, parsed.issuer_uscc, parsed.serial, parsed.version) == (
        "11100000000000001",
        USCC,
        42,
        1,
    )


def test_every_single_wrong_character_and_adjacent_swap_is_refused():
    identifier = identifiers.build("11100000000000001", USCC, 7, 3)
    body = identifier.rsplit(".", 1)[0]
    positions = [i for i, ch in enumerate(body) if ch != "."]
    for i in positions:
        for ch in ALPHABET:
            if ch == body[i]:
                continue
            changed = body[:i] + ch + body[i + 1 :] + identifier[-2:]
            assert not identifiers.is_valid(changed), changed
    for a, b in zip(positions, positions[1:], strict=False):
        if body[a] != body[b]:
            swapped = list(body)
            swapped[a], swapped[b] = swapped[b], swapped[a]
            assert not identifiers.is_valid("".join(swapped) + identifier[-2:])
    for ch in ALPHABET:
        if ch != identifier[-1]:
            assert not identifiers.is_valid(identifier[:-1] + ch)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.156.3005.2.X.Y",
        "1.2.156.3005.1.11100000000000001.{uscc}.00000001.001.0",  # wrong prefix
        "1.2.156.3005.2.111.{uscc}.1.001.0",  # serial too short
        "1.2.156.3005.2.111.{uscc}.00000001.1.0",  # version not 3 digits
        "1.2.156.3005.2.111.915113010000000000.00000001.001.0",  # USCC with a wrong check character
    ],
)
def test_malformed_identifiers_are_refused(text):
    with pytest.raises(InvalidIdentifier):
        identifiers.parse(text.format(uscc=USCC))


def test_versions_and_serials_are_bounded():
    with pytest.raises(InvalidIdentifier):
        identifiers.build("111", USCC, 1, 1000)
    with pytest.raises(InvalidIdentifier):
        identifiers.build("111", USCC, 0, 1)
    assert identifiers.parse(identifiers.build("111", USCC, 123456789, 999)).serial == 123456789
