"""GB/T 2260 region codes and their 12-digit statistical form.

Codes are stored in their short canonical form: province 2 digits, city 4, county 6,
township/street 9, village 12. ``511602000000`` and ``511602`` name the same county.
"""

import re

LEVEL_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LENGTH_LEVELS = {length: level for level, length in LEVEL_LENGTHS.items()}
_DIGITS = re.compile(r"^\d+$")


class RegionCodeError(ValueError):
    pass


def normalize_region_code(code: str | int) -> str:
    """Return the canonical short code for a code given in any accepted form."""
    text = str(code).strip()
    if not _DIGITS.match(text):
        raise RegionCodeError(f"行政区划代码只能由数字组成：{text!r}")
    if len(text) not in (2, 4, 6, 9, 12):
        raise RegionCodeError(f"行政区划代码长度应为 2、4、6、9 或 12 位：{text!r}")
    if len(text) == 12:
        for length in (2, 4, 6, 9):
            if set(text[length:]) == {"0"}:
                return text[:length]
        return text
    if len(text) == 6:
        # A 6-digit code ending in 00 is a city (or province) in GB/T 2260 notation.
        if text[2:] == "0000":
            return text[:2]
        if text[4:] == "00":
            return text[:4]
    if len(text) == 4 and text[2:] == "00":
        return text[:2]
    return text


def level_of(code: str) -> int:
    return LENGTH_LEVELS[len(code)]


def to_code12(code: str) -> str:
    return code.ljust(12, "0")


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == 1:
        return None
    return code[: LEVEL_LENGTHS[level - 1]]


def ancestor_codes(code: str) -> list[str]:
    """Codes of the region and all of its ancestors, province first."""
    level = level_of(code)
    return [code[: LEVEL_LENGTHS[lv]] for lv in range(1, level + 1)]
