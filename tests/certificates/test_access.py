"""Each certificate rule is written once (``certificates.access``): for every state of a
licence and every kind of user, the wallet and the staff page offer 亮证, 用证, 吊销 and 换发
exactly when the services accept them. Services run inside a savepoint that is rolled back."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.access import accepted
from tests.cases.conftest import staff
from tests.factories import DepartmentFactory, login_verified
from tongban.certificates import access, services
from tongban.certificates.models import Certificate
from tongban.identity.actors import Actor

ROLES = ["holder", "other", "intake", "reviewer", "decider", "issuer", "outsider", "supervisor", "anonymous"]
STATES = ["valid", "expired", "revoked", "replaced"]


def person(world, role):
    return {"holder": world["applicant"], "anonymous": None}.get(role, world.get(role))


def page(client, user, url) -> str:
    """The page as ``user`` sees it; "" when it is not shown to them."""
    client.logout()
    if user is not None:
        if user.kind == "staff":
            login_verified(client, user)
        else:
            client.force_login(user)
    response = client.get(url)
    return response.content.decode() if response.status_code == 200 else ""


@pytest.fixture
def licence(world, issued, request):
    """The issued licence in the state the test asks for."""
    world["supervisor"] = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor", name="监察员")
    state = request.node.callspec.params["state"]
    if state == "expired":
        Certificate.objects.filter(pk=issued.pk).update(
            valid_until=timezone.localdate() - dt.timedelta(days=1)
        )
    elif state == "revoked":
        services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="违法经营")
    elif state == "replaced":
        services.replace_certificate(actor=world["issuer"], certificate=issued, reason="遗失补发")
    return Certificate.objects.select_related("type", "department__region").get(pk=issued.pk)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_showing_and_sharing_are_offered_exactly_when_accepted(client, world, licence, state, role):
    user = person(world, role)
    actor = Actor(user)
    until = timezone.now() + dt.timedelta(days=7)
    will_present = accepted(lambda: services.present_certificate(actor=actor, certificate=licence))
    will_share = accepted(
        lambda: services.share_certificate(
            actor=actor, certificate=licence, recipient="某银行", purpose="开户", valid_until=until
        )
    )
    assert will_present == will_share == access.can_use(actor, licence)
    shown = page(client, user, f"/my/certificates/{licence.identifier}/")
    assert (f'action="/my/certificates/{licence.identifier}/present/"' in shown) == will_present
    assert (f'action="/my/certificates/{licence.identifier}/share/"' in shown) == will_share
    assert will_present == (role == "holder" and state == "valid")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_revoking_and_replacing_are_offered_exactly_when_accepted(client, world, licence, state, role):
    user = person(world, role)
    will_revoke = accepted(
        lambda: services.revoke_certificate(actor=user, certificate=licence, reason="违法经营")
    )
    will_replace = accepted(
        lambda: services.replace_certificate(actor=user, certificate=licence, reason="遗失补发")
    )
    assert will_revoke == access.can_revoke(user, licence)
    assert will_replace == access.can_replace(user, licence)
    shown = page(client, user, f"/staff/certificates/{licence.identifier}/")
    offered = 'name="action"' in shown
    assert offered == (will_revoke or will_replace)
    assert will_revoke == will_replace == (role in ("issuer", "decider") and state in ("valid", "expired"))
