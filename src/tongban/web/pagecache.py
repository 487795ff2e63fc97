"""Rendered public pages kept in Django's cache framework (alias ``pages``) for anonymous visitors.

Why: at province scale a search page costs tens of milliseconds of Python (query analysis,
ranking, templates) and most visitors ask the same things; a guide page is read far more often
than it changes. The copy kept is the whole rendered page, because rendering the page frame alone
costs more than the rest of a cache hit.

What may differ between two anonymous visitors of the same address is either part of the key
(language, elderly mode, the chosen region, the full address including host and query string)
or filled in per answer: the CSRF token of the header's preference forms and the CSP nonce of
the script tags are rendered as markers and replaced on every answer, and *live* fragments
(the ratings of a guide) are rendered fresh for every answer and put in at their marker. Signed-in
visitors (their name and their own forms are in the header) are never served from, nor stored
into, this cache.

Invalidation: every entry records the *catalogue version* it was rendered at, a random token
kept in the same cache under ``VERSION_KEY`` and replaced whenever anything a public page shows
changes: items and their elements, themes, life events, departments, regions, synonyms, the
search index. The token is replaced inside the writer's transaction and again after its commit,
so no process keeps serving the old page once the change is visible; a lost token (evicted,
cleared) starts a new one, which retires every page. A page can also carry a *stamp* read from its
source row on every answer (a guide: the item's status, version and last change, and whether it
has counted ratings), which catches changes that send no signal. Entries expire after the alias's ``TIMEOUT`` (popularity drifts
without saves).

Storage: Django's cache framework, alias ``CACHES["pages"]`` (operations.md, "Shared cache"): a
database cache in its own table ``tongban_pages`` by default, bounded by its ``MAX_ENTRIES``,
Redis when configured. A page is kept under its key alone, with its version and stamp inside the
value; a lookup is one ``get_many`` of the version key and the page key (one statement on the
database cache, one round trip on Redis), and a guide's stamp is one more indexed query.

Pages without a stamp (search results) are also remembered by each web process for
``TONGBAN_PAGECACHE_LOCAL_SECONDS`` (default 1 s) after it last read the catalogue version:
within that window a repeated page costs no database round trip at all. A change made by this
process forgets them at once; a change made by another process is seen here at most that many
seconds later. ``0`` turns the layer off (the test settings do, so tests see every change).
"""

import hashlib
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

CACHE_ALIAS = "pages"
# Sorts after every page key (hexadecimal digests), so the database cache's culling, which drops
# the lowest keys first, takes pages before it takes the version.
VERSION_KEY = "version"
CSRF_MARK = "tbcsrfmark0f3c9a7e51d2b846"
NONCE_MARK = "tbnoncemark7d21e9c4b0a5f3"
LIVE_MARK = "tblivemark3e8b5c1d9f7a24:{name}:"

Builder = Callable[[], tuple[str, dict[str, Any], int]]
# name → function of the page's stamp giving that fragment's HTML for this answer
LiveFragments = dict[str, Callable[[str], str]]

LOCAL_MAX_ENTRIES = 256  # per process; a rendered search page is tens of kilobytes


class _LocalPages:
    """Pages this process served lately, with the catalogue version it last read and when.

    A per-process memo of data immutable by its key: a page is kept under the catalogue version
    it was rendered at and dropped when this process sees another version (at most
    ``TONGBAN_PAGECACHE_LOCAL_SECONDS`` after the change, at once for a change made here).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.checked = 0.0
        self.pages: dict[str, tuple[str, float, str]] = {}  # key → (version, expires, html)

    def get(self, key: str) -> str | None:
        seconds = settings.TONGBAN_PAGECACHE_LOCAL_SECONDS
        with self.lock:
            if self.version is None or time.monotonic() - self.checked >= seconds:
                return None
            entry = self.pages.get(key)
        if entry is None or entry[0] != self.version or entry[1] <= time.time():
            return None
        return entry[2]

    def saw_version(self, version: str) -> None:
        with self.lock:
            if version != self.version:
                self.pages.clear()
                self.version = version
            self.checked = time.monotonic()

    def keep(self, key: str, version: str, expires: float, html: str) -> None:
        with self.lock:
            if version != self.version:
                return
            if len(self.pages) >= LOCAL_MAX_ENTRIES:
                self.pages.clear()
            self.pages[key] = (version, expires, html)

    def forget(self) -> None:
        with self.lock:
            self.version = None
            self.pages.clear()


_local = _LocalPages()


def forget_local() -> None:
    """Drop what this process remembers (the next answer asks the database again)."""
    _local.forget()


def live_mark(name: str) -> str:
    """The marker a template shows where the live fragment ``name`` goes."""
    return LIVE_MARK.format(name=name)


def _cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def _new_version() -> str:
    token = uuid.uuid4().hex
    _cache().set(VERSION_KEY, token, None)
    return token


def _first_version() -> str:
    """A new token unless another process just created one (theirs is kept)."""
    cache = _cache()
    token = uuid.uuid4().hex
    if cache.add(VERSION_KEY, token, None):
        return token
    return cache.get(VERSION_KEY) or _new_version()


def catalogue_version() -> str:
    """The current catalogue version token (created on first use)."""
    return _cache().get(VERSION_KEY) or _first_version()


def _replace_version() -> None:
    _new_version()
    forget_local()


def bump_catalogue_version() -> None:
    """Forget every cached page: now (inside the writer's transaction) and after its commit."""
    _replace_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_replace_version)


def clear() -> None:
    """Drop every kept page (the benchmark measures cold pages with this).

    The database cache's table holds pages only, so it is emptied; another backend (Redis) may
    share its database with other values, so there a new version retires every page instead.
    """
    forget_local()
    cache = _cache()
    if isinstance(cache, DatabaseCache):
        cache.clear()
    else:
        _new_version()


def is_cacheable(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def page_key(request: HttpRequest, scope: str) -> str:
    parts = [
        scope,
        "https" if request.is_secure() else "http",
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        "elderly" if getattr(request, "elderly_mode", False) else "",
        getattr(request, "region_code", ""),
        "htmx" if request.headers.get("HX-Request") else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _lookup(key: str) -> tuple[str, tuple | None]:
    """The catalogue version and the entry kept under ``key`` (or None), in one cache read."""
    found = _cache().get_many([VERSION_KEY, key])
    return found.get(VERSION_KEY) or _first_version(), found.get(key)


def _store(key: str, stamp: str, version: str, html: str) -> float:
    """Keep the page; returns when it expires."""
    cache = _cache()
    expires = time.time() + cache.default_timeout
    # Compressed: a page shrinks several-fold, and the cache with it.
    cache.set(key, (version, stamp, expires, zlib.compress(html.encode(), 1)))
    return expires


def _fill(html: str, request: HttpRequest, stamp: str, live: LiveFragments) -> str:
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    if NONCE_MARK in html:
        html = html.replace(NONCE_MARK, str(get_nonce(request)))
    for name, fragment in live.items():
        mark = live_mark(name)
        if mark in html:
            html = html.replace(mark, fragment(stamp))
    return html


class Gone(Exception):
    """The page's source row says there is nothing to show (``stamp_ok`` refused its stamp)."""


def render_page(
    request: HttpRequest,
    scope: str,
    build: Builder,
    *,
    stamp: Callable[[], str | None] | None = None,
    stamp_ok: Callable[[str | None], bool] | None = None,
    live: LiveFragments | None = None,
) -> HttpResponse:
    """The page ``build`` describes (template, context, status), from the cache when possible.

    ``stamp`` reads the page's stamp from its source row on every answer (one query); an
    entry rendered at another stamp is not used, and when ``stamp_ok`` refuses the stamp
    ``Gone`` is raised before anything is rendered. ``live`` fragments are rendered for every
    answer, never kept. Only answers with status 200 are kept.
    """
    live = live or {}
    if not is_cacheable(request):
        template, context, status = build()
        return HttpResponse(render_to_string(template, context, request), status=status)
    key = page_key(request, scope)
    # Pages with a stamp depend on their row at every answer; the others may be remembered here.
    local = stamp is None and settings.TONGBAN_PAGECACHE_LOCAL_SECONDS > 0
    if local and (html := _local.get(key)) is not None:
        return HttpResponse(_fill(html, request, "", live))
    source = "" if stamp is None else stamp()
    if stamp_ok is not None and not stamp_ok(source):
        raise Gone(source or "")
    source = source or ""
    version, entry = _lookup(key)
    if local:
        _local.saw_version(version)
    if entry is not None and entry[0] == version and entry[1] == source and entry[2] > time.time():
        html = zlib.decompress(entry[3]).decode()
        if local:
            _local.keep(key, version, entry[2], html)
        return HttpResponse(_fill(html, request, source, live))
    template, context, status = build()
    marked = {**context, "csrf_token": CSRF_MARK, "csp_nonce": NONCE_MARK}
    marked.update({f"live_{name}": live_mark(name) for name in live})
    html = render_to_string(template, marked, request)
    if status == 200:
        expires = _store(key, source, version, html)
        if local:
            _local.keep(key, version, expires, html)
    return HttpResponse(_fill(html, request, source, live), status=status)


def _changed(sender, **kwargs) -> None:
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
