"""The machinery of the table-driven authorization test, shared by every app's table.

Each app's ``tests/<app>/test_authorization.py`` lists its object URLs as ``ObjectURL`` rows and
runs them through ``check_outsider`` and ``check_owner``. ``World`` builds, lazily, the people
and objects the rows address: a test pays only for what its row touches.
``object_url_patterns`` walks Django's resolver and the Ninja API so the completeness test in
``tests/identity/test_authorization.py`` fails when an object URL has no row.
"""

import datetime as dt
import itertools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from tests.cases.conftest import fill, make_id_number, pdf_upload
from tests.factories import (
    DepartmentFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
    login_verified,
    region_chain,
)
from tests.identity.factories import CitizenFactory, enterprise_for, grant, staff_in
from tongban.identity.models import StaffRole

API_PREFIX = "/api/v1"
_people = itertools.count(700)


def person(name: str) -> Any:
    """An L2 citizen whose ID number the application forms accept (511602 exists from 1998)."""
    return CitizenFactory(
        real_name=name,
        id_number=make_id_number(next(_people)),
        real_name_level=2,
        real_name_verified_at=timezone.now(),
    )


class World:
    """People and objects around one department (county 511602) and one outside it (511621).

    ``citizen`` applies for themself and represents ``enterprise``, for which ``agent`` acts
    (all items). ``staff`` holds every role in ``department``; ``intake``, ``reviewer``,
    ``decider`` and ``issuer`` one role each; ``supervisor`` is 监察 at the city (5116) above.
    The outsiders are ``other_citizen``, ``other_staff`` (every role, including 监察, in
    ``other_department``) and an anonymous visitor.
    """

    # ------------------------------------------------------------ people

    @cached_property
    def department(self) -> Any:
        return DepartmentFactory(name="区行政审批局", region=region_chain("511602"))

    @cached_property
    def other_department(self) -> Any:
        return DepartmentFactory(name="县民政局", region=region_chain("511621"))

    @cached_property
    def citizen(self) -> Any:
        return person("张三")

    @cached_property
    def other_citizen(self) -> Any:
        return person("李四")

    @cached_property
    def enterprise(self) -> Any:
        return enterprise_for(self.citizen)

    @cached_property
    def agent(self) -> Any:
        return person("王五")

    @cached_property
    def grant(self) -> Any:
        return grant(self.enterprise, self.agent, all_items=True)

    @cached_property
    def staff(self) -> Any:
        return staff_in(self.department, *StaffRole.values)

    @cached_property
    def other_staff(self) -> Any:
        return staff_in(self.other_department, *StaffRole.values)

    @cached_property
    def intake(self) -> Any:
        return staff_in(self.department, StaffRole.INTAKE)

    @cached_property
    def reviewer(self) -> Any:
        return staff_in(self.department, StaffRole.REVIEW)

    @cached_property
    def decider(self) -> Any:
        return staff_in(self.department, StaffRole.DECIDE)

    @cached_property
    def issuer(self) -> Any:
        return staff_in(self.department, StaffRole.ISSUE)

    @cached_property
    def supervisor(self) -> Any:
        city_office = DepartmentFactory(name="市政务服务管理局", region=region_chain("5116"))
        return staff_in(city_office, StaffRole.SUPERVISOR)

    # ------------------------------------------------------------ applying and cases

    @cached_property
    def item(self) -> Any:
        return PublishedItemFactory(
            name="食品经营许可", department=self.department, legal_limit=20, promised_limit=10
        )

    @cached_property
    def material(self) -> Any:
        return MaterialRequirementFactory(item=self.item, name="营业执照复印件")

    def _complete_draft(self, user: Any, enterprise: Any = None) -> Any:
        from tongban.cases import services

        application = services.start_application(user=user, item=self.item, enterprise=enterprise)
        services.save_draft(user=user, application=application, data=fill(application), step=1)
        services.attach_file(
            user=user, application=application, requirement=self.material, upload=pdf_upload()
        )
        return application

    def _submit(self, user: Any, enterprise: Any = None) -> Any:
        from tongban.cases import services

        application = self._complete_draft(user, enterprise)
        return services.submit_application(user=user, application=application)

    @cached_property
    def draft(self) -> Any:
        """The citizen's complete, not yet submitted application."""
        return self._complete_draft(self.citizen)

    @cached_property
    def draft_attachment(self) -> Any:
        return self.draft.attachments.get(replaced=False)

    @cached_property
    def case(self) -> Any:
        """The citizen's own case, submitted and waiting for intake (each later state below is
        reached by a case of its own, so one world can hold them all)."""
        return self._submit(self.citizen)

    @cached_property
    def case_attachment(self) -> Any:
        return self.case.application.attachments.get(replaced=False)

    @cached_property
    def enterprise_case(self) -> Any:
        """A case the agent submitted for the enterprise."""
        self.grant  # noqa: B018 - the agent must be authorised first
        return self._submit(self.agent, self.enterprise)

    @cached_property
    def claimed_case(self) -> Any:
        from tongban.cases import services

        return services.claim_case(actor=self.intake, case=self._submit(self.citizen))

    @cached_property
    def accepted_case(self) -> Any:
        from tongban.cases import services

        return services.accept_case(actor=self.intake, case=self._submit(self.citizen))

    @cached_property
    def correction_case(self) -> Any:
        """A case whose intake asked for the material again (补正)."""
        from tongban.cases import services

        case = self._submit(self.citizen)
        services.request_correction(
            actor=self.intake,
            case=case,
            notice="营业执照复印件不清晰。",
            fields=[],
            materials=[self.material],
        )
        case.refresh_from_db()
        return case

    @cached_property
    def concluded_case(self) -> Any:
        """A case ended by refusal, so it may be rated."""
        from tongban.cases import services

        case = services.refuse_case(
            actor=self.intake, case=self._submit(self.citizen), reason="不属于本机关职权范围。"
        )
        case.refresh_from_db()
        return case

    def _issued_case(self, case: Any) -> Any:
        from tongban.cases import services
        from tongban.cases.models import Case

        services.accept_case(actor=self.intake, case=case)
        services.review_case(actor=self.reviewer, case=case, opinion="材料齐全")
        services.decide_case(actor=self.decider, case=case, grant=True, reason="符合条件")
        services.conclude_case(actor=self.issuer, case=case, result=Case.Result.ISSUED)
        case.refresh_from_db()
        return case

    # ------------------------------------------------------------ certificates

    @cached_property
    def licence_type(self) -> Any:
        from tests.certificates.conftest import make_type

        return make_type(self.department, self.item)

    @cached_property
    def certificate(self) -> Any:
        """The citizen's food licence, issued by concluding a real case with 出证."""
        from tongban.certificates.services import issue_for_case

        self.licence_type  # noqa: B018
        (certificate,) = issue_for_case(self._issued_case(self._submit(self.citizen)))
        return certificate

    @cached_property
    def enterprise_certificate(self) -> Any:
        from tongban.certificates.services import issue_for_case

        self.licence_type  # noqa: B018
        (certificate,) = issue_for_case(self._issued_case(self.enterprise_case))
        return certificate

    @cached_property
    def share(self) -> Any:
        from tongban.certificates.services import share_certificate
        from tongban.identity.actors import Actor

        return share_certificate(
            actor=Actor(self.citizen),
            certificate=self.certificate,
            recipient="某银行",
            purpose="贷款审核",
            valid_until=timezone.now() + dt.timedelta(days=7),
        )

    # ------------------------------------------------------------ ratings

    @cached_property
    def rating(self) -> Any:
        """A one-star rating of the concluded case, which opens a follow-up task."""
        from tongban.ratings import services

        return services.rate_case(
            user=self.citizen, case=self.concluded_case, level=1, comment="等了很久", tags=["等待太久"]
        )

    @cached_property
    def rectification(self) -> Any:
        return self.rating.rectification

    @cached_property
    def called_back(self) -> Any:
        from tongban.ratings import services

        return services.record_callback(
            actor=self.intake, rectification=self.rectification, note="已电话回访"
        )

    @cached_property
    def rectified(self) -> Any:
        """A finished follow-up, which invites the rater to rate again."""
        from tongban.ratings import services

        return services.complete_rectification(
            actor=self.intake, rectification=self.called_back, outcome="已增设窗口，缩短等待时间。"
        )

    @cached_property
    def appeal(self) -> Any:
        from tongban.ratings import services

        return services.file_appeal(
            actor=self.intake, rating=self.rating, reason="申请人在评价中辱骂工作人员，与办件无关。"
        )

    @cached_property
    def visit(self) -> Any:
        from tongban.ratings import services

        return services.open_window_visit(clerk=self.intake, department=self.department)

    # ------------------------------------------------------------ messages and account

    @cached_property
    def notification(self) -> Any:
        from tongban.notifications.models import Notification

        return Notification.objects.create(user=self.citizen, title="办件已受理", body="您的申请已受理。")

    @cached_property
    def connection(self) -> Any:
        """A department system the citizen has signed in to (the consent is the object)."""
        from tongban.identity.oidc.services import create_client, record_consent

        client = create_client(
            name="不动产登记系统",
            redirect_uris=["https://rp.example.cn/cb"],
            department_id=self.department.pk,
        ).client
        record_consent(user=self.citizen, client=client, scopes=["openid", "profile"])
        return client

    @cached_property
    def department_system(self) -> Any:
        from tongban.identity.oidc.services import create_client

        return create_client(
            name="企业开办系统", redirect_uris=["https://qy.example.cn/cb"], department_id=self.department.pk
        ).client

    def bearer_token(self, person: Any) -> str:
        """An access token with the api scope that ``department_system`` holds for ``person``."""
        from oauth2_provider.models import get_access_token_model

        token = secrets.token_urlsafe(32)
        get_access_token_model().objects.create(
            user=person,
            application=self.department_system,
            token=token,
            expires=timezone.now() + dt.timedelta(hours=1),
            scope="openid api",
        )
        return token

    @cached_property
    def passkey(self) -> Any:
        from django_otp_webauthn.models import WebAuthnCredential

        return WebAuthnCredential.objects.create(
            user=self.citizen, name="key", credential_id=b"\x07" * 16, confirmed=True
        )


@dataclass(frozen=True)
class ObjectURL:
    """One object URL and the one who may use it.

    ``method`` is the real one (get for reads; post, patch, delete for actions). ``data`` is the
    body: JSON for the API unless ``multipart``, form fields (and files) for pages. ``shows`` is
    text (or bytes) of the object that the owner's answer contains and an outsider's must not.
    ``changes`` says whether the owner's action writes to the database (choosing whom one acts
    for only touches the session).
    """

    name: str
    method: str
    build: Callable[[World], str]
    owner: str
    data: Callable[[World], dict] = field(default=lambda w: {})
    shows: Callable[[World], str | bytes] | None = None
    multipart: bool = False
    changes: bool = True

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def action(self) -> bool:
        return self.method != "get"


OUTSIDERS = ["anonymous", "other_citizen", "other_staff"]


def api_url(path: str) -> str:
    return f"{API_PREFIX}{path}"


def sign_in(client: Any, person: Any) -> None:
    client.logout()
    if person is None:
        return
    if person.kind == "staff":
        login_verified(client, person)
    else:
        client.force_login(person)


def send(client: Any, row: ObjectURL, url: str, data: dict) -> Any:
    if row.method == "get":
        return client.get(url, data)
    method = getattr(client, row.method)
    if row.api and not row.multipart:
        return method(url, data, content_type="application/json")
    return method(url, data)


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def refused(response: Any, *, anonymous: bool) -> bool:
    if response.status_code in (403, 404):
        return True
    if anonymous and response.status_code == 401:
        return True
    if anonymous and response.status_code == 302:
        return "/login/" in response["Location"]
    return False


# Tables whose rows are the objects the rows address, and their traces (events, audit, logs).
# A refused request must leave every one of them exactly as it was.
WATCHED_APPS = [
    "identity",
    "oidc",
    "oauth2_provider",
    "django_otp_webauthn",
    "registries",
    "core",
    "cases",
    "certificates",
    "ratings",
    "notifications",
    "catalog",
    "forms",
    "workflow",
    "appointments",
    "consult",
    "decisions",
    "sharing",
    "supervision_cards",
]
# Changed by signing in, not by the request under test.
UNWATCHED = {"identity.user", "identity.loginevent"}


def fingerprint() -> dict[str, list[dict]]:
    state = {}
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower in UNWATCHED:
                continue
            state[model._meta.label_lower] = list(model.objects.order_by("pk").values())
    return state


def _contains(body: bytes, marker: str | bytes) -> bool:
    return (marker.encode() if isinstance(marker, str) else marker) in body


def sign_in_as(client: Any, world: World, person: Any, *, bearer: bool) -> None:
    """A session, or (``bearer``) an OIDC access token a department system holds for ``person``."""
    if bearer:
        client.logout()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.bearer_token(person)}"
    else:
        client.defaults.pop("HTTP_AUTHORIZATION", None)
        sign_in(client, person)


def check_outsider(client: Any, world: World, row: ObjectURL, outsider: str, *, bearer: bool = False) -> None:
    """``outsider`` is refused (403/404, or sent to log in when anonymous), sees nothing, changes nothing."""
    url = row.build(world)
    data = row.data(world)
    marker = row.shows(world) if row.shows else None
    person = None if outsider == "anonymous" else getattr(world, outsider)
    sign_in_as(client, world, person, bearer=bearer and person is not None)
    before = fingerprint()
    response = send(client, row, url, data)
    assert refused(response, anonymous=person is None), (row.name, outsider, response.status_code)
    if marker is not None:
        assert not _contains(body_of(response), marker), (row.name, outsider)
    assert fingerprint() == before, (row.name, outsider, "a refused request changed something")


def check_owner(client: Any, world: World, row: ObjectURL, *, bearer: bool = False) -> None:
    """The owner gets through: reads show the object, actions change something."""
    url = row.build(world)
    data = row.data(world)
    marker = row.shows(world) if row.shows else None
    sign_in_as(client, world, getattr(world, row.owner), bearer=bearer)
    before = fingerprint()
    response = send(client, row, url, data)
    assert response.status_code in (200, 201, 302), (row.name, response.status_code, response.content[:400])
    if response.status_code == 302:
        assert "/login/" not in response["Location"], row.name
    if marker is not None:
        assert _contains(body_of(response), marker), (row.name, marker)
    if row.action and row.changes:
        assert fingerprint() != before, (row.name, "the owner's action changed nothing")


# ---------------------------------------------------------------- which URLs address objects


def plain_route(route: str) -> str:
    """A route without converters: ``my/cases/<str:number>/`` → ``my/cases/<number>/``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route)


def walk_patterns(patterns: list, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}"))
    return found


def has_parameter(route: str) -> bool:
    return "<" in route or "(?P" in route


def object_url_patterns() -> set[str]:
    """Every URL with a path parameter: pages as ``GET route`` (a page's reads and posts share
    its route), API operations as ``METHOD route`` from the Ninja routers themselves."""
    from tongban.api import api

    api_root = API_PREFIX.strip("/") + "/"
    keys = {
        f"PAGE {plain_route(route)}"
        for route, _name in walk_patterns(get_resolver().url_patterns)
        if has_parameter(route) and not route.startswith(api_root)
    }
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = "/".join(part.strip("/") for part in (api_root, prefix, path) if part.strip("/"))
            route = re.sub(r"\{(?:\w+:)?(\w+)\}", r"<\1>", full)
            if has_parameter(route):
                keys |= {f"{method} {route}" for op in view.operations for method in op.methods}
    keys |= {
        f"PAGE {plain_route(route)}"
        for route, name in walk_patterns(get_resolver().url_patterns)
        if route.startswith(api_root) and name == "api-v1:unknown-endpoint"
    }
    return keys


def key_of(row: ObjectURL, world: World) -> str:
    """The pattern a row's URL resolves to, as ``object_url_patterns`` names it."""
    path = row.build(world).split("?")[0]
    route = plain_route(resolve(path).route)
    return f"{row.method.upper()} {route}" if row.api else f"PAGE {route}"


def row_named(rows: list[ObjectURL], name: str) -> ObjectURL:
    return next(row for row in rows if row.name == name)


def check_without_role(client: Any, world: World, row: ObjectURL, member: str) -> None:
    """A member of the object's department who lacks the role of the action changes nothing.

    The API answers 403/404; a page may instead show the case again with the refusal (403) or
    send the member back to the object's page with a message (302, never to a login page).
    """
    url = row.build(world)
    data = row.data(world)
    sign_in(client, getattr(world, member))
    before = fingerprint()
    response = send(client, row, url, data)
    allowed = (403, 404) if row.api else (302, 403, 404)
    assert response.status_code in allowed, (row.name, member, response.status_code)
    if response.status_code == 302:
        assert "/login/" not in response["Location"], row.name
    assert fingerprint() == before, (row.name, member, "a refused action changed something")


# The tests every app's table runs; a module assigns them to its own ``test_…`` names, e.g.
# ``test_the_owner_gets_through = owner_test(ROWS)``, so pytest collects them there.


def outsiders_test(rows: list[ObjectURL]) -> Callable:
    @pytest.mark.parametrize("row", rows, ids=lambda r: r.name)
    @pytest.mark.parametrize("outsider", OUTSIDERS)
    def test(client, db, row, outsider) -> None:
        check_outsider(client, World(), row, outsider)

    return test


def owner_test(rows: list[ObjectURL]) -> Callable:
    @pytest.mark.parametrize("row", rows, ids=lambda r: r.name)
    def test(client, db, row) -> None:
        check_owner(client, World(), row)

    return test


def without_role_test(rows: list[ObjectURL], cases: list[tuple[str, str]]) -> Callable:
    """``cases``: (row name, a department member lacking the role of that row's action)."""

    @pytest.mark.parametrize(("name", "member"), cases)
    def test(client, db, name, member) -> None:
        check_without_role(client, World(), row_named(rows, name), member)

    return test


def applicant_side_test(rows: list[ObjectURL]) -> Callable:
    """Rows of the applicant's side, where even staff of the department are outsiders."""

    @pytest.mark.parametrize("row", rows, ids=lambda r: r.name)
    def test(client, db, row) -> None:
        check_outsider(client, World(), row, "staff")

    return test
