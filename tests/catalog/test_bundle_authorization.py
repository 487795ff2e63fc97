"""一件事 workspace of the catalogue: every object URL in the shared authorization table
(tests/identity/test_authorization.py). A bundle is its lead department's (county 511602, whose
``staff`` hold 事项管理); another county's catalogue staff, citizens and anonymous visitors are
refused and change nothing."""

from django.urls import reverse

from tests.cases.test_joint_authorization import BUNDLE, joint_bundle
from tests.identity.authorization import ObjectURL, outsiders_test, owner_test, without_role_test

ROWS = [
    ObjectURL(
        "page: bundle in the catalogue workspace",
        "get",
        lambda w: reverse("catalog:bundle", args=[joint_bundle(w).pk]),
        "staff",
        shows=lambda w: BUNDLE,
    ),
    ObjectURL(
        "page: withdraw a bundle",
        "post",
        lambda w: reverse("catalog:bundle_action", args=[joint_bundle(w).pk]),
        "staff",
        data=lambda w: {"action": "withdraw"},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
# A member of the lead department without 事项管理 (only 受理) changes nothing either.
test_the_catalogue_role_is_needed = without_role_test(ROWS, [("page: withdraw a bundle", "intake")])
