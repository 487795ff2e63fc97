"""Masking of personal identifiers for display (DESIGN §6).

Pages, the API and logs show these forms wherever a person does not need the full value.
Every helper accepts ``None`` or an empty string and returns an empty string for them.
"""

MASK = "*"


def mask_id_number(value: str | None) -> str:
    """``510602199001011234`` → ``5106**********1234``: region prefix and last four kept."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) < 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """``张三`` → ``*三``, ``欧阳小明`` → ``**小明``: only the given name's last characters stay."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) == 1:
        return MASK
    keep = 1 if len(value) <= 3 else 2
    return MASK * (len(value) - keep) + value[-keep:]


def mask_email(value: str | None) -> str:
    """``zhangsan@example.cn`` → ``z***n@example.cn``."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return mask_name(value)
    if len(local) <= 2:
        masked = MASK * len(local)
    else:
        masked = local[0] + MASK * 3 + local[-1]
    return f"{masked}@{domain}"


def mask_uscc(value: str | None) -> str:
    """统一社会信用代码: registration authority and region kept, the organisation code hidden."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) != 18:
        return MASK * len(value)
    return value[:8] + MASK * 6 + value[-4:]
