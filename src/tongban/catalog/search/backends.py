"""The database side of search: match expressions rendered for SQLite FTS5 or PostgreSQL tsquery.

A query is a small tree of ``Term`` / ``All`` / ``Any`` nodes over the token columns of
``SearchEntry``; each backend renders it and runs one statement that returns the best
candidates (with the columns the ranker needs) and, when asked, one that counts matches.
Published status is checked against the item row itself, so a stale index row never leaks
an unpublished item.
"""

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
    tokens: str
    extra: str
    pinyin: str
    grams: str
    popularity: int


def _fts_term(term: Term) -> str:
    phrase = '"' + term.text.replace('"', '""') + '"' + (" *" if term.prefix else "")
    cols = " ".join(term.columns)
    return f"{{{cols}}} : {phrase}" if len(term.columns) > 1 else f"{cols} : {phrase}"


def render_fts(node) -> str:  # noqa: ANN001
    if isinstance(node, Term):
        return _fts_term(node)
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(render_fts(p) for p in node.parts) + ")"


def _ts_term(term: Term) -> str:
    lexeme = "'" + term.text.replace("\\", "\\\\").replace("'", "''") + "'"
    weights = "".join(COLUMN_WEIGHTS[c] for c in term.columns if c in COLUMN_WEIGHTS)
    suffix = ("*" if term.prefix else "") + weights
    return f"{lexeme}:{suffix}" if suffix else lexeme


def render_tsquery(node) -> str:  # noqa: ANN001
    if isinstance(node, Term):
        return _ts_term(node)
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(render_tsquery(p) for p in node.parts) + ")"


def fetch_candidates(node, limit: int) -> list[Candidate]:  # noqa: ANN001
    """The ``limit`` best published matches, best first by the database's own rank."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT e.item_id, e.title, e.tokens, e.extra, e.pinyin, e.grams, i.popularity "
            "FROM catalog_searchentry e "
            "JOIN catalog_serviceitem i ON i.id = e.item_id "
            "WHERE e.document @@ %s::tsquery AND i.status = 'published' "
            "ORDER BY ts_rank('{0.2, 0.4, 0.6, 1.0}', e.document, %s::tsquery) DESC, "
            "i.popularity DESC, e.item_id LIMIT %s"
        )
        expr = render_tsquery(node)
        params = [expr, expr, limit]
    else:
        sql = (
            "SELECT e.item_id, e.title, e.tokens, e.extra, e.pinyin, e.grams, i.popularity "
            "FROM catalog_search_fts f "
            "JOIN catalog_searchentry e ON e.item_id = f.rowid "
            "JOIN catalog_serviceitem i ON i.id = e.item_id "
            "WHERE catalog_search_fts MATCH %s AND i.status = 'published' "
            "ORDER BY bm25(catalog_search_fts, 10.0, 6.0, 4.0, 2.0, 0.0), i.popularity DESC, e.item_id "
            "LIMIT %s"
        )
        params = [render_fts(node), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Candidate(*row) for row in cursor.fetchall()]


def count_matches(node) -> int:  # noqa: ANN001
    if connection.vendor == "postgresql":
        sql = (
            "SELECT count(*) FROM catalog_searchentry e JOIN catalog_serviceitem i ON i.id = e.item_id "
            "WHERE e.document @@ %s::tsquery AND i.status = 'published'"
        )
        params = [render_tsquery(node)]
    else:
        sql = (
            "SELECT count(*) FROM catalog_search_fts f JOIN catalog_serviceitem i ON i.id = f.rowid "
            "WHERE catalog_search_fts MATCH %s AND i.status = 'published'"
        )
        params = [render_fts(node)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def after_bulk_load() -> None:
    """Compact the index after a rebuild (FTS5 merge / PostgreSQL statistics)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE catalog_searchentry")
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO catalog_search_fts(catalog_search_fts) VALUES ('optimize')")
