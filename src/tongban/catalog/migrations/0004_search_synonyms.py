"""Seed the admin-editable synonym table from the first shipped dictionary.

Phrases that already exist (edited by an admin) are left as they are. The dictionary of that
time is kept in ``data/synonyms-before-0006.txt``; migration 0007 replaces it with the current one.
"""

import unicodedata
from pathlib import Path

from django.db import migrations

BEFORE = Path(__file__).resolve().parent.parent / "data" / "synonyms-before-0006.txt"


def shipped_synonyms():
    pairs = []
    for line in BEFORE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        phrase, _, expansions = line.partition("\t")
        if phrase.strip() and expansions.strip():
            pairs.append((phrase.strip(), " ".join(expansions.split())))
    return pairs


def _norm(text):
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def seed(apps, schema_editor):
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    existing = set(SearchSynonym.objects.values_list("phrase", flat=True))
    rows = {}
    for phrase, expansions in shipped_synonyms():
        key = _norm(phrase).replace(" ", "")
        if key and key not in existing and key not in rows:
            rows[key] = SearchSynonym(phrase=key, expansions=_norm(expansions))
    SearchSynonym.objects.bulk_create(rows.values(), batch_size=500)


def unseed(apps, schema_editor):
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    phrases = [_norm(p).replace(" ", "") for p, _ in shipped_synonyms()]
    SearchSynonym.objects.filter(phrase__in=phrases).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_index")]

    operations = [migrations.RunPython(seed, unseed)]
