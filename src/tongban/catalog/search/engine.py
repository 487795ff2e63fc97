"""Answering a query: understand it, fetch candidates from the database index, rank, highlight.

1. The query is normalised, matched against the admin-edited synonym table (phrases found
   inside the query, one SQL statement) and cut into words by jieba. Each meaningful word, and
   each synonym's official terms, becomes a *need* with a weight; stopwords weigh nothing,
   generic official words ("登记", "许可") little, and the everyday words a synonym explains
   give way to its official terms.
2. The database returns the published items that match every selective need or, when none
   does, any of them. A need matches through its exact forms (the word itself, all of its
   character pairs, typed pinyin and initials) and, only when those find nothing, its
   typo-tolerant ones: all of its pinyin syllable pairs (homophones: "结昏" → jiehun) and all
   but one of its character pairs (one wrong character in a long word). Filters are tokens of
   the same index, so filtering costs nothing extra. Up to ``MAX_CANDIDATES`` matches are all
   ranked; beyond that the most popular ones are, and the rest follow by popularity.
3. Candidates are ranked in Python by how much of the query they cover (weighted), with
   bonuses for exact titles and titles that the query explains fully; equal relevance goes to
   the more popular item. Matches far below the best are dropped.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import SearchSynonym, ServiceItem
from tongban.core.errors import InvalidInput
from tongban.regions.codes import RegionCodeError, ancestor_codes, normalize_region_code

from . import analysis, indexer
from .analysis import Concept
from .backends import All, Any, Candidate, Term, fetch_candidates, fetch_popular_with_total

MAX_QUERY_LENGTH = 100
MAX_PAGE_SIZE = 100
MAX_CANDIDATES = 600  # everything matching up to this many is ranked exactly
SYNONYM_PENALTY = 0.4  # weight left to everyday words that a synonym explains
SYNONYM_BOOST = 1.5
SELECTIVE_WEIGHT = 0.8  # needs at least this heavy drive the database match
KEEP_RATIO = 0.45  # results below this share of the best score are dropped
MIN_COVERAGE = 0.2


class SearchQueryTooLong(InvalidInput):
    code = "search_query_too_long"
    default_message = _("搜索内容过长，请不超过 100 个字。")


@dataclass
class SearchHit:
    item: ServiceItem
    score: float
    highlighted_name: str


@dataclass
class SearchPage:
    total: int
    hits: list[SearchHit]
    page: int
    page_size: int
    query: str
    corrected_query: str | None = None


# ---------------------------------------------------------------------------------------------
# Understanding the query


@dataclass
class Need:
    """Something the user asked for; satisfied by the best of its alternative concepts."""

    weight: float
    alternatives: list[Concept]
    literal: bool  # typed by the user (not supplied by a synonym)


@dataclass
class Plan:
    text: str
    compact: str
    needs: list[Need]
    expansions: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(n.weight > 0 for n in self.needs)


def matched_synonyms(compact: str) -> list[tuple[str, str]]:
    """Admin synonyms whose phrase occurs in the query (the database does the substring test).

    Longest phrases first; one contained in another matched phrase is left out.
    """
    if not compact:
        return []
    table = SearchSynonym._meta.db_table
    position = "strpos(%s, phrase)" if connection.vendor == "postgresql" else "instr(%s, phrase)"
    # A plain statement: building the equivalent ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phrase, expansions FROM {table} WHERE {position} > 0", [compact])  # noqa: S608
        rows = cursor.fetchall()
    rows = sorted(rows, key=lambda r: (-len(r[0]), r[0]))
    # A phrase inside a longer matched one says less than it ("社保" within "社保卡补办").
    return [r for r in rows if not any(len(o[0]) > len(r[0]) and r[0] in o[0] for o in rows)]


def plan_query(text: str) -> Plan:
    norm = analysis.normalize(text)
    compact = "".join(analysis.runs(norm))
    synonyms = matched_synonyms(compact)
    covered = [False] * len(compact)
    for phrase, _exp in synonyms:
        start = compact.find(phrase)
        while start >= 0:
            for i in range(start, start + len(phrase)):
                covered[i] = True
            start = compact.find(phrase, start + 1)
    needs: list[Need] = []
    seen: set[str] = set()
    pos = 0
    for word in analysis.words(norm):
        at = compact.find(word, pos)
        if at >= 0:
            pos = at + len(word)
        weight = analysis.word_weight(word)
        if weight <= 0 or word in seen:
            continue
        seen.add(word)
        if at >= 0 and all(covered[at : at + len(word)]):
            weight *= SYNONYM_PENALTY
        needs.append(Need(weight, [analysis.concept_for(word, weight)], literal=True))
    expansions: list[str] = []
    for phrase, expansion_text in synonyms:
        terms = [analysis.normalize(t).replace(" ", "") for t in expansion_text.split()]
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms:
            continue
        weight = SYNONYM_BOOST * max(max(analysis.word_weight(t) for t in terms), 0.8)
        needs.append(
            Need(weight, [analysis.concept_for(t, weight, from_synonym=True) for t in terms], literal=False)
        )
        expansions.extend(terms)
        if phrase not in seen:
            seen.add(phrase)
    return Plan(text=norm, compact=compact, needs=needs, expansions=list(dict.fromkeys(expansions)))


def _forms(concept: Concept, literal: bool, fuzzy: bool) -> list:
    """Database match forms of one concept: exact ones, plus the typo-tolerant ones if ``fuzzy``."""
    forms: list = []
    text = concept.text
    if concept.latin:
        forms.append(Term(text, ("tokens", "pinyin")))
        if len(text) >= 2:
            forms.append(Term(text, ("pinyin",), prefix=True))
        if fuzzy and len(concept.pinyin_grams) >= 2:
            forms.append(All(tuple(Term(g, ("pinyin",)) for g in concept.pinyin_grams)))
        return forms
    forms.append(Term(text, ("tokens", "extra")))
    grams = concept.char_grams
    if len(text) >= 2:
        forms.append(
            All(tuple(Term(g, ("grams",)) for g in grams)) if len(grams) > 1 else Term(text, ("grams",))
        )
        if fuzzy and literal and len(grams) >= 3:
            for skip in range(len(grams)):
                forms.append(All(tuple(Term(g, ("grams",)) for i, g in enumerate(grams) if i != skip)))
    if fuzzy and concept.pinyin_grams and all(concept.syllables):
        pg = concept.pinyin_grams
        forms.append(
            All(tuple(Term(g, ("pinyin",)) for g in pg)) if len(pg) > 1 else Term(pg[0], ("pinyin",))
        )
    return forms


def _need_forms(need: Need, fuzzy: bool) -> tuple:
    return tuple(dict.fromkeys(f for c in need.alternatives for f in _forms(c, need.literal, fuzzy)))


def match_node(plan: Plan, fuzzy: bool = True):  # noqa: ANN201
    """Items matching any selective need (any need at all when none is selective)."""
    selective = [n for n in plan.needs if n.weight >= SELECTIVE_WEIGHT]
    chosen = selective or [n for n in plan.needs if n.weight > 0]
    forms: list = []
    for need in chosen:
        forms.extend(_need_forms(need, fuzzy))
        if not selective:
            forms.extend(
                Term(c.text, ("grams",)) for c in need.alternatives if len(c.text) == 1 and not c.latin
            )
    return Any(tuple(dict.fromkeys(forms)))


def strict_node(plan: Plan, fuzzy: bool, *, spare: int = 0):  # noqa: ANN201
    """Items matching every selective need (all but ``spare`` of them); None if that is not stricter."""
    selective = [n for n in plan.needs if n.weight >= SELECTIVE_WEIGHT]
    if len(selective) - spare < 2:
        return None
    parts = [Any(_need_forms(need, fuzzy)) for need in selective]
    if not spare:
        return All(tuple(parts))
    return Any(tuple(All(tuple(p for i, p in enumerate(parts) if i != skip)) for skip in range(len(parts))))


def candidates_for(plan: Plan, filters: list):  # noqa: ANN201
    """(node, candidates, overflow) from the first of these matches that finds anything.

    Every need, then all needs but one, then any; exact forms before typo-tolerant ones: a
    well-typed query is answered by a cheap, precise match, and only a query that finds nothing
    pays for tolerance.
    ``overflow`` counts matches beyond ``MAX_CANDIDATES`` (then the candidates are the most
    popular matches). A tier costs one statement (on SQLite a second one counts, only when
    more than ``MAX_CANDIDATES`` match).
    """
    tiers = (
        strict_node(plan, fuzzy=False),
        strict_node(plan, fuzzy=True),
        strict_node(plan, fuzzy=True, spare=1),
        match_node(plan, fuzzy=False),
        match_node(plan, fuzzy=True),
    )
    for core in tiers:
        if core is None:
            continue
        node = All((core, *filters)) if filters else core
        candidates, total = fetch_popular_with_total(node, MAX_CANDIDATES)
        if candidates:
            return node, candidates, total - len(candidates)
    return None, [], 0


def filter_node(
    region_code: str | None,
    audience: str | None,
    department_id: int | None,
    theme_slug: str | None,
    item_type: str | None,
):  # noqa: ANN201
    parts = []
    if region_code:
        try:
            code = normalize_region_code(region_code)
        except RegionCodeError as exc:
            raise InvalidInput(_("行政区划代码无效。"), field="region") from exc
        region_terms = [Term(f"0r{code}", ("filters",))]
        region_terms += [Term(f"0x{a}", ("filters",)) for a in ancestor_codes(code)[:-1]]
        parts.append(Any(tuple(region_terms)) if len(region_terms) > 1 else region_terms[0])
    if audience:
        if audience not in ("person", "enterprise"):
            raise InvalidInput(_("服务对象只能是 person（个人）或 enterprise（法人）。"), field="audience")
        parts.append(Term(f"0a{audience}", ("filters",)))
    if department_id is not None:
        parts.append(Term(f"0d{int(department_id)}", ("filters",)))
    if theme_slug:
        slug = "".join(analysis.runs(analysis.normalize(theme_slug)))
        parts.append(Term(f"0t{slug or '-'}", ("filters",)))
    if item_type:
        if not str(item_type).isdigit():
            raise InvalidInput(_("事项类型应为国家标准编号（01–10 或 20）。"), field="type")
        parts.append(Term(f"0y{item_type}", ("filters",)))
    return parts


# ---------------------------------------------------------------------------------------------
# Ranking


class TitleDoc:
    """What an item name offers to matching; the same tokens the indexer wrote for it."""

    __slots__ = ("key", "words", "pinyin", "grams")

    def __init__(self, title: str) -> None:
        analysed = analysis.analyse_name(title)
        self.key = title_key(title)
        self.words = set(analysed.words)
        self.pinyin = set(analysed.pinyin)
        self.grams = set(analysed.grams)


@functools.lru_cache(maxsize=20000)
def title_doc(title: str) -> TitleDoc:
    return TitleDoc(title)


class Doc:
    """A candidate: its name (shared by every item of that name) and its own extra words."""

    __slots__ = ("candidate", "title", "key")

    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate
        self.title = title_doc(candidate.title)
        self.key = self.title.key


def title_key(title: str) -> str:
    """The title normalised character by character (positions stay those of the title)."""
    out = []
    for ch in title:
        norm = analysis.normalize(ch)
        out.append(norm if len(norm) == 1 else ch.lower())
    return "".join(out)


def _fraction(parts: Iterable[str], pool: set[str]) -> float:
    parts = list(parts)
    if not parts:
        return 0.0
    return sum(1 for p in parts if p in pool) / len(parts)


def title_match(concept: Concept, doc: TitleDoc) -> float:
    """How well a name contains a concept: 1 literally, less through pinyin or most characters."""
    text = concept.text
    if concept.latin:
        if text in doc.pinyin or text in doc.words:
            return 1.0
        best = 0.0
        share = _fraction(concept.pinyin_grams, doc.pinyin)
        if share >= 0.5:
            best = 0.85 * share
        if len(text) >= 2 and best < 0.7 and any(p.startswith(text) for p in doc.pinyin):
            best = 0.7
        return best
    if text in doc.key:
        return 1.0
    best = 0.0
    if len(text) >= 2:
        share = _fraction(concept.char_grams, doc.grams)
        if share >= 0.5:
            best = 0.9 * share
    if concept.pinyin_grams:
        share = _fraction(concept.pinyin_grams, doc.pinyin)
        if share >= 0.5:
            best = max(best, 0.75 * share)
    return best


EXTRA_MATCH = 0.8  # a keyword, the department, a theme or the group contains the concept


def extra_match(concept: Concept, extra: str) -> float:
    return EXTRA_MATCH if len(concept.text) >= 2 and concept.text in extra else 0.0


@dataclass
class TitleScore:
    matches: list[float]  # best title match per need
    bonus: float


def title_score(plan: Plan, doc: TitleDoc) -> TitleScore:
    matches = []
    explained = 0
    for need in plan.needs:
        best = 0.0
        for concept in need.alternatives:
            m = title_match(concept, doc)
            if m > best:
                best = m
                if m == 1.0:
                    break
        matches.append(best)
        if best == 1.0:
            explained += max((len(c.text) for c in need.alternatives if c.text in doc.key), default=0)
    bonus = 0.0
    if plan.compact and plan.compact == doc.key:
        bonus += 0.5
    for term in plan.expansions:
        if term == doc.key:
            bonus += 0.35
            break
        if len(term) >= 4 and term in doc.key:
            bonus += 0.15
            break
    if doc.key:
        bonus += 0.2 * min(explained / len(doc.key), 1.0)
    return TitleScore(matches, bonus)


def score(plan: Plan, doc: Doc, cache: dict[str, TitleScore] | None = None) -> tuple[float, float]:
    """(final score, weighted coverage of the query) of one candidate."""
    title = cache.get(doc.candidate.title) if cache is not None else None
    if title is None:
        title = title_score(plan, doc.title)
        if cache is not None:
            cache[doc.candidate.title] = title
    total_weight = 0.0
    gained = 0.0
    for need, m in zip(plan.needs, title.matches, strict=True):
        if need.weight <= 0:
            continue
        total_weight += need.weight
        if m < EXTRA_MATCH and doc.candidate.extra:
            for concept in need.alternatives:
                m = max(m, extra_match(concept, doc.candidate.extra))
        gained += need.weight * m
    coverage = gained / total_weight if total_weight else 0.0
    return coverage + title.bonus, coverage


def rank(plan: Plan, candidates: list[Candidate]) -> tuple[list[tuple[float, Doc]], bool]:
    """Candidates best first, weak ones dropped; also whether anything was dropped."""
    cache: dict[str, TitleScore] = {}
    scored = []
    for candidate in candidates:
        doc = Doc(candidate)
        final, coverage = score(plan, doc, cache)
        if coverage >= MIN_COVERAGE:
            scored.append((final, doc))
    if not scored:
        return [], bool(candidates)
    best = max(s for s, _ in scored)
    kept = [(s, d) for s, d in scored if s >= KEEP_RATIO * best]
    kept.sort(key=lambda sd: (-round(sd[0], 2), -sd[1].candidate.popularity, sd[1].candidate.item_id))
    return kept, len(kept) < len(candidates)


# ---------------------------------------------------------------------------------------------
# Highlighting and correction


def _syllable_spans(key: str) -> tuple[list[str], list[int]]:
    """Pinyin syllable of every Han character of the title, with its position."""
    syllables: list[str] = []
    positions: list[int] = []
    start = None
    for i, ch in enumerate(key + " "):
        if analysis.is_han(ch):
            if start is None:
                start = i
        elif start is not None:
            run = key[start:i]
            syllables.extend(analysis.syllables_of(run))
            positions.extend(range(start, i))
            start = None
    return syllables, positions


def _find_syllables(key: str, wanted: tuple[str, ...], initials: bool = False) -> tuple[int, int] | None:
    if not wanted:
        return None
    syllables, positions = _syllable_spans(key)
    n = len(wanted)
    for i in range(len(syllables) - n + 1):
        window = syllables[i : i + n]
        if initials:
            ok = all(s and s[0] == w for s, w in zip(window, wanted, strict=True))
        else:
            ok = window == list(wanted)
        if ok and positions[i + n - 1] - positions[i] == n - 1:
            return positions[i], positions[i] + n
    return None


def concept_span(concept: Concept, key: str) -> tuple[int, int] | None:
    """Where in the title a concept was found, literally, by sound or by initials."""
    if not concept.latin:
        at = key.find(concept.text)
        if at >= 0:
            return at, at + len(concept.text)
        return _find_syllables(key, concept.syllables) if all(concept.syllables) else None
    span = _find_syllables(key, concept.syllables) if concept.syllables else None
    if span is None and len(concept.text) >= 2:
        span = _find_syllables(key, tuple(concept.text), initials=True)
    return span


def highlight(plan: Plan, title: str) -> str:
    """The title as safe HTML with the matched parts wrapped in <mark>."""
    key = title_key(title)
    marked = [False] * len(title)
    for need in plan.needs:
        if need.weight <= 0:
            continue
        for concept in need.alternatives:
            span = concept_span(concept, key)
            if span is None and not concept.latin and len(concept.text) > 2:
                for gram in concept.char_grams:
                    at = key.find(gram)
                    if at >= 0:
                        marked[at : at + 2] = [True, True]
                continue
            if span is not None:
                for i in range(*span):
                    marked[i] = True
    html: list[str] = []
    i = 0
    while i < len(title):
        j = i
        while j < len(title) and marked[j] == marked[i]:
            j += 1
        segment = escape(title[i:j])
        html.append(f"<mark>{segment}</mark>" if marked[i] else segment)
        i = j
    return mark_safe("".join(html))  # noqa: S308 - every segment is escaped above


def correction(plan: Plan, top: Doc) -> str | None:
    """The query with misspelt or pinyin words replaced by the title's words, when any were."""
    corrected = plan.text
    changed = False
    for need in plan.needs:
        if not need.literal or need.weight <= 0:
            continue
        concept = need.alternatives[0]
        if not concept.latin and concept.text in top.key:
            continue
        span = concept_span(concept, top.key)
        if span is None:
            continue
        replacement = top.candidate.title[span[0] : span[1]]
        if replacement and replacement != concept.text and concept.text in corrected:
            corrected = corrected.replace(concept.text, replacement, 1)
            changed = True
    return corrected if changed else None


# ---------------------------------------------------------------------------------------------
# Public functions


def _check_paging(page: int, page_size: int) -> None:
    if not isinstance(page, int) or page < 1:
        raise InvalidInput(_("页码应为不小于 1 的整数。"), field="page")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(_("每页条数应在 1 到 100 之间。"), field="page_size")


# What a result row shows (API, search page, suggestions): an item row is wide (guide texts),
# and loading only these columns halves the cost of the shown page.
SHOWN_FIELDS = (
    "code",
    "name",
    "status",
    "item_type",
    "for_person",
    "for_enterprise",
    "online_depth",
    "visits_required",
    "promised_limit",
    "promised_limit_unit",
    "popularity",
    "department__id",
    "department__name",
    "region__id",
    "region__code",
    "region__name",
    "region__full_name",
    "region__level",
)


def _shown_items(ids: list[int]) -> dict[int, ServiceItem]:
    """The published items among ``ids`` by primary key.

    The status is checked here rather than in SQL: with ``status = …`` in the statement SQLite
    prefers the status index (every item is published) over the primary key and reads the
    whole catalogue (tens of milliseconds at province scale instead of a fraction of one).
    """
    if not ids:
        return {}
    rows = (
        ServiceItem.objects.filter(pk__in=ids)
        .select_related("department", "region")
        .only(*SHOWN_FIELDS)
        .order_by()
    )
    return {item.pk: item for item in rows if item.status == ServiceItem.Status.PUBLISHED}


def search_items(
    query: str,
    *,
    region_code: str | None = None,
    audience: str | None = None,
    department_id: int | None = None,
    theme_slug: str | None = None,
    item_type: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    """Published items matching an everyday-language query, best first.

    An empty or blank query gives an empty page (no error); a query longer than
    ``MAX_QUERY_LENGTH`` characters raises ``SearchQueryTooLong``; bad filters or paging raise
    ``InvalidInput``.
    """
    _check_paging(page, page_size)
    text = " ".join((query or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryTooLong(field="q")
    filters = filter_node(region_code, audience, department_id, theme_slug, item_type)
    empty = SearchPage(total=0, hits=[], page=page, page_size=page_size, query=text)
    if not text:
        return empty
    plan = plan_query(text)
    if plan.empty:
        return empty
    node, candidates, overflow = candidates_for(plan, filters)
    ranked, dropped = rank(plan, candidates)
    total = len(ranked) + (overflow if not dropped else 0)
    start = (page - 1) * page_size
    window = ranked[start : start + page_size]
    if overflow and not dropped and start + page_size > len(ranked):
        offset = MAX_CANDIDATES + max(0, start - len(ranked))
        for candidate in fetch_candidates(node, page_size - len(window), by_popularity=True, offset=offset):
            doc = Doc(candidate)
            window.append((score(plan, doc)[0], doc))
    items = _shown_items([d.candidate.item_id for _, d in window])
    hits = [
        SearchHit(
            item=items[d.candidate.item_id],
            score=round(s, 4),
            highlighted_name=highlight(plan, items[d.candidate.item_id].name),
        )
        for s, d in window
        if d.candidate.item_id in items
    ]
    corrected = correction(plan, ranked[0][1]) if ranked else None
    return SearchPage(
        total=total, hits=hits, page=page, page_size=page_size, query=text, corrected_query=corrected
    )


def suggest(prefix: str, *, region_code: str | None = None, limit: int = 8) -> list[dict]:
    """Distinct item names for the search box as the user types (most relevant, then popular)."""
    text = " ".join((prefix or "").split())[:MAX_QUERY_LENGTH]
    limit = max(1, min(int(limit), 20))
    filters = filter_node(region_code, None, None, None, None)
    compact = "".join(analysis.runs(analysis.normalize(text)))
    if not compact:
        return []
    if analysis.is_han(compact) and len(compact) >= 2:
        # Names containing what was typed so far.
        grams = tuple(Term(compact[i : i + 2], ("grams",)) for i in range(len(compact) - 1))
        node = All(grams) if len(grams) > 1 else grams[0]
    elif analysis.is_latin(compact):
        node = Term(compact, ("pinyin",), prefix=True)
    else:
        node = None
    plan = plan_query(text)
    if plan.empty and node is None:
        return []
    results: list[Candidate] = []
    if node is not None:
        results = fetch_candidates(All((node, *filters)) if filters else node, 60, by_popularity=True)
    if not results and not plan.empty:
        node = All((match_node(plan), *filters)) if filters else match_node(plan)
        results = fetch_candidates(node, 60, by_popularity=True)
    if not results:
        return []
    ordered = sorted(
        ((score(plan, Doc(c))[0] if not plan.empty else 0.0, c) for c in results),
        key=lambda sc: (-round(sc[0], 2), -sc[1].popularity, len(sc[1].title), sc[1].item_id),
    )
    chosen: dict[str, int] = {}
    for _s, c in ordered:
        if c.title not in chosen:
            chosen[c.title] = c.item_id
        if len(chosen) >= limit:
            break
    items = _shown_items(list(chosen.values()))
    return [
        {"code": items[i].code, "name": items[i].name, "department": items[i].department.name}
        for i in chosen.values()
        if i in items
    ]


def index_items(item_ids: Iterable[int]) -> None:
    """(Re)index these items; unpublished ones are removed from the index."""
    indexer.index_items(item_ids)


def rebuild_index() -> int:
    """Rebuild the whole index from the published items; returns how many are indexed."""
    return indexer.rebuild_index()


__all__ = [
    "SearchHit",
    "SearchPage",
    "SearchQueryTooLong",
    "index_items",
    "rebuild_index",
    "search_items",
    "suggest",
]
