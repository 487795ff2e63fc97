"""Inbox messages in the shared authorization table: only the addressee marks one read.

Webhook subscriptions have no page or API of their own (the admin manages them, guarded as a
whole in tests/identity/test_authorization.py).
"""

import pytest
from django.urls import reverse

from tests.identity.authorization import OUTSIDERS, ObjectURL, World, check_outsider, check_owner

ROWS = [
    ObjectURL(
        "page: mark a message read",
        "post",
        lambda w: reverse("notifications:read", args=[w.notification.pk]),
        "citizen",
    ),
]


# A person's inbox is theirs alone, whoever else is signed in.
APPLICANT_SIDE = ROWS


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_are_refused(client, db, row, outsider):
    check_outsider(client, World(), row, outsider)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_the_owner_gets_through(client, db, row):
    check_owner(client, World(), row)


@pytest.mark.parametrize("row", APPLICANT_SIDE, ids=lambda r: r.name)
def test_department_staff_are_outsiders_on_the_applicants_side(client, db, row):
    check_outsider(client, World(), row, "staff")
