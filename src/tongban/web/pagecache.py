"""Rendered public pages kept in the database for anonymous visitors.

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
(``CatalogueVersion``, read in the same statement as the entry) that is replaced whenever
anything a public page shows changes: items and their elements, themes, life events,
departments, regions, synonyms, the search index. The token is replaced inside the writer's
transaction and again after its commit, so no process keeps serving the old page once the change
is visible. A page can also carry a *stamp* read from its source row in that same statement (a
guide: the item's status, version and last change), which catches changes that send no signal.
Entries expire after ``PAGE_TTL`` (popularity drifts without saves).

Storage: the ``web_cachedpage`` table (see ``models``), one statement to read an entry and
one upsert to store it; expired and surplus entries are culled now and then by a store. This is
the one cache that does not go through Django's cache framework (``CACHES["default"]``, where
every other shared value lives): the hit that reads the catalogue version, the guide's stamp
and the page in one statement is what keeps a cached page at one query (measured in
docs/performance.md), which two cache reads plus the stamp query cannot do.

Pages without a stamp (search results) are also remembered by each web process for
``TONGBAN_PAGECACHE_LOCAL_SECONDS`` (default 1 s) after it last read the catalogue version:
within that window a repeated page costs no database round trip at all. A change made by this
process forgets them at once; a change made by another process is seen here at most that many
seconds later. ``0`` turns the layer off (the test settings do, so tests see every change).
"""

import hashlib
import random
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from .models import CachedPage, CatalogueVersion

PAGE_TTL = 600
MAX_ENTRIES = 5000
CULL_CHANCE = 0.02  # share of stores that also remove expired and surplus entries
CSRF_MARK = "tbcsrfmark0f3c9a7e51d2b846"
NONCE_MARK = "tbnoncemark7d21e9c4b0a5f3"
LIVE_MARK = "tblivemark3e8b5c1d9f7a24:{name}:"

Builder = Callable[[], tuple[str, dict[str, Any], int]]
# name → function of the page's stamp giving that fragment's HTML for this answer
LiveFragments = dict[str, Callable[[str], str]]

_PAGES = CachedPage._meta.db_table
_VERSION = CatalogueVersion._meta.db_table


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


def _new_version() -> str:
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_VERSION} (id, token) VALUES (1, %s) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token",
            [token],
        )
    return token


def catalogue_version() -> str:
    """The current catalogue version token (created on first use)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {_VERSION} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else _new_version()


def _replace_version() -> None:
    _new_version()
    forget_local()


def bump_catalogue_version() -> None:
    """Forget every cached page: now (inside the writer's transaction) and after its commit."""
    _replace_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_replace_version)


def clear() -> None:
    """Drop every kept page (the benchmark measures cold pages with this)."""
    forget_local()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_PAGES}")  # noqa: S608


def cull(now: int | None = None, max_entries: int = MAX_ENTRIES) -> None:
    """Remove expired entries, then the soonest-expiring ones beyond ``max_entries``."""
    now = int(time.time()) if now is None else now
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_PAGES} WHERE expires <= %s", [now])  # noqa: S608
        cursor.execute(f"SELECT count(*) FROM {_PAGES}")  # noqa: S608
        surplus = cursor.fetchone()[0] - max_entries
        if surplus > 0:
            cursor.execute(
                f'DELETE FROM {_PAGES} WHERE "key" IN '  # noqa: S608
                f'(SELECT "key" FROM {_PAGES} ORDER BY expires, "key" LIMIT %s)',
                [surplus],
            )


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


def _lookup(key: str, stamp_sql: str | None, stamp_params: list) -> tuple | None:
    """(stamp, version, entry version, entry stamp, expires, body) in one statement."""
    stamp = f"({stamp_sql})" if stamp_sql else "''"
    sql = (
        f"SELECT {stamp}, v.token, p.version, p.stamp, p.expires, p.body "  # noqa: S608
        f"FROM (SELECT 1 AS one) o LEFT JOIN {_VERSION} v ON v.id = 1 "
        f'LEFT JOIN {_PAGES} p ON p."key" = %s'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*stamp_params, key])
        return cursor.fetchone()


def _store(key: str, scope: str, stamp: str, version: str, html: str) -> int:
    """Keep the page; returns when it expires."""
    # Compressed: a page shrinks several-fold, and the table with it.
    body = zlib.compress(html.encode(), 1)
    expires = int(time.time()) + PAGE_TTL
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {_PAGES} ("key", scope, stamp, version, expires, body) '  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s) "
            'ON CONFLICT ("key") DO UPDATE SET scope = excluded.scope, stamp = excluded.stamp, '
            "version = excluded.version, expires = excluded.expires, body = excluded.body",
            [key, scope, stamp, version, expires, body],
        )
    if random.random() < CULL_CHANCE:
        cull()
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
    stamp_sql: str | None = None,
    stamp_params: list | None = None,
    stamp_ok: Callable[[str | None], bool] | None = None,
    live: LiveFragments | None = None,
) -> HttpResponse:
    """The page ``build`` describes (template, context, status), from the cache when possible.

    ``stamp_sql`` is a scalar query (with ``stamp_params``) read together with the entry; an
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
    local = stamp_sql is None and settings.TONGBAN_PAGECACHE_LOCAL_SECONDS > 0
    if local and (html := _local.get(key)) is not None:
        return HttpResponse(_fill(html, request, "", live))
    row = _lookup(key, stamp_sql, stamp_params or [])
    stamp = "" if row[0] is None else str(row[0])
    if stamp_ok is not None and not stamp_ok(row[0]):
        raise Gone(stamp)
    version = row[1] or _new_version()
    if local:
        _local.saw_version(version)
    if row[2] == version and row[3] == stamp and row[4] > time.time():
        html = zlib.decompress(row[5]).decode()
        if local:
            _local.keep(key, version, row[4], html)
        return HttpResponse(_fill(html, request, stamp, live))
    template, context, status = build()
    marked = {**context, "csrf_token": CSRF_MARK, "csp_nonce": NONCE_MARK}
    marked.update({f"live_{name}": live_mark(name) for name in live})
    html = render_to_string(template, marked, request)
    if status == 200:
        expires = _store(key, scope, stamp, version, html)
        if local:
            _local.keep(key, version, expires, html)
    return HttpResponse(_fill(html, request, stamp, live), status=status)


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
