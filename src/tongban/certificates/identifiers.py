"""证照标识: ``1.2.156.3005.2.{type code}.{issuer USCC}.{serial}.{version}.{check}`` (DESIGN §5).

- type code: the certificate type's code, 2–40 upper-case letters and digits;
- issuer USCC: the issuing department's 统一社会信用代码 (GB 32100, its own check character valid);
- serial: decimal, at least 8 digits (zero-padded), unique per type and issuer, from the database;
- version: 3 digits, ``001`` for the first issue, one more for every replacement (换发/补发);
- check: one character of ISO/IEC 7064 MOD 37,36 (``0-9A-Z``) computed over every character of
  the parts before it, dots left out. It catches any single wrong character and any swap of two
  adjacent characters, so a mistyped identifier is refused before the database is asked.
"""

import functools
import re
from dataclasses import dataclass

from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_37_36

PREFIX = "1.2.156.3005.2"
SERIAL_DIGITS = 8
_PATTERN = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{2,40})\.(?P<uscc>[0-9A-Z]{18})\.(?P<serial>\d{8,18})"
    r"\.(?P<version>\d{3})\.(?P<check>[0-9A-Z])$"
)


class InvalidIdentifier(ValueError):
    """Not a well-formed identifier, or its check character is wrong."""


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_uscc: str
    serial: int
    version: int

    @property
    def body(self) -> str:
        return (
            f"{PREFIX}.{self.type_code}.{self.issuer_uscc}.{self.serial:0{SERIAL_DIGITS}d}.{self.version:03d}"
        )

    @property
    def check(self) -> str:
        return check_character(self.body)

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"


def check_character(body: str) -> str:
    """ISO 7064 MOD 37,36 over ``body`` without its dots."""
    return mod_37_36.calc_check_digit(body.replace(".", ""))


def build(type_code: str, issuer_uscc: str, serial: int, version: int) -> str:
    if not 1 <= version <= 999:
        raise InvalidIdentifier("版本号应为 001–999。")
    if serial < 1:
        raise InvalidIdentifier("流水号应为正整数。")
    identifier = str(Identifier(type_code, issuer_uscc, serial, version))
    parse(identifier)  # the same rules for what we make and what we accept
    return identifier


def parse(identifier: str) -> Identifier:
    """The parts of a well-formed identifier; ``InvalidIdentifier`` for anything else."""
    return _parse((identifier or "").strip())


@functools.lru_cache(maxsize=65536)
def _parse(text: str) -> Identifier:
    """Pure function of the text, so verification's hot path remembers recent answers."""
    match = _PATTERN.match(text)
    if match is None:
        raise InvalidIdentifier("证照标识格式不正确。")
    if not stdnum_uscc.is_valid(match["uscc"]):
        raise InvalidIdentifier("证照标识中的统一社会信用代码无效。")
    body = text.rsplit(".", 1)[0]
    if check_character(body) != match["check"]:
        raise InvalidIdentifier("证照标识校验位不正确，请核对后重新输入。")
    return Identifier(match["type"], match["uscc"], int(match["serial"]), int(match["version"]))


def is_valid(identifier: str) -> bool:
    try:
        parse(identifier)
    except InvalidIdentifier:
        return False
    return True
