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
