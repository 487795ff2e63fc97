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

from . import analysis, indexer, intent
from .analysis import Concept
from .backends import All, Any, Candidate, Term, fetch_candidates, fetch_popular_with_total

MAX_QUERY_LENGTH = 100
MAX_PAGE_SIZE = 100
MAX_CANDIDATES = 600  # everything matching up to this many is ranked exactly
SYNONYM_PENALTY = 0.4  # weight left to everyday words that a synonym explains
SYNONYM_BOOST = 1.5
SELECTIVE_WEIGHT = 0.8  # needs at least this heavy drive the database match
OTHER_REGIONS_SHOWN = 8  # a service offered in every county lists its nearest few, and counts the rest
KEEP_RATIO = 0.45  # results below this share of the best score are dropped
MIN_COVERAGE = 0.2
INTENT_MATCH = 0.3  # share of an item's coverage added when its action is the one asked for
INTENT_NEUTRAL = 0.1  # …when its name names no action (asked for one, or asked for none)
NEAREST = 5  # items offered when nothing matches
FEW_STRICT = 10  # a strict match finding fewer items than this is completed by the loose match
ALSO_MATCH = 0.1  # per further word of a synonym's concept found in the name (at most two)
ACTION_WORD_MATCH = 0.05  # the name holds the very action word asked for (年审 → 年度审验)


class SearchQueryTooLong(InvalidInput):
    code = "search_query_too_long"
    default_message = _("搜索内容过长，请不超过 100 个字。")


@dataclass
class SearchHit:
    item: ServiceItem
    score: float
    highlighted_name: str
    # The same service as implemented in other regions (same base code or same name), when the
    # search groups regions: ``item`` is the chosen region's implementation. At most
    # ``OTHER_REGIONS_SHOWN`` of them, nearest first; ``other_regions_total`` counts them all.
    other_regions: list[ServiceItem] = field(default_factory=list)
    other_regions_total: int = 0

    @property
    def more_regions(self) -> int:
        return max(0, self.other_regions_total - len(self.other_regions))


@dataclass
class SearchPage:
    total: int
    hits: list[SearchHit]
    page: int
    page_size: int
    query: str
    corrected_query: str | None = None
    # When nothing matches: the items closest to the query (any shared word or character,
    # popular first), for the page to offer instead of an empty list.
    nearest: list[SearchHit] = field(default_factory=list)


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
    intents: frozenset[str] = frozenset()  # action classes the person asked for (see ``intent``)
    actions: frozenset[str] = frozenset()  # the action words themselves

    @property
    def empty(self) -> bool:
        return not any(n.weight > 0 for n in self.needs)


def matched_synonyms(compact: str, latin: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Synonyms whose phrase occurs in the query, or is typed as pinyin or initials ('sbk').

    One statement (the database does the substring test). Returns (phrase, expansions, how the
    query says it: the phrase itself or the typed latin word), longest phrases first; a phrase
    inside a longer matched one of the same kind (intent or concept) is left out: "社保" says
    less than "社保卡", but the intent in "开" still counts within "开店".
    """
    if not compact:
        return []
    table = SearchSynonym._meta.db_table
    position = "strpos(%s, phrase)" if connection.vendor == "postgresql" else "instr(%s, phrase)"
    sql = f"SELECT phrase, expansions, pinyin, initials FROM {table} WHERE {position} > 0"  # noqa: S608
    params: list = [compact]
    typed = [w for w in dict.fromkeys(latin or []) if len(w) >= 2]
    if typed:
        marks = ", ".join(["%s"] * len(typed))
        sql += f" OR pinyin IN ({marks}) OR initials IN ({marks})"
        params += typed + typed
    # A plain statement: building the equivalent ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for phrase, expansions, pinyin, initials in rows:
        if phrase in compact:
            found.append((phrase, expansions, phrase))
        else:
            found.append((phrase, expansions, pinyin if pinyin in typed else initials))
    found.sort(key=lambda r: (-len(r[2]), -len(r[0]), r[0]))
    kinds = {r[0]: is_intent(r[1]) for r in found}
    return [
        r
        for r in found
        if not any(len(o[2]) > len(r[2]) and r[2] in o[2] and kinds[o[0]] == kinds[r[0]] for o in found)
    ]


def typed_pieces(latin: list[str]) -> list[str]:
    """Parts of typed latin that may spell a phrase: runs of whole pinyin syllables
    ('gongsizhuce' → gongsi, zhuce, …) and runs of three or more letters (initials: 'sbkbl' → sbk)."""
    pieces: list[str] = []
    for word in latin:
        if len(word) > 24:
            continue
        pieces.append(word)
        syllables = analysis.split_pinyin(word)
        if syllables and len(syllables) > 2:
            for i in range(len(syllables)):
                for j in range(i + 2, len(syllables) + 1):
                    pieces.append("".join(syllables[i:j]))
        if len(word) <= 8:
            pieces.extend(word[i:j] for i in range(len(word)) for j in range(i + 3, len(word) + 1))
    return list(dict.fromkeys(pieces))


def is_intent(expansions: str) -> bool:
    """An entry whose official words are all action words says what to do, not what about."""
    terms = expansions.split()
    return bool(terms) and all(intent.is_action_word(t) for t in terms)


def plan_query(text: str) -> Plan:
    norm = analysis.normalize(text)
    compact = "".join(analysis.runs(norm))
    query_words = analysis.words(norm)
    synonyms = matched_synonyms(compact, typed_pieces([w for w in query_words if analysis.is_latin(w)]))
    covered = [False] * len(compact)
    intents = set(intent.query_classes(compact))
    concept_synonyms = []
    for phrase, expansions, said in synonyms:
        # Action words say what to do (intents); the other words what about (concepts).
        intents |= intent.classes_of_words(expansions.split())
        concepts = [t for t in expansions.split() if not intent.is_action_word(t)]
        if concepts:
            concept_synonyms.append((phrase, " ".join(concepts)))
        start = compact.find(said)
        while start >= 0:
            for i in range(start, start + len(said)):
                covered[i] = True
            start = compact.find(said, start + 1)
    needs: list[Need] = []
    seen: set[str] = set()
    pos = 0
    for word in query_words:
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
    for phrase, expansion_text in concept_synonyms:
        terms = [analysis.normalize(t).replace(" ", "") for t in expansion_text.split()]
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms:
            continue
        weight = SYNONYM_BOOST * max(max(analysis.word_weight(t) for t in terms), 0.8)
        # The everyday phrase itself also satisfies the need: a name may use it (乡村医生).
        alternatives = [analysis.concept_for(t, weight, from_synonym=True) for t in terms]
        if phrase not in terms and len(phrase) >= 2 and analysis.is_han(phrase):
            alternatives.append(analysis.concept_for(phrase, weight, from_synonym=True))
        needs.append(Need(weight, alternatives, literal=False))
        expansions.extend(terms)
        if phrase not in seen:
            seen.add(phrase)
    if intents and not any(n.weight >= SELECTIVE_WEIGHT for n in needs) and any(n.weight > 0 for n in needs):
        # Nothing but an intent said in words ("暂停营业"): its action words are what to find.
        terms = list(
            dict.fromkeys(t for _p, e, _s in synonyms for t in e.split() if intent.is_action_word(t))
        )
        if terms:
            needs.append(Need(1.0, [analysis.concept_for(t, 1.0, from_synonym=True) for t in terms], False))
    actions = frozenset(t for _p, e, _s in synonyms for t in e.split() if intent.is_action_word(t))
    return Plan(
        text=norm,
        compact=compact,
        needs=needs,
        expansions=list(dict.fromkeys(expansions)),
        intents=frozenset(intents),
        actions=actions | frozenset(w for w in query_words if intent.is_action_word(w)),
    )


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
    if len(text) == 1 and not literal:
        forms.append(Term(text, ("grams",)))  # a one-character concept (狗 → 犬)
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


def match_node(plan: Plan, fuzzy: bool = True, *, every_need: bool = False):
    """Items matching any selective need (any need at all when none is selective, or when
    ``every_need``: the last resort before 'nothing matches')."""
    selective = [n for n in plan.needs if n.weight >= SELECTIVE_WEIGHT]
    weighted = [n for n in plan.needs if n.weight > 0]
    if every_need and (not selective or len(selective) == len(weighted)):
        return None  # the same as the ordinary loose match
    chosen = weighted if every_need else selective or weighted
    forms: list = []
    for need in chosen:
        forms.extend(_need_forms(need, fuzzy))
        if every_need or not selective:
            forms.extend(
                Term(c.text, ("grams",)) for c in need.alternatives if len(c.text) == 1 and not c.latin
            )
    return Any(tuple(dict.fromkeys(forms)))


def strict_node(plan: Plan, fuzzy: bool, *, spare: int = 0):
    """Items matching every selective need (all but ``spare`` of them); None if that is not stricter."""
    selective = [n for n in plan.needs if n.weight >= SELECTIVE_WEIGHT]
    if len(selective) - spare < 2:
        return None
    parts = [Any(_need_forms(need, fuzzy)) for need in selective]
    if not spare:
        return All(tuple(parts))
    return Any(tuple(All(tuple(p for i, p in enumerate(parts) if i != skip)) for skip in range(len(parts))))


def candidates_for(plan: Plan, filters: list):
    """(node, candidates, overflow) from the first of these matches that finds anything.

    Every need, then all needs but one, then any; exact forms before typo-tolerant ones: a
    well-typed query is answered by a cheap, precise match, and only a query that finds nothing
    pays for tolerance. A strict match that finds fewer than ``FEW_STRICT`` items is completed
    by the loose one (any selective need), so that partial matches still rank below it.
    ``overflow`` counts matches beyond ``MAX_CANDIDATES`` (then the candidates are the most
    popular matches). A tier costs one statement (on SQLite a second one counts, only when
    more than ``MAX_CANDIDATES`` match).
    """
    strict = (
        strict_node(plan, fuzzy=False),
        strict_node(plan, fuzzy=True),
        strict_node(plan, fuzzy=True, spare=1),
    )
    few: list[Candidate] = []
    few_node = None
    for core in strict:
        if core is None:
            continue
        node = All((core, *filters)) if filters else core
        candidates, total = fetch_popular_with_total(node, MAX_CANDIDATES)
        if len(candidates) >= FEW_STRICT:
            return node, candidates, total - len(candidates)
        if candidates:
            # Partial matches never vanish behind a handful of full ones: the loose match
            # adds them, ranked below by the scorer.
            few, few_node = candidates, node
            break
    loose = (
        match_node(plan, fuzzy=False),
        match_node(plan, fuzzy=True),
        match_node(plan, fuzzy=True, every_need=True),
    )
    for core in loose:
        if core is None:
            continue
        node = All((core, *filters)) if filters else core
        candidates, total = fetch_popular_with_total(node, MAX_CANDIDATES)
        if candidates:
            seen = {c.item_id for c in few}
            return node, few + [c for c in candidates if c.item_id not in seen], total - len(candidates)
    if few:
        return few_node, few, 0
    return None, [], 0


def filter_node(
    region_code: str | None,
    audience: str | None,
    department_id: int | None,
    theme_slug: str | None,
    item_type: str | None,
):
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

    __slots__ = ("key", "core", "words", "pinyin", "grams", "actions", "siblings", "plain")

    def __init__(self, title: str) -> None:
        analysed = analysis.analyse_name(title)
        self.key = title_key(title)
        self.core = "".join(analysis.runs(analysis.without_qualifiers(analysis.normalize(title))))
        self.actions = intent.item_classes(self.key)
        self.siblings = intent.sibling_key(self.core)
        self.plain = not self.actions or self.actions == {intent.NEW}
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


def _negated(text: str, key: str) -> bool:
    """Whether every occurrence of ``text`` in the name follows 非 ('非公司企业法人' is no company)."""
    if text.startswith("非"):
        return False
    at = key.find(text)
    if at < 0:
        return False
    while at >= 0:
        if at == 0 or key[at - 1] != "非":
            return False
        at = key.find(text, at + 1)
    return True


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
    if text in doc.key or text in doc.core:
        return 1.0 if not _negated(text, doc.key) else 0.5
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
        if best == 1.0 and not need.literal and len(need.alternatives) > 1:
            # Like a term frequency: a name holding several words of the concept is more about it.
            also = sum(1 for c in need.alternatives if title_match(c, doc) == 1.0) - 1
            best += ALSO_MATCH * min(also, 2)
        matches.append(best)
        if best >= 1.0:
            explained += max(
                (len(c.text) for c in need.alternatives if c.text in doc.key or c.text in doc.core), default=0
            )
    bonus = 0.0
    if plan.compact and plan.compact == doc.key:
        bonus += 0.5
    if any(term == doc.key for term in plan.expansions):
        bonus += 0.35
    if doc.key:
        bonus += 0.2 * min(explained / len(doc.key), 1.0)
    if any(len(a) >= 2 and a in doc.key for a in plan.actions):
        bonus += ACTION_WORD_MATCH
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
    return coverage + title.bonus + coverage * intent_bonus(plan, doc.title), coverage


def intent_bonus(plan: Plan, doc: TitleDoc) -> float:
    """Siblings differ only in their action: the one doing what was asked comes first.

    Asked for an action: items whose name does it gain most, items naming no action a little.
    Asked for none: no change here (``plain_service_first`` breaks the remaining ties).
    """
    if not plan.intents:
        return 0.0
    if doc.actions & plan.intents:
        # An item for several actions ("申请设立、变更或注销登记") is less specifically the one asked for.
        return INTENT_MATCH / len(doc.actions)
    return INTENT_NEUTRAL if not doc.actions else 0.0


def plain_service_first(doc: TitleDoc) -> int:
    """Among equally relevant and equally used items, the plain service (a new application, or
    no action named) before its replacements, changes and closures."""
    return 0 if doc.plain else 1


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
    kept.sort(
        key=lambda sd: (
            -round(sd[0], 2),
            -sd[1].candidate.popularity,
            plain_service_first(sd[1].title),
            sd[1].candidate.item_id,
        )
    )
    if not plan.intents:
        kept = plain_siblings_first(kept)
    return kept, len(kept) < len(candidates)


def plain_siblings_first(ranked: list[tuple[float, "Doc"]]) -> list[tuple[float, "Doc"]]:
    """Asked for no particular action, the plain service leads its siblings (the items of the
    same name that differ only in the action: 初次申领 before 补换证, 转入, 注销); every other
    item keeps its place."""
    groups: dict[str, list[int]] = {}
    for position, (_s, doc) in enumerate(ranked):
        groups.setdefault(doc.title.siblings, []).append(position)
    result = list(ranked)
    for positions in groups.values():
        if len(positions) < 2:
            continue
        members = sorted((ranked[p] for p in positions), key=lambda sd: plain_service_first(sd[1].title))
        for position, member in zip(positions, members, strict=True):
            result[position] = member
    return result


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
            if span is None and need.literal and not concept.latin and len(concept.text) > 2:
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
    group_regions: bool = False,
    prefer_region: str | None = None,
) -> SearchPage:
    """Published items matching an everyday-language query, best first.

    An empty or blank query gives an empty page (no error); a query longer than
    ``MAX_QUERY_LENGTH`` characters raises ``SearchQueryTooLong``; bad filters or paging raise
    ``InvalidInput``. When nothing matches, ``nearest`` holds the closest items.

    ``group_regions``: one hit per service: items of the same base code, or of the same name,
    in different regions are one hit whose ``item`` is the implementation nearest to
    ``prefer_region`` (else to ``region_code``, else the best ranked) and whose
    ``other_regions`` are the others; ``total`` then counts services.
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
    if not ranked:
        empty.nearest = nearest(plan, filters)
        return empty
    preferred = prefer_region or region_code
    groups = group_by_service(ranked, preferred) if group_regions else [[entry] for entry in ranked]
    total = len(groups) + (overflow if not dropped else 0)
    start = (page - 1) * page_size
    window = groups[start : start + page_size]
    if overflow and not dropped and start + page_size > len(groups):
        offset = MAX_CANDIDATES + max(0, start - len(groups))
        for candidate in fetch_candidates(node, page_size - len(window), by_popularity=True, offset=offset):
            doc = Doc(candidate)
            window.append([(score(plan, doc)[0], doc)])
    shown = [group[: 1 + OTHER_REGIONS_SHOWN] for group in window]
    items = _shown_items([d.candidate.item_id for group in shown for _, d in group])
    hits = []
    for group, kept in zip(window, shown, strict=True):
        (s, d), others = kept[0], kept[1:]
        if d.candidate.item_id not in items:
            continue
        hits.append(
            SearchHit(
                item=items[d.candidate.item_id],
                score=round(s, 4),
                highlighted_name=highlight(plan, items[d.candidate.item_id].name),
                other_regions=[items[o.candidate.item_id] for _, o in others if o.candidate.item_id in items],
                other_regions_total=len(group) - 1,
            )
        )
    corrected = correction(plan, ranked[0][1]) if ranked else None
    return SearchPage(
        total=total, hits=hits, page=page, page_size=page_size, query=text, corrected_query=corrected
    )


def _region_digits(code: str | None) -> str:
    return (code or "").rstrip("0") if code else ""


def group_by_service(ranked: list[tuple[float, Doc]], preferred: str | None) -> list[list[tuple[float, Doc]]]:
    """Ranked items as services: one group per base code or name, at most one item per region.

    A group sits where its best-ranked item was; its first item is the one whose region shares
    the longest code prefix with ``preferred`` (the chosen or the user's region).
    """
    want = _region_digits(preferred)
    groups: list[list[tuple[float, Doc]]] = []
    by_key: dict[tuple[str, str], list[int]] = {}
    for entry in ranked:
        candidate = entry[1].candidate
        keys = [("name", entry[1].title.core)]
        if candidate.base_code:
            keys.append(("base", candidate.base_code))
        target = None
        for key in keys:
            for index in by_key.get(key, []):
                if all(m[1].candidate.region_code != candidate.region_code for m in groups[index]):
                    target = index
                    break
            if target is not None:
                break
        if target is None:
            target = len(groups)
            groups.append([])
        groups[target].append(entry)
        for key in keys:
            if target not in by_key.setdefault(key, []):
                by_key[key].append(target)
    if want:
        for group in groups:
            if len(group) > 1:
                group.sort(key=lambda e: -_common_prefix(_region_digits(e[1].candidate.region_code), want))
    return groups


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def nearest(plan: Plan, filters: list) -> list[SearchHit]:
    """Items sharing any word or character with the query, most shared first, then popular.

    A looser match than the search itself, for a query that found nothing.
    """
    chars = {ch for ch in plan.compact + "".join(plan.expansions) if analysis.is_han(ch)}
    chars -= analysis.STOPWORDS
    terms = [Term(ch, ("grams",)) for ch in sorted(chars)]
    terms += [
        Term(c.text, ("tokens", "pinyin"))
        for need in plan.needs
        for c in need.alternatives
        if c.latin and len(c.text) >= 2
    ]
    if not terms:
        return []
    core = Any(tuple(terms)) if len(terms) > 1 else terms[0]
    candidates = fetch_candidates(All((core, *filters)) if filters else core, 200, by_popularity=True)
    if not candidates:
        return []

    def shared(candidate: Candidate) -> int:
        return sum(1 for ch in chars if ch in candidate.title)

    chosen: dict[str, Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (-shared(c), -c.popularity, c.item_id)):
        chosen.setdefault(candidate.title, candidate)
        if len(chosen) >= NEAREST:
            break
    items = _shown_items([c.item_id for c in chosen.values()])
    return [
        SearchHit(item=items[c.item_id], score=0.0, highlighted_name=escape(items[c.item_id].name))
        for c in chosen.values()
        if c.item_id in items
    ]


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
