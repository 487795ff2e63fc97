"""Logging searches and opened results without personal data, in batches.

What is kept of a search: its text with personal numbers masked (``scrub``), the normalised
query, the result count, the region filter and the day; of a click: which item was opened for
which logged query. Nothing says who searched: no user, IP address or session.

Why batches: a cached search page answers without touching the database, and one write per
search would cost it more than half its speed (DESIGN §8: an insert halves a view's requests per
second). Each process adds its counts up in memory and writes them with one statement per table,
``TONGBAN_SEARCH_LOG_SECONDS`` (default 5; 0 writes at once; under the tests only an
explicit ``flush()`` writes) after the first unwritten search, or as soon as ``MAX_PENDING`` queries wait. A process that dies loses at most
those seconds of counts; nothing else depends on them.

A logged query is named by ``query_key`` (a digest of day, region filter and normalised query);
result links carry it signed (``sign_key``), so a click on ``/search/go/`` is counted only for a
query this site logged.
"""

import atexit
import datetime as dt
import hashlib
import logging
import re
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from tongban.catalog.models import SearchClick, SearchQuery
from tongban.catalog.search import analysis

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 100
MAX_PENDING = 500
DEFAULT_SECONDS = 5.0
NUMBER_MARK = "〔号码〕"
_SALT = "tongban.catalog.search-go"
ITEM_CODE_LENGTH = SearchClick._meta.get_field("item_code").max_length

# Five or more digits, possibly split by single spaces, dashes or dots (ID, phone, bank card,
# licence numbers …), with an ID number's final check letter; years and small counts stay.
_LONG_NUMBER = re.compile(r"\d(?:[ \-.]?\d){4,}[xX]?")
# The same in Chinese numerals, as a number is sometimes typed or dictated (一三八…).
_HAN_NUMBER = re.compile(r"[零〇一二三四五六七八九幺两](?:[ \-]?[零〇一二三四五六七八九幺两]){6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def scrub(text: str, mark: str = NUMBER_MARK) -> str:
    """The query as typed (full-width folded), with ID, phone and other long numbers and e-mail
    addresses replaced by ``mark``: not masked to a few digits, gone."""
    text = analysis.normalize(text)
    text = _EMAIL.sub(mark, text)
    text = _LONG_NUMBER.sub(mark, text)
    text = _HAN_NUMBER.sub(mark, text)
    return text[:MAX_QUERY_LENGTH]


def normalized_query(text: str) -> str:
    """The scrubbed query without spaces and punctuation: what synonyms are matched against."""
    return "".join(analysis.runs(scrub(text, mark=" ")))[:MAX_QUERY_LENGTH]


def query_key(day_iso: str, region_code: str, normalized: str) -> str:
    return hashlib.blake2b(f"{day_iso}|{region_code}|{normalized}".encode(), digest_size=16).hexdigest()


def sign_key(key: str) -> str:
    return signing.Signer(salt=_SALT).sign(key)


def unsign_key(value: str | None) -> str | None:
    """The key a result link carries, or None when it was not signed here."""
    if not value or len(value) > 100:
        return None
    try:
        key = signing.Signer(salt=_SALT).unsign(value)
    except signing.BadSignature:
        return None
    return key if re.fullmatch(r"[0-9a-f]{32}", key) else None


# ---------------------------------------------------------------------------------------------
# The buffer


@dataclass
class _Search:
    day: str
    region_code: str
    normalized: str
    query: str
    searches: int = 0
    zero: int = 0
    result_count: int | None = None


class _Buffer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.searches: dict[str, _Search] = {}
        self.clicks: dict[tuple[str, str], list] = {}  # (key, item code) → [day, clicks]
        self.timer: threading.Timer | None = None

    def take(self) -> tuple[dict[str, _Search], dict[tuple[str, str], list]]:
        with self.lock:
            searches, clicks = self.searches, self.clicks
            self.searches, self.clicks = {}, {}
            if self.timer is not None:
                self.timer.cancel()
            self.timer = None
        return searches, clicks

    def pending(self) -> int:
        return len(self.searches) + len(self.clicks)


_buffer = _Buffer()


def _seconds() -> float | None:
    """Seconds a count may wait; None (the tests' default) waits for an explicit ``flush()``."""
    default = None if getattr(settings, "TESTING", False) else DEFAULT_SECONDS
    value = getattr(settings, "TONGBAN_SEARCH_LOG_SECONDS", default)
    return None if value is None else float(value)


def _after_adding() -> None:
    """Write now, or make sure a timer will (called with the buffer's lock released)."""
    seconds = _seconds()
    if seconds is None:
        # Tests count queries per page: nothing is written behind their back, and a long run
        # does not pile up counts that no test asked for.
        if _buffer.pending() >= MAX_PENDING:
            _buffer.take()
        return
    if seconds <= 0 or _buffer.pending() >= MAX_PENDING:
        flush()
        return
    with _buffer.lock:
        if _buffer.timer is None and _buffer.pending():
            timer = threading.Timer(seconds, _flush_in_thread)
            timer.daemon = True
            _buffer.timer = timer
            timer.start()


def forget() -> None:
    """Drop what this process has counted and not yet written (tests start clean with it)."""
    _buffer.take()


def _flush_in_thread() -> None:
    try:
        flush()
    finally:
        connections.close_all()  # this thread's connections only


def _today() -> str:
    return timezone.localdate().isoformat()


def record_search(
    text: str, *, region_code: str = "", result_count: int | None, count: bool = True
) -> str | None:
    """Count one search (unless ``count`` is false: a later page of the same search) and return
    the signed key its result links carry; None when nothing is left of the query once scrubbed."""
    normalized = normalized_query(text)
    if not normalized:
        return None
    region_code = (region_code or "")[:12]
    day = _today()
    key = query_key(day, region_code, normalized)
    if count:
        with _buffer.lock:
            entry = _buffer.searches.get(key)
            if entry is None:
                entry = _buffer.searches[key] = _Search(day, region_code, normalized, scrub(text))
            entry.searches += 1
            if result_count is not None:
                entry.result_count = result_count
                entry.zero += result_count == 0
        _after_adding()
    return sign_key(key)


def record_click(signed_key: str | None, item_code: str) -> bool:
    """Count that the result ``item_code`` of a logged query was opened; False if the key is not ours."""
    key = unsign_key(signed_key)
    if key is None:
        return False
    with _buffer.lock:
        entry = _buffer.clicks.setdefault((key, item_code[:ITEM_CODE_LENGTH]), [_today(), 0])
        entry[1] += 1
    _after_adding()
    return True


_QUERY_TABLE = SearchQuery._meta.db_table
_CLICK_TABLE = SearchClick._meta.db_table
_UPSERT_SEARCH = (
    f'INSERT INTO {_QUERY_TABLE} ("key", day, region_code, normalized, query, searches, '  # noqa: S608
    "zero_result_searches, result_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
    'ON CONFLICT ("key") DO UPDATE SET '
    f"searches = {_QUERY_TABLE}.searches + excluded.searches, "
    f"zero_result_searches = {_QUERY_TABLE}.zero_result_searches + excluded.zero_result_searches, "
    f"result_count = COALESCE(excluded.result_count, {_QUERY_TABLE}.result_count)"
)
_UPSERT_CLICK = (
    f"INSERT INTO {_CLICK_TABLE} (query_key, item_code, day, clicks) VALUES (%s, %s, %s, %s) "  # noqa: S608
    f"ON CONFLICT (query_key, item_code) DO UPDATE SET clicks = {_CLICK_TABLE}.clicks + excluded.clicks"
)


def flush() -> None:
    """Write what this process has counted: one statement per table. A failed write is logged
    and dropped; it never fails the page that triggered it."""
    searches, clicks = _buffer.take()
    if not searches and not clicks:
        return
    adapt = connection.ops.adapt_datefield_value
    search_rows = [
        (key, adapt(_date(s.day)), s.region_code, s.normalized, s.query, s.searches, s.zero, s.result_count)
        for key, s in searches.items()
    ]
    click_rows = [(key, code, adapt(_date(day)), n) for (key, code), (day, n) in clicks.items()]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if search_rows:
                cursor.executemany(_UPSERT_SEARCH, search_rows)
            if click_rows:
                cursor.executemany(_UPSERT_CLICK, click_rows)
    except DatabaseError:
        logger.exception(
            "search log: %d queries and %d clicks not written", len(search_rows), len(click_rows)
        )


def _date(day_iso: str) -> dt.date:
    return dt.date.fromisoformat(day_iso)


def _flush_at_exit() -> None:
    if _seconds() is None:
        # Under the tests the database named at exit is no longer the test database.
        forget()
        return
    try:
        flush()
    except Exception:
        logger.warning("search log: counts of this process not written at exit")


atexit.register(_flush_at_exit)
