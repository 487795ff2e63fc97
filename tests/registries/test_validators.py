import datetime

import pytest
from stdnum.cn import ric

from tongban.core.errors import InvalidInput
from tongban.registries.validators import (
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
