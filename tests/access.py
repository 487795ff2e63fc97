"""Asking a service whether it would take an action, for the tests that pages and services agree."""

from django.db import transaction

from tongban.core.errors import ServiceError


class _Rollback(Exception):
    """Raised inside the savepoint so that whatever the service wrote is rolled back."""


def accepted(call) -> bool:
    """Does the service take the action? Its writes are rolled back either way."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return True
    except ServiceError:
        return False
