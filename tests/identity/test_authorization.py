"""Every object URL of the pages and the API, tried by people who must not reach it.

One mechanism (``tests/identity/authorization.py``), one table per app: each row names an
object URL (page or API), how to build it in a ``World``, and who owns it. The owner must get
through (so the row really reaches the object) and every outsider — another citizen, staff of
another department, an anonymous visitor — must get 403/404 (an anonymous visitor may instead be
sent to log in: 302 to a login page or API 401), never the object, and a refused action must
change nothing. This module holds the identity rows and what runs over every app's rows: the
same refusals through OIDC access tokens, agents whose authorisation ended, the Django admin,
and the completeness test — a URL pattern with a path parameter that is in no app's table and
not in ``PUBLIC_URLS`` fails it.
"""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tests.appointments.test_authorization import ROWS as APPOINTMENT_ROWS
from tests.cases.test_authorization import ROWS as CASE_ROWS
from tests.cases.test_crossregion_authorization import ROWS as CROSSREGION_ROWS
from tests.cases.test_documents_authorization import ROWS as DOCUMENT_TEMPLATE_ROWS
from tests.cases.test_joint_authorization import ROWS as JOINT_ROWS
from tests.catalog.test_bundle_authorization import ROWS as BUNDLE_ROWS
from tests.catalog.test_workspace_authorization import ROWS as CATALOGUE_ROWS
from tests.certificates.test_authorization import ROWS as CERTIFICATE_ROWS
from tests.certificates.test_type_pages_authorization import ROWS as CERTIFICATE_TYPE_ROWS
from tests.consult.test_authorization import ROWS as CONSULT_ROWS
from tests.decisions.test_authorization import ROWS as DECISION_ROWS
from tests.identity.authorization import (
    OUTSIDERS,
    ObjectURL,
    World,
    api_url,
    check_outsider,
    check_owner,
    has_parameter,
    key_of,
    object_url_patterns,
    outsiders_test,
    owner_test,
    refused,
    send,
    sign_in,
    walk_patterns,
)
from tests.notifications.test_authorization import ROWS as NOTIFICATION_ROWS
from tests.payments.test_authorization import ROWS as PAYMENT_ROWS
from tests.ratings.test_authorization import ROWS as RATING_ROWS
from tests.sharing.test_authorization import ROWS as SHARING_ROWS
from tests.supervision.cards.test_authorization import ROWS as CARD_ROWS
from tests.supervision.reports.test_authorization import ROWS as REPORT_ROWS
from tests.workflow.test_modeller_authorization import ROWS as PROCESS_ROWS
from tongban.identity.models import AgentAuthorization, User

ROWS = [
    ObjectURL(
        "page: enterprise",
        "get",
        lambda w: reverse("identity:enterprise", args=[w.enterprise.pk]),
        "citizen",
        shows=lambda w: w.enterprise.name,
    ),
    ObjectURL(
        "page: revoke agent",
        "post",
        lambda w: reverse("identity:revoke_agent", args=[w.enterprise.pk, w.grant.pk]),
        "citizen",
    ),
    ObjectURL(
        "page: act for enterprise",
        "post",
        lambda w: reverse("identity:acting_as"),
        "citizen",
        data=lambda w: {"enterprise": w.enterprise.pk},
        changes=False,
    ),
    ObjectURL(
        "page: department staff",
        "get",
        lambda w: reverse("identity:staff_department", args=[w.department.pk]),
        "staff",
        shows=lambda w: w.staff.real_name,
    ),
    ObjectURL(
        "page: revoke a connected department system",
        "post",
        lambda w: reverse("oidc:revoke", args=[w.connection.pk]),
        "citizen",
    ),
    ObjectURL(
        "page: remove a passkey",
        "post",
        lambda w: reverse("oidc:passkey-remove", args=[w.passkey.pk]),
        "citizen",
    ),
    ObjectURL(
        "api: enterprise",
        "get",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}"),
        "citizen",
        shows=lambda w: w.enterprise.name,
    ),
    ObjectURL(
        "api: enterprise agents",
        "get",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}/agents"),
        "citizen",
        shows=lambda w: f'"id": {w.grant.pk}',
    ),
    ObjectURL(
        "api: revoke agent",
        "post",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}/agents/{w.grant.pk}/revoke"),
        "citizen",
    ),
    ObjectURL(
        "api: department staff",
        "get",
        lambda w: api_url(f"/identity/departments/{w.department.pk}/staff"),
        "staff",
        shows=lambda w: w.staff.real_name,
    ),
]

ALL_ROWS = (
    ROWS
    + CASE_ROWS
    + CERTIFICATE_ROWS
    + RATING_ROWS
    + NOTIFICATION_ROWS
    + CERTIFICATE_TYPE_ROWS
    + PROCESS_ROWS
    + CATALOGUE_ROWS
    + DOCUMENT_TEMPLATE_ROWS
    + PAYMENT_ROWS
    + APPOINTMENT_ROWS
    + CONSULT_ROWS
    + DECISION_ROWS
    + SHARING_ROWS
    + CARD_ROWS
    + REPORT_ROWS
    + JOINT_ROWS
    + BUNDLE_ROWS
    + CROSSREGION_ROWS
)

# Object URLs that anyone may open, and why. Nothing else with a path parameter may be missing
# from the tables above. (The seal keys, /api/v1/certificates/keys, are a JWKS without a
# parameter; the OIDC provider's own JWKS and discovery likewise.)
PUBLIC_URLS = {
    # The guide (办事指南) and the catalogue: published for everyone, signed in or not.
    "PAGE items/<code>/": "guide page of a published item",
    "PAGE themes/<audience>/<slug>/": "catalogue theme",
    "PAGE for/<audience>/": "catalogue audience (个人/法人)",
    "PAGE departments/<pk>/": "a department's public page (items, figures)",
    "PAGE regions/<code>/": "items of a region",
    "PAGE life-events/<slug>/": "一件事 page",
    "GET api/v1/regions/<code>": "region",
    "GET api/v1/regions/<code>/tree": "region tree",
    "GET api/v1/departments/<department_id>": "department",
    "GET api/v1/life-events/<slug>": "一件事",
    "GET api/v1/items/<code>": "guide of a published item",
    # 一次性告知 of a published item; its POST starts the signed-in person's own draft.
    "PAGE items/<code>/apply/": "what to prepare before applying",
    # The same for a published 一件事: what will be applied for; its POST starts the signed-in
    # person's own joint draft (the draft's pages are in tests/cases/test_joint_authorization.py).
    "PAGE yijianshi/<slug>/apply/": "items of a published 一件事 before applying",
    # Online proofs (网上开证明): the item is a published one and the proof is issued to whoever
    # asks, about themself, into their own wallet.
    "PAGE proofs/<code>/": "online proof of a published item, for oneself",
    "POST api/v1/proofs/<item_code>": "online proof of a published item, for oneself",
    # Certificate verification: anyone checks a seal and status; personal data is masked.
    "PAGE certificates/verify/<identifier>/": "public verification",
    "GET api/v1/certificates/<identifier>/verify": "public verification",
    # Bearer links: the holder hands a 亮证 code (minutes) or a 用证 link (until its end) to a
    # third party; the unguessable token is the permission, and every use is logged.
    "PAGE certificates/presented/<token>/": "亮证 code",
    "PAGE certificates/shared/<token>/": "用证 link",
    "GET api/v1/certificates/shared/<token>": "用证 link",
    # The window's QR code: the person at the counter rates the visit without signing in.
    "PAGE ratings/visit/<token>/": "window visit evaluator",
    "POST api/v1/ratings/visits/<token>": "window visit evaluator",
    # Published satisfaction figures of a department (好差评 公开).
    "GET api/v1/departments/<department_id>/ratings": "public figures",
    # 统一支付: the providers' notifications and Alipay's signed return carry the provider's
    # signature, which is the permission (tongban.payments verifies it with the SDKs).
    "PAGE payments/notify/<channel>/": "payment channel notification, signed by the provider",
    "PAGE payments/<public_id>/return/": "Alipay's signed return of the payer's browser",
    # 政务信息资源目录: a published entry (what is shared, by whom, on what basis; no data and
    # no request or grant) is public; asking for it needs a department's 事项管理.
    "PAGE sharing/resources/<code>/": "published entry of the data resource catalogue",
    "GET api/v1/sharing/resources/<code>": "published entry of the data resource catalogue",
    # A department system reads its department's 共享申请 with its signed client assertion;
    # no user's session or token is accepted (tests/sharing/test_systems.py).
    "GET api/v1/sharing/requests/<request_id>": "department systems only, by client assertion",
    # 预约取号 in the hall: the kiosk (check-in needs the booking's number and code; a walk-in
    # ticket needs nothing), the call screen (ticket numbers and windows only) and a ticket's
    # page, reached by its unguessable token (number, item, place in the queue; no person).
    "PAGE halls/<code>/": "a hall's kiosk",
    "PAGE halls/<code>/screen/": "a hall's call screen",
    "GET api/v1/appointments/halls/<code>/screen": "a hall's call screen",
    "PAGE halls/<code>/tickets/<token>/": "a queue ticket, by its unguessable token",
    # The halls and free times of a published item; the page's POST books for the signed-in
    # person themself.
    "GET api/v1/appointments/items/<item_id>/halls": "halls that serve a published item",
    "GET api/v1/appointments/items/<item_id>/halls/<code>/days": "free times of a published item",
    "PAGE appointments/book/<item_id>/": "free times of a published item, booking for oneself",
    # Open311 GeoReport v2: services, and requests without personal data (no name, phone or
    # email; the description loses names and numbers); a token only tells its request number.
    "PAGE open311/v2/services.<fmt>": "Open311 service list",
    "PAGE open311/v2/services/<code>.<fmt>": "Open311 service definition",
    "PAGE open311/v2/requests.<fmt>": "Open311 requests, without personal data",
    "PAGE open311/v2/requests/<number>.<fmt>": "Open311 request, without personal data",
    "PAGE open311/v2/tokens/<token>.<fmt>": "Open311 token: its request number",
    # 开放数据: published, aggregated data sets (no personal data) for anyone, with their
    # metadata (DCAT, datapackage.json) and downloads; the slug is one of four fixed names.
    "PAGE ^opendata/catalog\\.(?P<fmt>jsonld|ttl)$": "open data catalogue (DCAT)",
    "PAGE ^opendata/(?P<slug>service-items|department-ratings|case-statistics|holidays)/$": "open data set page",
    "PAGE ^opendata/(?P<slug>service-items|department-ratings|case-statistics|holidays)/datapackage\\.json$": (
        "open data set's datapackage.json"
    ),
    "PAGE ^opendata/(?P<slug>service-items|department-ratings|case-statistics|holidays)/dcat\\.(?P<fmt>jsonld|ttl)$": (
        "open data set's DCAT metadata"
    ),
    "PAGE ^opendata/(?P<slug>service-items|department-ratings|case-statistics|holidays)/download\\.(?P<fmt>csv|json|xlsx)$": (
        "open data set download"
    ),
    "GET api/v1/opendata/datasets/<slug>": "open data set",
    "GET api/v1/opendata/datasets/<slug>/datapackage": "open data set's datapackage.json",
    "GET api/v1/opendata/datasets/<slug>/rows": "open data set's rows",
    # Anything under /api/v1/ that no endpoint serves answers a JSON 404.
    "PAGE api/v1/^(?P<path>.*)$": "unknown endpoint",
}


def _admin_key(key: str) -> bool:
    """The Django admin is guarded as a whole (``test_the_admin_refuses_everyone_but_admins``)."""
    return key.startswith("PAGE admin/")


test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
API_ROWS = [row for row in ALL_ROWS if row.api]


@pytest.mark.parametrize("row", API_ROWS, ids=lambda r: r.name)
@pytest.mark.parametrize("outsider", ["other_citizen", "other_staff"])
def test_access_tokens_carry_the_same_refusals(client, db, row, outsider):
    """A department system's token for an outsider is refused exactly as the outsider's session."""
    check_outsider(client, World(), row, outsider, bearer=True)


@pytest.mark.parametrize("row", API_ROWS, ids=lambda r: r.name)
def test_the_owner_gets_through_with_an_access_token(client, db, row):
    check_owner(client, World(), row, bearer=True)


AGENT_ROWS = [row for row in ALL_ROWS if row.owner == "agent"]


@pytest.mark.parametrize("row", AGENT_ROWS, ids=lambda r: r.name)
@pytest.mark.parametrize("ended", ["revoked", "expired"])
def test_an_agent_whose_authorisation_ended_is_an_outsider(client, db, row, ended):
    """The enterprise's objects close to its agent the moment the authorisation is revoked or ends."""
    world = World()
    row.build(world)  # the objects exist while the agent is still authorised
    change = {"revoked_at": timezone.now()} if ended == "revoked" else {"valid_until": timezone.now()}
    AgentAuthorization.objects.filter(pk=world.grant.pk).update(**change)
    check_outsider(client, world, row, "agent")


def test_a_staff_member_of_the_department_is_an_outsider_to_citizens(client, db):
    """A person's account objects are theirs alone: even staff with every role get 404."""
    world = World()
    sign_in(client, world.staff)
    for row in ROWS:
        if row.owner == "citizen":
            response = send(client, row, row.build(world), row.data(world))
            assert refused(response, anonymous=False), row.name


def test_a_supervisor_of_the_region_above_sees_the_department(client, db):
    world = World()
    sign_in(client, world.supervisor)
    row = next(r for r in ROWS if r.name == "page: department staff")
    assert send(client, row, row.build(world), {}).status_code == 200


def test_every_object_url_has_a_row_or_is_public(db):
    """Walks Django's resolver and the Ninja API: a new object URL without a row fails here."""
    world = World()
    patterns = object_url_patterns()
    covered = {key_of(row, world) for row in ALL_ROWS}
    # The rows resolve where they say (choosing whom one acts for names the enterprise in the body).
    assert {k for k in covered if has_parameter(k)} <= patterns, sorted(covered - patterns)
    assert not covered & set(PUBLIC_URLS), sorted(covered & set(PUBLIC_URLS))
    assert set(PUBLIC_URLS) <= patterns, sorted(set(PUBLIC_URLS) - patterns)  # no stale entry
    missing = {k for k in patterns - covered - set(PUBLIC_URLS) if not _admin_key(k)}
    assert not missing, f"object URLs with no authorization row: {sorted(missing)}"


def test_the_completeness_check_sees_pages_and_api_operations():
    """Guards the walk itself: a known page, a PATCH and a DELETE operation are among the keys."""
    patterns = object_url_patterns()
    assert "PAGE my/cases/<number>/" in patterns
    assert "PATCH api/v1/applications/<application_id>" in patterns
    assert "DELETE api/v1/wallet/shares/<share_id>" in patterns
    assert any(_admin_key(k) for k in patterns)


# ---------------------------------------------------------------- the Django admin


def _admin_urls(world: World) -> list[str]:
    """One URL per admin pattern with a parameter; a user's pages name the citizen's account."""
    import re

    urls = []
    for route, _name in walk_patterns(admin.site.get_urls()):
        if "<" not in route and "(?P" not in route:
            continue
        if "(?P<app_label>" in route:
            urls.append("/admin/identity/")
        elif "(?P<url>" in route:
            urls.append("/admin/no-such-page/")
        else:
            pk = str(world.citizen.pk) if "identity/user/" in route else "1"
            urls.append("/admin/" + re.sub(r"<(?:\w+:)?\w+>", pk, route))
    return urls


@pytest.mark.parametrize("outsider", [*OUTSIDERS, "staff"])
def test_the_admin_refuses_everyone_but_admins(client, db, outsider):
    """Every admin view goes through ``AdminSite.admin_view``: without the admin flag and a verified
    second factor, even staff with every role (系统管理 included) are sent to the staff login."""
    world = World()
    urls = _admin_urls(world)
    assert len(urls) > 50
    sign_in(client, None if outsider == "anonymous" else getattr(world, outsider))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], (url, response.status_code)
        assert world.citizen.real_name not in response.content.decode()


def test_a_platform_admin_gets_into_the_admin(client, db):
    world = World()
    admin_user = world.staff
    User.objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    sign_in(client, User.objects.get(pk=admin_user.pk))
    for name in ("identity_user_change", "identity_user_history", "identity_user_delete"):
        response = client.get(reverse(f"admin:{name}", args=[world.citizen.pk]))
        assert response.status_code == 200, name
    assert client.get("/admin/identity/").status_code == 200
