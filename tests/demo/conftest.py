import io

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo_command(django_db_setup, django_db_blocker):
    """`tongban demo` run once per module (without the search index, which search tests cover).

    Loaded inside a transaction rolled back at the end of the module; yields the command output.
    """
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--skip", "search", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
