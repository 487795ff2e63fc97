"""The database side of search: match expressions rendered for SQLite FTS5 or PostgreSQL tsquery.

A query is a small tree of ``Term`` / ``All`` / ``Any`` nodes over the token columns of
``SearchEntry``; each backend renders it and runs one statement that returns candidates (the
title, the per-item words and the popularity the ranker needs), with the number of all
matches when asked. Ranking happens in Python (see ``engine``), the same on both databases.
Only published items have index rows (``index_items`` removes the others); the engine checks
the status again on the items it shows. On SQLite the join is a CROSS JOIN: that keeps the FTS5
table as the outer loop.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

# Token columns; PostgreSQL keeps them in one tsvector with these weights.
COLUMN_WEIGHTS = {"tokens": "A", "extra": "B", "pinyin": "C", "grams": "D"}


@dataclass(frozen=True)
class Term:
    text: str
    columns: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any:
    parts: tuple


@dataclass
class Candidate:
    item_id: int
    title: str
    extra: str
    popularity: int
    region_code: str = ""
    base_code: str = ""


def _fts_term(term: Term) -> str:
    phrase = '"' + term.text.replace('"', '""') + '"' + (" *" if term.prefix else "")
    cols = " ".join(term.columns)
    return f"{{{cols}}} : {phrase}" if len(term.columns) > 1 else f"{cols} : {phrase}"


def render_fts(node) -> str:
    if isinstance(node, Term):
        return _fts_term(node)
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(render_fts(p) for p in node.parts) + ")"


def _ts_term(term: Term) -> str:
    lexeme = "'" + term.text.replace("\\", "\\\\").replace("'", "''") + "'"
    weights = "".join(COLUMN_WEIGHTS[c] for c in term.columns if c in COLUMN_WEIGHTS)
    suffix = ("*" if term.prefix else "") + weights
    return f"{lexeme}:{suffix}" if suffix else lexeme


def render_tsquery(node) -> str:
    if isinstance(node, Term):
        return _ts_term(node)
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(render_tsquery(p) for p in node.parts) + ")"


_PG_SELECT = (
    "SELECT e.item_id, e.title, e.extra, e.popularity, e.region_code, e.base_code "
    "FROM catalog_searchentry e WHERE e.document @@ %s::tsquery "
)
_SQLITE_SELECT = (
    "SELECT e.item_id, e.title, e.extra, e.popularity, e.region_code, e.base_code "
    "FROM catalog_search_fts f "
    "CROSS JOIN catalog_searchentry e ON e.item_id = f.rowid WHERE catalog_search_fts MATCH %s "
)


def fetch_candidates(node, limit: int, *, by_popularity: bool = False, offset: int = 0) -> list[Candidate]:
    """Indexed matches: any ``limit`` of them, or the most popular ones first.

    Unordered fetching streams from the index and stops at ``limit``, which is what keeps a
    query cheap: when everything that matches fits, the ranker sees it all. Only the index
    rows are read (the item rows are wide); the caller checks the status of what it shows.
    """
    postgres = connection.vendor == "postgresql"
    sql = _PG_SELECT if postgres else _SQLITE_SELECT
    if by_popularity:
        sql += "ORDER BY e.popularity DESC, e.item_id "
    sql += "LIMIT %s OFFSET %s"
    expr = render_tsquery(node) if postgres else render_fts(node)
    with connection.cursor() as cursor:
        cursor.execute(sql, [expr, limit, offset])
        return [Candidate(*row) for row in cursor.fetchall()]


def fetch_popular_with_total(node, limit: int) -> tuple[list[Candidate], int]:
    """The ``limit`` most popular matches and the number of all matches.

    PostgreSQL: one statement, the match evaluated once (a window count over every matching
    row before the limit applies). SQLite: the ordered fetch keeps only the top ``limit`` rows
    while it sorts, and the FTS table alone counts the rest, only when there is a rest; a
    window count there would carry every matching row's columns through the sort.
    """
    if connection.vendor != "postgresql":
        candidates = fetch_candidates(node, limit, by_popularity=True)
        total = len(candidates) if len(candidates) < limit else count_matches(node)
        return candidates, total
    sql = _PG_SELECT.replace("e.base_code FROM", "e.base_code, count(*) OVER () FROM", 1)
    sql += "ORDER BY e.popularity DESC, e.item_id LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [render_tsquery(node), limit])
        rows = cursor.fetchall()
    if not rows:
        return [], 0
    return [Candidate(*row[:6]) for row in rows], rows[0][6]


def count_matches(node) -> int:
    if connection.vendor == "postgresql":
        sql = "SELECT count(*) FROM catalog_searchentry e WHERE e.document @@ %s::tsquery"
        params = [render_tsquery(node)]
    else:
        sql = "SELECT count(*) FROM catalog_search_fts WHERE catalog_search_fts MATCH %s"
        params = [render_fts(node)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# The FTS5 triggers of migration 0003, dropped during a full rebuild and then recreated: one
# 'rebuild' pass over the content table is far cheaper than a trigger call per row.
SQLITE_TRIGGERS = {
    "catalog_search_fts_ai": """CREATE TRIGGER catalog_search_fts_ai AFTER INSERT ON catalog_searchentry BEGIN
        INSERT INTO catalog_search_fts(rowid, tokens, extra, pinyin, grams, filters)
        VALUES (new.item_id, new.tokens, new.extra, new.pinyin, new.grams, new.filters);
    END""",
    "catalog_search_fts_ad": """CREATE TRIGGER catalog_search_fts_ad AFTER DELETE ON catalog_searchentry BEGIN
        INSERT INTO catalog_search_fts(catalog_search_fts, rowid, tokens, extra, pinyin, grams, filters)
        VALUES ('delete', old.item_id, old.tokens, old.extra, old.pinyin, old.grams, old.filters);
    END""",
    "catalog_search_fts_au": """CREATE TRIGGER catalog_search_fts_au AFTER UPDATE ON catalog_searchentry BEGIN
        INSERT INTO catalog_search_fts(catalog_search_fts, rowid, tokens, extra, pinyin, grams, filters)
        VALUES ('delete', old.item_id, old.tokens, old.extra, old.pinyin, old.grams, old.filters);
        INSERT INTO catalog_search_fts(rowid, tokens, extra, pinyin, grams, filters)
        VALUES (new.item_id, new.tokens, new.extra, new.pinyin, new.grams, new.filters);
    END""",
}


@contextmanager
def bulk_load() -> Iterator[None]:
    """Around a full rebuild (inside its transaction): index once at the end, then tidy up."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("INSERT INTO catalog_search_fts(catalog_search_fts) VALUES ('rebuild')")
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE catalog_searchentry")
