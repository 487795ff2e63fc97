"""A missing department is named by the selector itself, for the pages and both API routes."""

import pytest

from tongban.core.errors import NotFound
from tongban.departments import selectors

pytestmark = pytest.mark.django_db


def test_a_missing_department_is_named_in_the_error():
    with pytest.raises(NotFound) as caught:
        selectors.get_department(999999)
    assert caught.value.message == "找不到实施主体 999999。"
