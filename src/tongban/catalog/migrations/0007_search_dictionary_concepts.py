"""The concept dictionary replaces the first shipped dictionary; synonyms learn their pinyin.

The first dictionary (migration 0004) mapped everyday phrases to the demo's item names. Its
entries that no admin changed (phrase and expansions still exactly as shipped, kept in
``data/synonyms-before-0006.txt``) are deleted and the new shipped entries are added as
``shipped``; entries an admin added or changed stay as they are and keep their phrase. Every
entry gets its pinyin and initials. Index rows carry the item's base code (one service across
regions), and the index is rebuilt because names are now also indexed without their bracketed
qualifiers.
"""

from pathlib import Path

from django.db import migrations, models

BEFORE = Path(__file__).resolve().parent.parent / "data" / "synonyms-before-0006.txt"


def replace_shipped(apps, schema_editor):
    from tongban.catalog.search.dictionary import normalise_pair, phrase_pinyin, update_shipped

    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    before = set()
    for line in BEFORE.read_text(encoding="utf-8").splitlines():
        phrase, tab, expansions = line.partition("\t")
        if tab and not line.startswith("#") and phrase.strip() and expansions.strip():
            before.add(normalise_pair(phrase, expansions))
    update_shipped(SearchSynonym, before)
    for synonym in SearchSynonym.objects.filter(pinyin="", initials=""):
        synonym.pinyin, synonym.initials = phrase_pinyin(synonym.phrase)
        if synonym.pinyin:
            synonym.save(update_fields=["pinyin", "initials"])


def recreate_triggers(apps, schema_editor):
    """SQLite rebuilds the table to add a column, which drops its FTS5 triggers."""
    if schema_editor.connection.vendor != "sqlite":
        return
    from tongban.catalog.search.backends import SQLITE_TRIGGERS

    for name, sql in SQLITE_TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(sql)


def rebuild_index(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    if ServiceItem.objects.exists():
        from tongban.catalog.search import rebuild_index as rebuild

        rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_search_log"),
        # Rebuilding the index announces it, and the page cache then replaces its version in
        # the cache tables: on a database upgraded from before they existed, they must come first.
        ("core", "0002_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchsynonym",
            name="initials",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=60),
        ),
        migrations.AddField(
            model_name="searchsynonym",
            name="origin",
            field=models.CharField(
                choices=[("shipped", "随系统提供"), ("admin", "管理员维护")],
                default="admin",
                max_length=10,
                verbose_name="来源",
            ),
        ),
        migrations.AddField(
            model_name="searchsynonym",
            name="pinyin",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=240),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="base_code",
            field=models.CharField(
                blank=True, default="", help_text="groups one service across regions", max_length=20
            ),
        ),
        migrations.RunPython(recreate_triggers, migrations.RunPython.noop),
        migrations.RunPython(replace_shipped, migrations.RunPython.noop),
        migrations.RunPython(rebuild_index, migrations.RunPython.noop),
    ]
