"""Search the catalogue in everyday words.

Public interface used by the API and the web pages; it stays stable:

- ``search_items(query, *, region_code, audience, department_id, theme_slug, item_type, page, page_size)``
  returns a ``SearchPage`` of ``SearchHit`` (published items only, best first).
- ``suggest(prefix, *, region_code, limit)`` gives as-you-type suggestions.
- ``index_items(ids)`` / ``rebuild_index()`` keep the database index in step with the items;
  saves and theme changes reindex through signals, and ``bulk_indexing()`` defers that to one
  call for a block that saves many items.

Region filter: a citizen choosing a county sees the items of that county and everything below it,
and also the items of the city and province above it that serve the county (their ``region_code``
is a prefix of the chosen code); items of sibling regions are never shown.
"""

from .engine import (
    SearchHit,
    SearchPage,
    SearchQueryTooLong,
    index_items,
    rebuild_index,
    search_items,
    suggest,
)
from .signals import bulk_indexing

__all__ = [
    "bulk_indexing",
    "SearchHit",
    "SearchPage",
    "SearchQueryTooLong",
    "index_items",
    "rebuild_index",
    "search_items",
    "suggest",
]
