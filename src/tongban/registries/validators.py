"""Identifier checks for the base registries: 居民身份证号码 (GB 11643) and USCC (GB 32100).

python-stdnum does the arithmetic; these helpers turn its exceptions into Chinese messages
and read the birth date, sex and household region code that an ID number encodes.
"""

import datetime
import functools
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from tongban.core.errors import InvalidInput


@dataclass(frozen=True)
class IdNumberFacts:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F"
    region_code: str  # the 6-digit county code of the place of first registration


def normalize_id_number(value: str | None) -> str:
    return ric.compact(value or "").upper()


def id_number_error(value: str | None) -> str | None:
    """The Chinese reason why ``value`` is not a valid ID number, or None when it is valid.

    Checks length, digits, the GB 11643 check character, a real birth date (not in the future)
    and an area code that exists or once existed in GB/T 2260. It does not ask whether the code
    was in force in the birth year (python-stdnum's ``validate`` does): people keep the number
    first issued to them, and numbers issued after a county was created carry its new code
    whatever the birth year, so that check locks real people out.
    """
    number = normalize_id_number(value)
    if not number:
        return "请填写身份证号码。"
    if len(number) != 18:
        return "身份证号码应为 18 位。"
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        return "身份证号码格式不正确：前 17 位应为数字，最后一位为数字或 X。"
    if ric.calc_check_digit(number) != number[17]:
        return "身份证号码校验位不正确，请核对后重新输入。"
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        birth = None
    if birth is None or birth < datetime.date(1880, 1, 1) or birth > datetime.date.today():
        return "身份证号码中的出生日期不正确。"
    if not area_code_ever_existed(number[:6]):
        return "身份证号码中的地区码不正确（前 6 位不是任何时期的行政区划代码）。"
    return None


@functools.cache
def area_code_ever_existed(code: str) -> bool:
    """True when ``code`` is a GB/T 2260 area code in force at any time, whatever the years.

    python-stdnum's ``cn/loc`` database keeps the history: a county created or abolished carries
    its years (``[1998-]广安区``, ``[-2010]崇文区``); any county entry at all means it existed.
    """
    from stdnum import numdb

    if len(code) != 6 or not code.isdigit():
        return False
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and "province" in parts[0][1] and bool(parts[1][1].get("county"))


def is_valid_id_number(value: str | None) -> bool:
    return id_number_error(value) is None


def parse_id_number(value: str | None, *, field: str = "id_number") -> IdNumberFacts:
    """Validate an ID number and return what it encodes; raises ``InvalidInput`` otherwise."""
    error = id_number_error(value)
    if error:
        raise InvalidInput(error, code="invalid_id_number", field=field)
    number = normalize_id_number(value)
    return IdNumberFacts(
        number=number,
        birth_date=ric.get_birth_date(number),
        sex="M" if int(number[16]) % 2 else "F",
        region_code=number[:6],
    )


def make_id_number(region_code: str, birth_date: datetime.date, sequence: int) -> str:
    """Compose a valid ID number; ``sequence`` (0–999) is odd for men and even for women."""
    body = f"{region_code[:6]}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum drops the last character


def normalize_uscc(value: str | None) -> str:
    return stdnum_uscc.compact(value or "").upper()


def uscc_error(value: str | None) -> str | None:
    number = normalize_uscc(value)
    if not number:
        return "请填写统一社会信用代码。"
    try:
        stdnum_uscc.validate(number)
    except InvalidLength:
        return "统一社会信用代码应为 18 位。"
    except InvalidChecksum:
        return "统一社会信用代码校验码不正确，请核对后重新输入。"
    except StdnumError:
        return "统一社会信用代码格式不正确。"
    return None


def is_valid_uscc(value: str | None) -> bool:
    return uscc_error(value) is None


def check_uscc(value: str | None, *, field: str = "uscc") -> str:
    error = uscc_error(value)
    if error:
        raise InvalidInput(error, code="invalid_uscc", field=field)
    return normalize_uscc(value)


def make_uscc(region_code: str, organisation_code: str, authority: str = "91") -> str:
    """Compose a USCC: registration authority (2), region (6), organisation code (9), check (1)."""
    body = f"{authority}{region_code[:6]}{organisation_code}"
    return body + stdnum_uscc.calc_check_digit(body)
