"""Rendered public pages kept in the shared cache for anonymous visitors.

Why: at province scale a search page costs tens of milliseconds of Python (query analysis,
ranking, templates) and most visitors ask the same things; a guide page is read far more often
than it changes. The copy kept is the whole rendered page, because rendering the page frame alone
costs more than the rest of a cache hit.

What may differ between two anonymous visitors of the same address is either part of the key
(language, elderly mode, the chosen region, the full address including host and query string)
or filled in per request: the CSRF token of the header's preference forms and the CSP nonce of
the script tags are rendered as markers and replaced on every answer. Signed-in visitors (their
name and their own forms are in the header) are never served from, nor stored into, this cache.

Invalidation: every entry records the *catalogue version* it was rendered at, a random token in
the shared cache (read together with the entry, in one query) that is replaced whenever anything
a public page shows changes: items and their elements, themes, life events, departments, regions,
synonyms, the search index. The token is replaced inside the writer's transaction and again after
its commit, so no process keeps serving the old page once the change is visible. Entries also
expire after ``PAGE_TTL``: popularity drifts without saves, and figures other apps add to a page
(ratings) may be that old.
"""

import hashlib
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

PAGE_TTL = 600
# Sorts after the page keys: the database cache culls the first keys in order when it is full.
VERSION_KEY = "web:version:catalogue"
CSRF_MARK = "tbcsrfmark0f3c9a7e51d2b846"
NONCE_MARK = "tbnoncemark7d21e9c4b0a5f3"

Builder = Callable[[], tuple[str, dict[str, Any], int]]


def _cache():  # noqa: ANN202
    return caches["default"]


def catalogue_version() -> str:
    """The current catalogue version token (created on first use or after eviction)."""
    cache = _cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def _replace_version() -> None:
    _cache().set(VERSION_KEY, uuid.uuid4().hex, None)


def bump_catalogue_version() -> None:
    """Forget every cached page: now (inside the writer's transaction) and after its commit."""
    _replace_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_replace_version)


def is_cacheable(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def page_key(request: HttpRequest, scope: str, stamp: str = "") -> str:
    parts = [
        scope,
        stamp,
        "https" if request.is_secure() else "http",
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        "elderly" if getattr(request, "elderly_mode", False) else "",
        getattr(request, "region_code", ""),
        "htmx" if request.headers.get("HX-Request") else "",
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"web:page:{scope}:{digest}"


def _fill(html: str, request: HttpRequest) -> str:
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    if NONCE_MARK in html:
        html = html.replace(NONCE_MARK, str(get_nonce(request)))
    return html


def render_page(request: HttpRequest, scope: str, build: Builder, *, stamp: str = "") -> HttpResponse:
    """The page ``build`` describes (template, context, status), from the cache when possible.

    Only answers with status 200 are kept. ``stamp`` adds what the key must also depend on
    (e.g. the version of the item a guide page shows).
    """
    if not is_cacheable(request):
        template, context, status = build()
        return HttpResponse(render_to_string(template, context, request), status=status)
    key = page_key(request, scope, stamp)
    # One query for both: the entry remembers the catalogue version it was rendered at.
    found = _cache().get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or catalogue_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return HttpResponse(_fill(zlib.decompress(entry[1]).decode(), request))
    template, context, status = build()
    marked = {**context, "csrf_token": CSRF_MARK, "csp_nonce": NONCE_MARK}
    html = render_to_string(template, marked, request)
    if status == 200:
        # Compressed: a page shrinks several-fold, and the cache table with it.
        _cache().set(key, (version, zlib.compress(html.encode(), 1)), PAGE_TTL)
    return HttpResponse(_fill(html, request), status=status)


def _changed(sender, **kwargs) -> None:  # noqa: ANN001, ANN003
    if kwargs.get("raw"):
        return
    if "action" in kwargs and kwargs["action"] not in ("post_add", "post_remove", "post_clear"):
        return
    bump_catalogue_version()


def connect() -> None:
    """Replace the catalogue version on every change that a cached page could show."""
    from tongban.catalog import models as catalog
    from tongban.catalog.search.signals import index_updated
    from tongban.departments.models import Department
    from tongban.regions.models import Region

    senders = [
        catalog.ServiceItem,
        catalog.MaterialRequirement,
        catalog.ProcessStep,
        catalog.FeeItem,
        catalog.FAQ,
        catalog.Theme,
        catalog.LifeEvent,
        catalog.SearchSynonym,
        Department,
        Region,
    ]
    for sender in senders:
        uid = f"web-pagecache-{sender._meta.label_lower}"
        post_save.connect(_changed, sender=sender, dispatch_uid=f"{uid}-save")
        post_delete.connect(_changed, sender=sender, dispatch_uid=f"{uid}-delete")
    for through in (catalog.ServiceItem.themes.through, catalog.LifeEvent.items.through):
        m2m_changed.connect(
            _changed, sender=through, dispatch_uid=f"web-pagecache-{through._meta.label_lower}"
        )
    index_updated.connect(_changed, dispatch_uid="web-pagecache-index")
