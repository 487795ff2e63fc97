"""A module-scoped 广安市 demo catalogue for tests that need realistic data.

Use it from a test module with ``from tests.fixtures_demo import demo_catalog  # noqa: F401``
and ``pytestmark = pytest.mark.django_db``. The demo (regions, catalogue, search index and
any step other apps add) is loaded once per module inside a transaction that is rolled back
when the module ends, so tests elsewhere still start from an empty database. Each test runs
in a savepoint inside it. Do not combine with ``transactional_db``/``live_server``: those
flush tables and would remove the data mid-module.
"""

import pytest
from django.db import transaction

from tongban.demo import run_steps


def load_demo_for_module(django_db_blocker, skip: list[str] | None = None):
    """Generator used by module-scoped fixtures: load, yield the step timings, roll back."""
    with django_db_blocker.unblock(), transaction.atomic():
        timings = run_steps(scale="city", skip=skip)
        yield timings
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker):
    yield from load_demo_for_module(django_db_blocker)
