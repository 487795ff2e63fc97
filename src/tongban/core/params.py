"""Bounds for numbers and times that the API takes from outside (issue 19: bad input never a 5xx).

Python's integers and dates have no upper bound that the database shares: ``page=2**62`` made an
OFFSET no 64-bit column can hold, a date in year 9999 overflows when a day is added. Parameters
are checked against these bounds at the edge, so the answer is a 422 with a Chinese message.
"""

import datetime as dt
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator

MAX_PAGE = 10_000
"""No list is browsed past this page; deeper results are reached by narrowing the filter."""

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
"""The dates a parameter may name: a birth date, a statistics range, a deadline."""


def date_in_range(value: dt.date | None) -> dt.date | None:
    """Pydantic after-validator: a date between EARLIEST and LATEST (the message is the API's)."""
    if (
        value is not None
        and not EARLIEST <= (value.date() if isinstance(value, dt.datetime) else value) <= LATEST
    ):
        raise ValueError("date_out_of_range")
    return value


MAX_ID = 2**63 - 1
"""The largest key a 64-bit column holds; a larger number is refused before any query."""

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
"""A database key taken from a path, a query string or a body."""

Day = Annotated[dt.date, AfterValidator(date_in_range)]
"""A calendar date taken from a query string or a body."""
