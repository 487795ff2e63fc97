"""The database cache's table comes with ``migrate``.

Without it a fresh install answered every page with a 500 ("no such table: tongban_cache") until
someone ran ``tongban createcachetable``. This runs that command for every database cache in
``CACHES`` (none when the shared cache is Redis); the command skips a table that already exists,
so databases that ran it by hand migrate unchanged.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_audit_log")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False)]
