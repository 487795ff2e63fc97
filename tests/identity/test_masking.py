import pytest

from tongban.core.masking import mask_email, mask_id_number, mask_mobile, mask_name, mask_uscc


@pytest.mark.parametrize(
    ("func", "value", "expected"),
    [
        (mask_id_number, "11010519491231002X", "1101**********002X"),
        (mask_id_number, "1234", "****"),
        (mask_id_number, None, ""),
        (mask_mobile, "13812345678", "138****5678"),
        (mask_mobile, "12345", "*****"),
        (mask_mobile, "", ""),
        (mask_name, "张三", "*三"),
        (mask_name, "欧阳小明", "**小明"),
        (mask_name, "李", "*"),
        (mask_email, "zhangsan@example.cn", "z***n@example.cn"),
        (mask_email, "ab@example.cn", "**@example.cn"),
        (mask_uscc, "91110000600037341L", "91110000******341L"),
    ],
)
def test_masks(func, value, expected):
    assert func(value) == expected
