import datetime

import pytest
from stdnum.cn import ric

from tongban.core.errors import InvalidInput
from tongban.registries.validators import (
    area_code_ever_existed,
    check_uscc,
    id_number_error,
    is_valid_id_number,
    is_valid_uscc,
    make_id_number,
    make_uscc,
    parse_id_number,
    uscc_error,
)


def with_check(body: str) -> str:
    """Complete 17 characters with their correct GB 11643 check character."""
    return body + ric.calc_check_digit(body + "0")


# Published GB 11643 examples and numbers built with the standard's check character.
VALID_IDS = ["11010519491231002X", "440524188001010014", "511602199001011236", "11010519491231002x"]
INVALID_IDS = [
    ("11010519491231002", "18 位"),  # too short
    ("110105194912310021", "校验位"),  # wrong check character
    (with_check("11010519491331002"), "出生日期"),  # month 13, correct check character
    (with_check("51160221000101123"), "出生日期"),  # born in the future
    (with_check("99160219900101123"), "地区码"),  # no province 99
    (with_check("51169919900101123"), "地区码"),  # 四川 has no county 1699, in any year
    (with_check("51160219900230123"), "出生日期"),  # 30 February
    (with_check("51160219000229123"), "出生日期"),  # 1900 was not a leap year
    ("51160219900101123A", "格式"),  # letter other than X
    ("", "请填写"),
]

# GB 32100 examples.
VALID_USCC = ["91110000600037341L", "91310000775785552L", "9144030071526726XG"]
INVALID_USCC = [
    ("91110000600037341M", "校验码"),
    ("9111000060003734", "18 位"),
    ("9111000060003734IL", "格式"),  # I is not in the alphabet
    ("", "请填写"),
]


# Real-world style numbers whose area code postdates (or outlived) the birth year: people keep
# the number first issued to them, so these are valid although python-stdnum's ric rejects them.
AREA_CODE_OUTSIDE_BIRTH_YEAR = [
    with_check("51160219650412003"),  # 广安区 511602 exists since 1998; born 1965
    with_check("51160319880314001"),  # 前锋区 511603 exists since 2013; born 1988
    with_check("51162119720908003"),  # 岳池县 511621 exists since 1998; born 1972
    with_check("51168119500101002"),  # 华蓥市 511681 exists since 1998; born 1950
    with_check("44052419950101001"),  # 潮阳县 440524 existed 1983–1993; issued before, born 1995
]


@pytest.mark.parametrize("number", AREA_CODE_OUTSIDE_BIRTH_YEAR)
def test_area_codes_outside_the_birth_year_are_accepted(number):
    assert not ric.is_valid(number)  # the birth-year check these numbers would fail
    assert id_number_error(number) is None
    assert parse_id_number(number).region_code == number[:6]


@pytest.mark.parametrize(
    ("code", "existed"),
    [
        ("511602", True),
        ("110103", True),
        ("510000", True),
        ("511699", False),
        ("999999", False),
        ("5116", False),
    ],
)
def test_area_code_ever_existed(code, existed):
    assert area_code_ever_existed(code) is existed


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers(number):
    assert is_valid_id_number(number)
    assert id_number_error(number) is None


@pytest.mark.parametrize(("number", "reason"), INVALID_IDS)
def test_invalid_id_numbers_have_a_chinese_reason(number, reason):
    assert not is_valid_id_number(number)
    assert reason in id_number_error(number)
    with pytest.raises(InvalidInput) as info:
        parse_id_number(number)
    assert info.value.code == "invalid_id_number"


def test_parse_id_number_reads_birth_date_sex_and_region():
    facts = parse_id_number("11010519491231002x")
    assert facts.number == "11010519491231002X"
    assert facts.birth_date == datetime.date(1949, 12, 31)
    assert facts.sex == "F"  # 17th digit 2 is even
    assert facts.region_code == "110105"


def test_make_id_number_is_valid_and_encodes_what_it_was_given():
    number = make_id_number("511621", datetime.date(1985, 6, 30), 123)
    assert ric.calc_check_digit(number) == number[-1] and is_valid_id_number(number)
    facts = parse_id_number(number)
    assert (facts.region_code, facts.birth_date, facts.sex) == ("511621", datetime.date(1985, 6, 30), "M")


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code):
    assert is_valid_uscc(code)
    assert check_uscc(code.lower()) == code


@pytest.mark.parametrize(("code", "reason"), INVALID_USCC)
def test_invalid_uscc(code, reason):
    assert not is_valid_uscc(code)
    assert reason in uscc_error(code)
    with pytest.raises(InvalidInput):
        check_uscc(code)


def test_make_uscc_is_valid():
    code = make_uscc("511602", "12345678X")
    assert is_valid_uscc(code)
    assert code[2:8] == "511602"
