"""The catalogue admin's writes from the search log: a synonym for an everyday phrase, and a
query marked as dealt with."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import SearchClick, SearchQuery, SearchQueryReview, SearchSynonym
from tongban.catalog.search import analysis
from tongban.core import audit
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.core.types import User, actor_label

from .recording import MAX_QUERY_LENGTH
from .selectors import can_review

MAX_PHRASE = SearchSynonym._meta.get_field("phrase").max_length
MAX_EXPANSIONS = SearchSynonym._meta.get_field("expansions").max_length
MAX_TERM = 30
RETENTION_DAYS = 400  # a year to compare with, and no longer: the log is for learning, not an archive
_SEPARATORS = re.compile(r"[\s,，、;；/|]+")


def _check(actor: User | None) -> None:
    if not can_review(actor):
        raise PermissionDenied(_("只有事项管理员可以处理检索词和维护同义词。"))


def clean_phrase(phrase: str) -> str:
    """The phrase as search matches it: half-width, lower case, no spaces or punctuation."""
    return "".join(analysis.runs(analysis.normalize(phrase or "")))


def _clean_terms(expansions: str) -> list[str]:
    terms = [analysis.normalize(t) for t in _SEPARATORS.split(expansions or "")]
    return list(dict.fromkeys(t for t in terms if t))


def _finds_nothing(terms: list[str]) -> list[str]:
    """The terms that match no published item at all (most likely a typo)."""
    from tongban.catalog.search import search_items

    return [t for t in terms if search_items(t, page_size=1).total == 0]


def add_synonym(*, actor: User | None, phrase: str, expansions: str) -> SearchSynonym:
    """Teach search that ``phrase`` (everyday words) means ``expansions`` (the concept words of
    item names). Applies to the next search: the synonym table is read per query and saving it
    renews the public page cache. An existing entry for the phrase is replaced."""
    _check(actor)
    clean = clean_phrase(phrase)
    terms = _clean_terms(expansions)
    if not clean:
        raise InvalidInput(_("请填写群众说法。"), field="phrase")
    if len(clean) > MAX_PHRASE:
        raise InvalidInput(_("群众说法最多 %(n)d 个字。") % {"n": MAX_PHRASE}, field="phrase")
    if not terms:
        raise InvalidInput(_("请填写对应的规范用语（事项名称里的词），多个用空格分隔。"), field="expansions")
    joined = " ".join(terms)
    if len(joined) > MAX_EXPANSIONS or any(len(t) > MAX_TERM for t in terms):
        raise InvalidInput(
            _("规范用语太长：每个词最多 %(term)d 个字，合计最多 %(total)d 个字。")
            % {"term": MAX_TERM, "total": MAX_EXPANSIONS},
            field="expansions",
        )
    if "".join(clean_phrase(t) for t in terms) == clean:
        raise InvalidInput(_("规范用语与群众说法相同，不需要同义词。"), field="expansions")
    missing = _finds_nothing(terms)
    if missing:
        raise InvalidInput(
            _("“%(terms)s”在已发布的事项中找不到，请换成事项名称里出现的词。")
            % {"terms": "、".join(missing)},
            field="expansions",
        )
    with transaction.atomic():
        synonym, created = SearchSynonym.objects.update_or_create(
            phrase=clean, defaults={"expansions": joined}
        )
        _mark(actor, clean, SearchQueryReview.Outcome.SYNONYM)
        audit.append(
            "catalog.synonym_added" if created else "catalog.synonym_changed",
            actor=actor,
            obj=synonym,
            summary={"phrase": synonym.phrase, "expansions": synonym.expansions},
        )
    return synonym


def review_query(*, actor: User | None, normalized: str, outcome: str) -> SearchQueryReview:
    """Mark a logged query as dealt with (reviewed or ignored): it leaves the open list until
    people search it again on a later day."""
    _check(actor)
    if outcome not in (SearchQueryReview.Outcome.REVIEWED, SearchQueryReview.Outcome.IGNORED):
        raise InvalidInput(_("处理结果只能是“已处理”或“已忽略”。"), field="outcome")
    clean = clean_phrase(normalized)
    if not clean or not SearchQuery.objects.filter(normalized=clean).exists():
        raise InvalidInput(_("检索记录里没有这条检索词。"), field="normalized")
    with transaction.atomic():
        review = _mark(actor, clean, outcome)
        audit.append(
            "catalog.search_query_reviewed",
            actor=actor,
            obj=review,
            summary={"normalized": clean, "outcome": outcome},
        )
    return review


def _mark(actor: User | None, normalized: str, outcome: str) -> SearchQueryReview:
    review, _created = SearchQueryReview.objects.update_or_create(
        normalized=normalized[:MAX_QUERY_LENGTH],
        defaults={"outcome": outcome, "reviewed_by": actor_label(actor), "reviewed_at": timezone.now()},
    )
    return review


def expire_old(today: dt.date | None = None) -> int:
    """The periodic duty: forget counts older than ``RETENTION_DAYS``; returns rows removed."""
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=RETENTION_DAYS)
    queries, _ = SearchQuery.objects.filter(day__lt=cutoff).delete()
    clicks, _ = SearchClick.objects.filter(day__lt=cutoff).delete()
    return queries + clicks
