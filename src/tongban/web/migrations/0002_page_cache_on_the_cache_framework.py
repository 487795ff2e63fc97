"""The page cache moves onto Django's cache framework (``CACHES["pages"]``).

Its two tables go; the ``pages`` alias's table (``tongban_pages`` when the cache is the database)
is created here for databases that ran core migration 0002 before the alias existed
(``createcachetable`` leaves existing tables alone). Going back recreates the empty tables.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_cache_table"),
        ("web", "0001_page_cache"),
    ]

    operations = [
        migrations.DeleteModel(name="CachedPage"),
        migrations.DeleteModel(name="CatalogueVersion"),
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False),
    ]
