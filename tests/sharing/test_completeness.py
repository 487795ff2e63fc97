"""Completeness of the data-access log (issue 14): run the staff, supervisor, department-system
and applicant journeys on the shipped demo, capture every SQL query of each request with
the read audit the shipped browser journeys run under (``tongban.sharing.readaudit``), and
require that each read of a person's, an enterprise's, a certificate holder's or a case
applicant's personal data on behalf of someone other than that subject is matched by a
``DataAccessLog`` row, with a purpose, of the same request (about that subject when the query
names the subject's number). Applicants' own pages are run too (reads of
one's own data need no entry) and must not be mistaken for such reads.

Bounded: one demo load for the module, a fixed list of pages and API calls.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import login_verified
from tests.fixtures_demo import load_demo_for_module
from tongban.sharing import readaudit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# The demo steps the journeys need (the others only cost time here).
NEEDED = {"regions", "catalog", "identity", "certificates", "cases", "sharing"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from tongban.demo import step_names

    yield from load_demo_for_module(django_db_blocker, skip=[n for n in step_names() if n not in NEEDED])


@dataclass
class Journal:
    """The journey's requests, audited as the shipped server audits its own (``readaudit``)."""

    target: Path
    requests: int = 0

    def visit(self, client, user, method: str, url: str, **kw):
        response = getattr(client, method)(url, **kw)
        assert response.status_code < 500, (url, response.status_code)
        self.requests += 1
        return response

    def verdict(self) -> readaudit.Verdict:
        return readaudit.verdict(readaudit.read_lines(self.target)[0])


@pytest.fixture
def journal(tmp_path, monkeypatch, settings):
    monkeypatch.setenv(readaudit.ENV, str(tmp_path / "read-audit.jsonl"))
    settings.MIDDLEWARE = ["tongban.sharing.readaudit.ReadAuditMiddleware", *settings.MIDDLEWARE]
    return Journal(tmp_path / "read-audit.jsonl")


def _staff(client, username):
    from tongban.identity.models import User

    user = User.objects.get(username=username)
    client.logout()
    login_verified(client, user)
    return user


def test_every_read_for_someone_else_is_in_the_access_log(demo, client, journal):
    from tongban.cases.models import Case
    from tongban.certificates.models import Certificate
    from tongban.identity.models import User
    from tongban.sharing import demo as sharing_demo
    from tongban.sharing import signing
    from tongban.sharing.models import DataResource

    for username, prefix in (
        ("rs_zhizheng", "人力"),
        ("rs_shouli", "人力"),
        ("rs_shenhe", "人力"),
        ("sj_shouli", "市场"),
        ("shi_jiancha", ""),
    ):
        user = _staff(client, username)
        for url in (
            "/staff/",
            "/staff/queue/",
            "/staff/window/",
            "/staff/sharing/" if username == "shi_jiancha" else "/staff/",
        ):
            journal.visit(client, user, "get", url)
        cases = Case.objects.filter(department__name__contains=prefix).order_by("pk")[:8]
        for case in cases:
            journal.visit(client, user, "get", f"/staff/cases/{case.number}/")
            journal.visit(client, user, "get", f"/api/v1/cases/{case.number}")
        for certificate in Certificate.objects.filter(department__name__contains=prefix or "人力")[:3]:
            journal.visit(client, user, "get", f"/certificates/verify/{certificate.identifier}/")
            journal.visit(client, user, "get", f"/staff/certificates/{certificate.identifier}/")
    # A department system through the exchange API.
    population = DataResource.objects.get(kind="population")
    citizen = User.objects.get(mobile="13800000001")
    client.logout()
    for fields in (["name"], ["name", "address"]):
        body = json.dumps(
            {
                "resource": population.code,
                "subject": citizen.id_number,
                "fields": fields,
                "purpose": "资格复核",
            }
        ).encode()
        token = signing.make_assertion(sharing_demo.DEMO_CLIENT_ID, sharing_demo.demo_client_key(), body)
        response = journal.visit(
            client,
            None,
            "post",
            "/api/v1/sharing/exchange",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200
    # Applicants on their own pages: reads of their own data, not on anyone's behalf.
    for mobile in ("13800000001", "13800000002"):
        user = User.objects.get(mobile=mobile)
        client.force_login(user)
        for url in (
            "/my/",
            "/my/data-use/",
            "/my/cases/",
            "/my/certificates/",
            "/api/v1/cases",
            "/api/v1/identity/me",
        ):
            journal.visit(client, user, "get", url)

    found = journal.verdict()
    views = {view for view, _table, _site in found.paths}
    sites = {site for _view, _table, site in found.paths}
    print(
        f"\naccess-log completeness: {journal.requests} requests, {found.reads} reads for someone else; "
        f"{len(found.paths)} covered code paths (view × table × query site): {len(views)} views, "
        f"{len(sites)} query sites; unmatched {len(found.unmatched)}"
    )
    for path in sorted(found.paths):
        print("  covered", *path)
    assert not found.unmatched, "\n".join(map(str, found.unmatched[:20]))
    assert len(views) >= 3 and len(sites) >= 3
