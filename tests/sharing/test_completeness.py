"""Completeness of the data-access log (issue 14): run the staff, supervisor, department-system
and applicant journeys on the shipped demo, capture every SQL query of each request, and
require that each request which reads a person's, an enterprise's, a certificate holder's or a
case applicant's identifying data on behalf of someone other than that subject left at least
one ``DataAccessLog`` row in that same request. Applicants' own pages are run too (reads of
one's own data need no entry) and must not be mistaken for such reads.

Bounded: one demo load for the module, a fixed list of pages and API calls.
"""

import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django.urls import resolve

from tests.factories import login_verified
from tests.fixtures_demo import load_demo_for_module
from tongban.registries.models import DataAccessLog

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Identifying columns per table: a query naming the table and one of its columns reads them.
SENSITIVE = {
    "registries_populationrecord": ("id_number", "address", "birth_date"),
    "registries_enterpriserecord": ("legal_rep_id_number", "address"),
    "identity_user": ("id_number", "mobile"),
    "certificates_certificate": ("holder_number", "fields"),
    "cases_case": ("data",),
    "cases_application": ("data",),
}
SRC = str(Path(__file__).resolve().parents[2] / "src" / "tongban")


# The demo steps the journeys need (the others only cost time here).
NEEDED = {"regions", "catalog", "identity", "certificates", "cases", "sharing"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from tongban.demo import step_names

    yield from load_demo_for_module(django_db_blocker, skip=[n for n in step_names() if n not in NEEDED])


# Accounts read as someone's subject: joined as a case's applicant, a certificate's holder, an
# enterprise's representative or agent (a join through an assignee or author is a staff member).
SUBJECT_JOIN = re.compile(
    r'JOIN "identity_user"(?: \w+)? ON \([^)]*"(applicant_id|holder_user_id|legal_rep_id|agent_id|reporter_id)"'
)


def _tables(sql: str) -> list[str]:
    found = []
    for table, columns in SENSITIVE.items():
        if f'"{table}"' not in sql:
            continue
        if table == "identity_user" and not (SUBJECT_JOIN.search(sql) or 'FROM "identity_user"' in sql):
            continue
        if any(re.search(rf'["\s.(]{column}"?\b', sql) for column in columns):
            found.append(table)
    return found


def _own(sql: str, params: list, user_pk: int | None) -> bool:
    """The requester's own row, or rows the requester wrote (a window clerk's own drafts)."""
    if user_pk is None:
        return False
    if params == [user_pk] and '"identity_user"."id" = %s' in sql:
        return True
    return '"created_by_id" = %s' in sql and user_pk in params


def _site() -> str:
    """The innermost frame of the platform's own code that issued the query."""
    for frame in reversed(traceback.extract_stack()):
        if frame.filename.startswith(SRC) and "/core/" not in frame.filename.replace(SRC, ""):
            return f"{frame.filename.replace(SRC + '/', '')}:{frame.lineno}"
    return "?"


@dataclass
class Capture:
    user_pk: int | None
    reads: list[tuple[str, str, str]] = field(default_factory=list)  # (table, site, sql)

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and not _own(sql, list(params or []), self.user_pk):
            for table in _tables(sql):
                self.reads.append((table, _site(), sql[:300]))
        return execute(sql, params, many, context)


@dataclass
class Journal:
    paths: set = field(default_factory=set)
    unmatched: list = field(default_factory=list)
    requests: int = 0

    def visit(self, client, user, method: str, url: str, *, on_behalf: bool, **kw):
        before = DataAccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        capture = Capture(getattr(user, "pk", None))
        with connection.execute_wrapper(capture):
            response = getattr(client, method)(url, **kw)
        assert response.status_code < 500, (url, response.status_code)
        self.requests += 1
        if not on_behalf or not capture.reads:
            return response
        logged = DataAccessLog.objects.filter(pk__gt=before).exists()
        view = resolve(url.split("?")[0]).view_name
        for table, site, sql in capture.reads:
            if logged:
                self.paths.add((view, table, site))
            else:
                self.unmatched.append((url, view, table, site, sql))
        return response


def _staff(client, username):
    from tongban.identity.models import User

    user = User.objects.get(username=username)
    client.logout()
    login_verified(client, user)
    return user


def test_every_read_for_someone_else_is_in_the_access_log(demo, client):
    from tongban.cases.models import Case
    from tongban.certificates.models import Certificate
    from tongban.identity.models import User
    from tongban.sharing import demo as sharing_demo
    from tongban.sharing import signing
    from tongban.sharing.models import DataResource

    journal = Journal()
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
            journal.visit(client, user, "get", url, on_behalf=True)
        cases = Case.objects.filter(department__name__contains=prefix).order_by("pk")[:8]
        for case in cases:
            journal.visit(client, user, "get", f"/staff/cases/{case.number}/", on_behalf=True)
            journal.visit(client, user, "get", f"/api/v1/cases/{case.number}", on_behalf=True)
        for certificate in Certificate.objects.filter(department__name__contains=prefix or "人力")[:3]:
            journal.visit(
                client, user, "get", f"/certificates/verify/{certificate.identifier}/", on_behalf=True
            )
            journal.visit(
                client, user, "get", f"/staff/certificates/{certificate.identifier}/", on_behalf=True
            )
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
            on_behalf=True,
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
            journal.visit(client, user, "get", url, on_behalf=False)

    views = {view for view, _table, _site in journal.paths}
    sites = {site for _view, _table, site in journal.paths}
    print(
        f"\naccess-log completeness: {journal.requests} requests; {len(journal.paths)} covered code paths "
        f"(view × table × query site): {len(views)} views, {len(sites)} query sites; "
        f"unmatched {len(journal.unmatched)}"
    )
    for path in sorted(journal.paths):
        print("  covered", *path)
    assert not journal.unmatched, "\n".join(map(str, journal.unmatched[:20]))
    assert len(views) >= 3 and len(sites) >= 3
