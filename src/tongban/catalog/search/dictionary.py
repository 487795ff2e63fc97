"""The shipped starting dictionary of everyday phrases (``catalog/data/synonyms.txt``).

It seeds the admin-editable ``SearchSynonym`` table (data migration) and adds its official
terms to jieba's dictionary, so that they are segmented as whole words.
"""

import functools
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "synonyms.txt"


@functools.cache
def shipped_synonyms() -> tuple[tuple[str, str], ...]:
    """(phrase, expansions) pairs in file order; comment and blank lines skipped."""
    pairs = []
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        phrase, _, expansions = line.partition("\t")
        if phrase.strip() and expansions.strip():
            pairs.append((phrase.strip(), " ".join(expansions.split())))
    return tuple(pairs)


@functools.cache
def shipped_terms() -> tuple[str, ...]:
    """Every official term of the shipped dictionary, once.

    Only the official side goes to jieba: everyday phrases are matched as substrings of the query,
    and keeping them out of the segmenter leaves their parts ("身份证" + "丢了") as separate words.
    """
    terms: dict[str, None] = {}
    for _phrase, expansions in shipped_synonyms():
        for term in expansions.split():
            terms[term] = None
    return tuple(terms)


def phrase_pinyin(phrase: str) -> tuple[str, str]:
    """(full pinyin, initials) of an all-Han phrase, else ('', '').

    Initials only from three characters on: two letters ('db') stand for too many phrases.
    """
    from .analysis import is_han, syllables_of

    if len(phrase) < 2 or not is_han(phrase):
        return "", ""
    syllables = syllables_of(phrase)
    if not all(syllables):
        return "", ""
    initials = "".join(s[0] for s in syllables) if len(phrase) >= 3 else ""
    return "".join(syllables)[:240], initials[:60]


def normalise_pair(phrase: str, expansions: str) -> tuple[str, str]:
    """A dictionary line as ``SearchSynonym`` stores it (half-width, lower case, no spaces in the phrase)."""
    import unicodedata

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).lower().split())

    return norm(phrase).replace(" ", ""), norm(
        expansions.replace("，", " ").replace(",", " ").replace("、", " ")
    )


def update_shipped(model, untouched_pairs: set[tuple[str, str]] = frozenset()) -> int:
    """Replace the shipped entries no admin changed by the current shipped dictionary.

    ``model`` is ``SearchSynonym`` (or its historical version in a migration). Entries marked
    ``shipped`` and entries equal to one of ``untouched_pairs`` (an earlier shipped dictionary)
    are replaced; an admin's entries stay, and a shipped phrase an admin owns is not added.
    Returns the number of shipped entries afterwards.
    """
    current = [normalise_pair(p, e) for p, e in shipped_synonyms()]
    untouched = set(untouched_pairs) | set(current)
    stale = [
        pk
        for pk, phrase, expansions, origin in model.objects.values_list(
            "pk", "phrase", "expansions", "origin"
        )
        if origin == "shipped" or (phrase, expansions) in untouched
    ]
    model.objects.filter(pk__in=stale).delete()
    kept = set(model.objects.values_list("phrase", flat=True))
    rows = {}
    for phrase, expansions in current:
        if phrase and phrase not in kept and phrase not in rows:
            pinyin, initials = phrase_pinyin(phrase)
            rows[phrase] = model(
                phrase=phrase, expansions=expansions, origin="shipped", pinyin=pinyin, initials=initials
            )
    model.objects.bulk_create(rows.values(), batch_size=500)
    return len(rows)
