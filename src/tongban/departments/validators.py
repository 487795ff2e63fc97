"""统一社会信用代码 (GB 32100) validation through python-stdnum."""

from django.core.exceptions import ValidationError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError


def normalize_uscc(value: str) -> str:
    return uscc.compact(value or "")


def validate_uscc(value: str) -> None:
    try:
        uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "统一社会信用代码“%(value)s”无效：应为 18 位，且校验码正确。",
            params={"value": value},
            code="uscc",
        ) from exc


def is_valid_uscc(value: str) -> bool:
    return uscc.is_valid(value or "")
