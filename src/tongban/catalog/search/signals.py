"""Keep the search index in step with the catalogue: saves, theme changes, renames.

Handlers run inside the writer's transaction, so an item and its index row commit (or roll
back) together. ``bulk_indexing()`` collects the items touched in a block and indexes them
once at its end, for imports that save many items one by one.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import Signal

_state = threading.local()

# Sent after index rows were written (``item_ids``: the items reindexed, or None for a full
# rebuild), so that caches of search results can be forgotten.
index_updated = Signal()


def _pending() -> set[int] | None:
    return getattr(_state, "pending", None)


def _reindex(ids) -> None:
    ids = {int(i) for i in ids}
    if not ids:
        return
    pending = _pending()
    if pending is not None:
        pending.update(ids)
        return
    from . import index_items

    index_items(ids)


@contextmanager
def bulk_indexing() -> Iterator[None]:
    """Defer indexing of items saved inside the block to one ``index_items`` call at its end."""
    outer = _pending()
    if outer is not None:
        yield
        return
    _state.pending = set()
    try:
        yield
        ids = _state.pending
    finally:
        _state.pending = None
    from . import index_items

    index_items(ids)


def item_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _reindex([instance.pk])


def item_themes_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _reindex([instance.pk])
    elif action == "post_clear" or pk_set is None:
        _reindex(instance.items.values_list("pk", flat=True))
    else:
        _reindex(pk_set)


def department_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if not raw and not created:
        _reindex(instance.items.values_list("pk", flat=True))


def theme_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    if not raw and not created:
        _reindex(instance.items.values_list("pk", flat=True))


def connect() -> None:
    from tongban.catalog.models import ServiceItem, Theme
    from tongban.departments.models import Department

    post_save.connect(item_saved, sender=ServiceItem, dispatch_uid="search-item-saved")
    m2m_changed.connect(
        item_themes_changed, sender=ServiceItem.themes.through, dispatch_uid="search-item-themes"
    )
    post_save.connect(department_saved, sender=Department, dispatch_uid="search-department-saved")
    post_save.connect(theme_saved, sender=Theme, dispatch_uid="search-theme-saved")
