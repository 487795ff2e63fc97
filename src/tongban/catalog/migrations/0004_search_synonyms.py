"""Seed the admin-editable synonym table from the shipped starting dictionary.

Phrases that already exist (edited by an admin) are left as they are.
"""

import unicodedata

from django.db import migrations


def _norm(text):
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def seed(apps, schema_editor):
    from tongban.catalog.search.dictionary import shipped_synonyms

    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    existing = set(SearchSynonym.objects.values_list("phrase", flat=True))
    rows = {}
    for phrase, expansions in shipped_synonyms():
        key = _norm(phrase).replace(" ", "")
        if key and key not in existing and key not in rows:
            rows[key] = SearchSynonym(phrase=key, expansions=_norm(expansions))
    SearchSynonym.objects.bulk_create(rows.values(), batch_size=500)


def unseed(apps, schema_editor):
    from tongban.catalog.search.dictionary import shipped_synonyms

    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    phrases = [_norm(p).replace(" ", "") for p, _ in shipped_synonyms()]
    SearchSynonym.objects.filter(phrase__in=phrases).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_index")]

    operations = [migrations.RunPython(seed, unseed)]
