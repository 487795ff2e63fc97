"""Inbox messages in the shared authorization table: only the addressee marks one read.

Webhook subscriptions have no page or API of their own (the admin manages them, guarded as a
whole in tests/identity/test_authorization.py).
"""

from django.urls import reverse

from tests.identity.authorization import ObjectURL, applicant_side_test, outsiders_test, owner_test

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


test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_are_outsiders_on_the_applicants_side = applicant_side_test(APPLICANT_SIDE)
