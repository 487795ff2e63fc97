"""Every object URL of the identity pages and API, tried by people who must not reach it.

One table, one test: each row names an object URL (page or API), how to build it in a
``World``, and who owns it. The owner must succeed (so the row really reaches the object) and
every outsider — another citizen, staff of another department, an anonymous visitor — must get
403/404 (an anonymous visitor may instead be sent to log in: 302 to the login page or API 401),
never the object. Later features add their rows to ``OBJECT_URLS`` (and, if they need them,
objects to ``World``), so the same outsiders are tried against every new URL.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, login_verified, region_chain
from tests.identity.factories import enterprise_for, grant, staff_in, verified_citizen
from tongban.identity.models import StaffRole


@dataclass
class World:
    """A citizen who represents an enterprise with one agent, and staff of two departments."""

    citizen: Any
    other_citizen: Any
    enterprise: Any
    grant: Any
    department: Any
    staff: Any
    other_department: Any
    other_staff: Any
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    citizen = verified_citizen()
    enterprise = enterprise_for(citizen)
    agent = verified_citizen()
    department = DepartmentFactory(region=region_chain("511602"))
    other_department = DepartmentFactory(region=region_chain("511621"))
    return World(
        citizen=citizen,
        other_citizen=verified_citizen(),
        enterprise=enterprise,
        grant=grant(enterprise, agent, all_items=True),
        department=department,
        staff=staff_in(department, *StaffRole.values),
        other_department=other_department,
        other_staff=staff_in(other_department, *StaffRole.values),
    )


@dataclass(frozen=True)
class ObjectURL:
    name: str
    method: str  # "get" or "post"
    build: Callable[[World], str]
    owner: str  # the World attribute of the person who may use it
    data: Callable[[World], dict] = lambda w: {}
    api: bool = False


def api_url(path: str) -> str:
    return f"/api/v1{path}"


OBJECT_URLS = [
    ObjectURL(
        "page: enterprise", "get", lambda w: reverse("identity:enterprise", args=[w.enterprise.pk]), "citizen"
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
    ),
    ObjectURL(
        "page: department staff",
        "get",
        lambda w: reverse("identity:staff_department", args=[w.department.pk]),
        "staff",
    ),
    ObjectURL(
        "api: enterprise",
        "get",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}"),
        "citizen",
        api=True,
    ),
    ObjectURL(
        "api: enterprise agents",
        "get",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}/agents"),
        "citizen",
        api=True,
    ),
    ObjectURL(
        "api: revoke agent",
        "post",
        lambda w: api_url(f"/identity/enterprises/{w.enterprise.pk}/agents/{w.grant.pk}/revoke"),
        "citizen",
        api=True,
    ),
    ObjectURL(
        "api: department staff",
        "get",
        lambda w: api_url(f"/identity/departments/{w.department.pk}/staff"),
        "staff",
        api=True,
    ),
]

OUTSIDERS = ["anonymous", "other_citizen", "other_staff"]


def sign_in(client, person) -> None:
    if person is None:
        return
    if person.kind == "staff":
        login_verified(client, person)
    else:
        client.force_login(person)


def request(client, row: ObjectURL, world: World):
    url = row.build(world)
    if row.method == "post":
        return (
            client.post(url, row.data(world), content_type="application/json")
            if row.api
            else client.post(url, row.data(world))
        )
    return client.get(url)


def refused(response, *, anonymous: bool) -> bool:
    if response.status_code in (403, 404):
        return True
    if anonymous and response.status_code == 401:
        return True
    if anonymous and response.status_code == 302:
        return "/login/" in response["Location"]
    return False


@pytest.mark.parametrize("row", OBJECT_URLS, ids=lambda r: r.name)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_are_refused(client, world, row, outsider):
    person = None if outsider == "anonymous" else getattr(world, outsider)
    sign_in(client, person)
    response = request(client, row, world)
    assert refused(response, anonymous=person is None), (row.name, outsider, response.status_code)
    assert world.enterprise.name not in response.content.decode()
    world.grant.refresh_from_db()
    assert world.grant.revoked_at is None  # nothing happened


def test_a_staff_member_of_the_department_is_an_outsider_to_citizens(client, world):
    """Citizens' objects are theirs alone: even staff get 404 on them."""
    sign_in(client, world.staff)
    for row in OBJECT_URLS:
        if row.owner == "citizen":
            assert refused(request(client, row, world), anonymous=False), row.name


@pytest.mark.parametrize("row", OBJECT_URLS, ids=lambda r: r.name)
def test_the_owner_gets_through(client, world, row):
    sign_in(client, getattr(world, row.owner))
    response = request(client, row, world)
    assert response.status_code in (200, 302), (row.name, response.status_code)
    if response.status_code == 302:
        assert "/login/" not in response["Location"]


def test_a_supervisor_of_the_region_above_sees_the_department(client, world):
    city_office = DepartmentFactory(region=region_chain("5116"))
    sign_in(client, staff_in(city_office, StaffRole.SUPERVISOR))
    row = next(r for r in OBJECT_URLS if r.name == "page: department staff")
    assert request(client, row, world).status_code == 200
