"""Electronic licences: every object URL of the wallet (卡包: detail, PDF, signed JSON, 亮证,
用证 shares and their log) and of the issuing department (revoke, replace), pages and API, in
the shared authorization table.

Owners: the holder (a person, or the enterprise through its agent) and staff of the issuing
department with the 制证 role (supervisors above may look). Verification, 亮证 codes and 用证
links are public by design and listed in ``PUBLIC_URLS`` (tests/identity/test_authorization.py).
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.identity.authorization import (
    ObjectURL,
    World,
    api_url,
    applicant_side_test,
    outsiders_test,
    owner_test,
    without_role_test,
)

SCOPE = "申请开办餐饮店"  # the licence's 经营项目, from the case's data


def _wallet(w: World, suffix: str = "") -> str:
    return api_url(f"/wallet/certificates/{w.certificate.identifier}{suffix}")


def _share_in() -> dict:
    until = timezone.now() + dt.timedelta(days=7)
    return {"recipient": "某银行", "purpose": "贷款审核", "valid_until": until.isoformat()}


ROWS = [
    # ------------------------------------------------------------ wallet (pages)
    ObjectURL(
        "page: wallet certificate",
        "get",
        lambda w: reverse("certificates:wallet_detail", args=[w.certificate.identifier]),
        "citizen",
        shows=lambda w: SCOPE,
    ),
    ObjectURL(
        "page: present (亮证)",
        "post",
        lambda w: reverse("certificates:present", args=[w.certificate.identifier]),
        "citizen",
    ),
    ObjectURL(
        "page: share (用证)",
        "post",
        lambda w: reverse("certificates:share", args=[w.certificate.identifier]),
        "citizen",
        data=lambda w: {"days": "7", "recipient": "某银行", "purpose": "贷款审核"},
    ),
    ObjectURL(
        "page: certificate PDF",
        "get",
        lambda w: reverse("certificates:pdf", args=[w.certificate.identifier]),
        "citizen",
        shows=lambda w: b"%PDF",
    ),
    ObjectURL(
        "page: certificate signed JSON",
        "get",
        lambda w: reverse("certificates:json", args=[w.certificate.identifier]),
        "citizen",
        shows=lambda w: SCOPE,
    ),
    ObjectURL(
        "page: revoke a share",
        "post",
        lambda w: reverse("certificates:share_revoke", args=[w.share.pk]),
        "citizen",
    ),
    # ------------------------------------------------------------ issuing department (pages)
    ObjectURL(
        "page: staff certificate",
        "get",
        lambda w: reverse("certificates:staff_certificate", args=[w.certificate.identifier]),
        "issuer",
        shows=lambda w: SCOPE,
    ),
    ObjectURL(
        "page: staff certificate (supervisor)",
        "get",
        lambda w: reverse("certificates:staff_certificate", args=[w.certificate.identifier]),
        "supervisor",
        shows=lambda w: SCOPE,
    ),
    ObjectURL(
        "page: revoke a certificate",
        "post",
        lambda w: reverse("certificates:staff_certificate", args=[w.certificate.identifier]),
        "issuer",
        data=lambda w: {"action": "revoke", "reason": "以欺骗手段取得许可。"},
    ),
    # ------------------------------------------------------------ wallet (API)
    ObjectURL("api: wallet certificate", "get", lambda w: _wallet(w), "citizen", shows=lambda w: SCOPE),
    ObjectURL(
        "api: the enterprise's certificate (agent)",
        "get",
        lambda w: api_url(
            f"/wallet/certificates/{w.enterprise_certificate.identifier}?enterprise_id={w.enterprise.pk}"
        ),
        "agent",
        shows=lambda w: w.enterprise.name,
    ),
    ObjectURL(
        "api: certificate signed JSON",
        "get",
        lambda w: _wallet(w, "/document"),
        "citizen",
        shows=lambda w: SCOPE,
    ),
    ObjectURL(
        "api: certificate PDF", "get", lambda w: _wallet(w, "/pdf"), "citizen", shows=lambda w: b"%PDF"
    ),
    ObjectURL(
        "api: certificate events",
        "get",
        lambda w: _wallet(w, "/events"),
        "citizen",
        shows=lambda w: '"issued"',
    ),
    ObjectURL("api: present (亮证)", "post", lambda w: _wallet(w, "/present"), "citizen"),
    ObjectURL(
        "api: shares",
        "get",
        lambda w: _wallet(w, "/shares") + f"?share={w.share.pk}",
        "citizen",
        shows=lambda w: "贷款审核",
    ),
    ObjectURL(
        "api: share (用证)", "post", lambda w: _wallet(w, "/shares"), "citizen", data=lambda w: _share_in()
    ),
    ObjectURL("api: revoke a share", "delete", lambda w: api_url(f"/wallet/shares/{w.share.pk}"), "citizen"),
    # ------------------------------------------------------------ issuing department (API)
    ObjectURL(
        "api: revoke a certificate",
        "post",
        lambda w: api_url(f"/certificates/{w.certificate.identifier}/revoke"),
        "issuer",
        data=lambda w: {"reason": "以欺骗手段取得许可。"},
    ),
    ObjectURL(
        "api: replace a certificate",
        "post",
        lambda w: api_url(f"/certificates/{w.certificate.identifier}/replace"),
        "issuer",
        data=lambda w: {"reason": "证照遗失，申请补发。"},
    ),
]


# Revoking and replacing need the issuing department's 制证 or 决定 role.
WITHOUT_ROLE = [
    ("page: revoke a certificate", "intake"),
    ("api: revoke a certificate", "intake"),
    ("api: replace a certificate", "reviewer"),
]


# A wallet is its holder's alone: even staff of the issuing department, with every role, are
# outsiders there (they have their own page for the certificate).
APPLICANT_SIDE = [r for r in ROWS if r.owner in ("citizen", "agent")]


test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
test_department_staff_are_outsiders_on_the_applicants_side = applicant_side_test(APPLICANT_SIDE)
