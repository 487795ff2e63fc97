"""Learning from use: what people search for, what they find and what they open.

- ``recording``: the search page and the API log each search (query text with personal numbers
  masked, normalised query, result count, region filter, day) and each opened result, without
  who searched. Counts are gathered in the process and written in batches, so logging costs a
  search a dictionary update, not a database write.
- ``selectors``: the catalogue admin's lists (frequent zero-result and no-click queries).
- ``services``: adding an everyday phrase as a synonym and marking a query as dealt with.
"""

from .recording import (
    flush,
    forget,
    query_key,
    record_click,
    record_search,
    scrub,
    sign_key,
    unsign_key,
)

__all__ = ["flush", "forget", "query_key", "record_click", "record_search", "scrub", "sign_key", "unsign_key"]
