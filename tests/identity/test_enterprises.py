"""Enterprise accounts, agents (经办人), acting for an enterprise, and who-acted-for-whom records."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.factories import PublishedItemFactory
from tests.identity.factories import (
    CitizenFactory,
    EnterpriseRecordFactory,
    PopulationRecordFactory,
    enterprise_for,
    grant,
    verified_citizen,
)
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity import services
from tongban.identity.actors import (
    SESSION_KEY,
    Actor,
    acting_choices,
    check_actor_scope,
    check_agent_scope,
    current_actor,
    switch_actor,
)
from tongban.identity.audit import record_action
from tongban.identity.models import ActionRecord, AgentAuthorization, EnterpriseAccount
from tongban.registries.models import DataAccessLog, EnterpriseRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    return verified_citizen()


@pytest.fixture
def record(rep):
    return EnterpriseRecordFactory(legal_rep_name=rep.real_name, legal_rep_id_number=rep.id_number)


def test_legal_rep_opens_the_enterprise_account(rep, record):
    account = services.open_enterprise(rep, uscc=record.uscc)
    assert (account.record, account.legal_rep, account.name) == (record, rep, record.name)
    assert DataAccessLog.objects.filter(enterprise=record, purpose="开通企业账号核验").exists()
    action = ActionRecord.objects.get(action="identity.open_enterprise")
    assert (action.user, action.enterprise) == (rep, account)
    assert services.open_enterprise(rep, uscc=record.uscc) == account  # idempotent for the same person


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("bad_uscc", "invalid_uscc"),
        ("unknown", "enterprise_not_found"),
        ("not_rep", "not_legal_rep"),
        ("same_name_other_id", "not_legal_rep"),
        ("cancelled", "enterprise_inactive"),
        ("unverified", "real_name_required"),
    ],
)
def test_opening_is_refused(case, code, rep, record):
    user, uscc = rep, record.uscc
    if case == "bad_uscc":
        uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    elif case == "unknown":
        uscc = EnterpriseRecordFactory.build().uscc
    elif case == "not_rep":
        user = verified_citizen()
    elif case == "same_name_other_id":
        user = verified_citizen(PopulationRecordFactory(name=rep.real_name))
    elif case == "cancelled":
        record.status = EnterpriseRecord.Status.CANCELLED
        record.save()
    elif case == "unverified":
        user = CitizenFactory()
    with pytest.raises((InvalidInput, PermissionDenied, services.RealNameRefused)) as info:
        services.open_enterprise(user, uscc=uscc)
    assert info.value.code == code
    assert not EnterpriseAccount.objects.exists()


def test_an_opened_enterprise_cannot_be_taken_by_someone_else(rep, record):
    services.open_enterprise(rep, uscc=record.uscc)
    other = verified_citizen()
    with pytest.raises(InvalidInput, match="已开通"):
        services.open_enterprise(other, uscc=record.uscc)


def future(days: int = 30) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def test_authorise_agent_with_scope_and_period(rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    item = PublishedItemFactory(service_objects=["2"])
    g = services.authorise_agent(
        rep, account, mobile=agent.mobile, id_number=agent.id_number, items=[item], valid_until=future()
    )
    assert list(g.items.all()) == [item] and not g.all_items and g.state == "active"
    assert check_agent_scope(agent, account, item) == g


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong_id", "agent_not_found"),
        ("unverified", "agent_not_found"),
        ("no_scope", "no_scope"),
        ("past", "bad_period"),
        ("self", "agent_is_rep"),
        ("twice", "already_authorised"),
    ],
)
def test_authorisation_refusals(case, code, rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    kwargs = {
        "mobile": agent.mobile,
        "id_number": agent.id_number,
        "all_items": True,
        "valid_until": future(),
    }
    if case == "wrong_id":
        kwargs["id_number"] = PopulationRecordFactory().id_number
    elif case == "unverified":
        plain = CitizenFactory()
        kwargs.update(mobile=plain.mobile)
    elif case == "no_scope":
        kwargs["all_items"] = False
    elif case == "past":
        kwargs["valid_until"] = timezone.now() - datetime.timedelta(minutes=1)
    elif case == "self":
        kwargs.update(mobile=rep.mobile, id_number=rep.id_number)
    elif case == "twice":
        services.authorise_agent(rep, account, **kwargs)
    with pytest.raises(InvalidInput) as info:
        services.authorise_agent(rep, account, **kwargs)
    assert info.value.code == code


def test_only_the_legal_rep_may_authorise_or_revoke(rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    stranger = verified_citizen()
    with pytest.raises(NotFound):
        services.authorise_agent(
            stranger,
            account,
            mobile=agent.mobile,
            id_number=agent.id_number,
            all_items=True,
            valid_until=future(),
        )
    g = grant(account, agent, all_items=True)
    with pytest.raises(NotFound):
        services.revoke_authorisation(agent, g)
    with pytest.raises(NotFound):
        services.revoke_authorisation(stranger, g)


def test_agent_cannot_act_outside_scope(rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    allowed, other = PublishedItemFactory(), PublishedItemFactory()
    grant(account, agent, items=[allowed])
    check_agent_scope(agent, account, allowed)
    with pytest.raises(PermissionDenied, match="不在您的经办授权范围内"):
        check_agent_scope(agent, account, other)


def test_agent_cannot_act_after_expiry(rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    item = PublishedItemFactory()
    g = grant(account, agent, all_items=True)
    AgentAuthorization.objects.filter(pk=g.pk).update(
        valid_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(PermissionDenied, match="已过期"):
        check_agent_scope(agent, account, item)
    assert account not in acting_choices(agent)


def test_agent_cannot_act_before_the_period(rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    grant(account, agent, all_items=True, valid_from=future(2))
    with pytest.raises(PermissionDenied, match="尚未生效"):
        check_agent_scope(agent, account)


def test_agent_cannot_act_after_revocation_at_once(rep, rf):
    account = enterprise_for(rep)
    agent = verified_citizen()
    item = PublishedItemFactory()
    g = grant(account, agent, all_items=True)
    request = session_request(rf, agent)
    assert switch_actor(request, account.pk) == Actor(agent, account)
    services.revoke_authorisation(rep, g)
    with pytest.raises(PermissionDenied, match="已被撤销"):
        check_agent_scope(agent, account, item)
    fresh = session_request(rf, agent, request.session)
    assert current_actor(fresh) == Actor(agent, None)  # the next request acts for themself again
    assert SESSION_KEY not in fresh.session


def test_non_agent_and_legal_rep(rep):
    account = enterprise_for(rep)
    item = PublishedItemFactory()
    assert check_agent_scope(rep, account, item) is None
    with pytest.raises(PermissionDenied, match="未获得"):
        check_agent_scope(verified_citizen(), account, item)
    account.is_active = False
    account.save()
    with pytest.raises(PermissionDenied, match="停用"):
        check_agent_scope(rep, account, item)


def session_request(rf: RequestFactory, user, session=None):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.user = user
    request.session = session or SessionStore()
    return request


def test_switching_actor_is_stored_in_the_session(rep, rf):
    account = enterprise_for(rep)
    request = session_request(rf, rep)
    assert current_actor(request) == Actor(rep, None)
    switch_actor(request, account.pk)
    assert request.session[SESSION_KEY] == account.pk
    again = session_request(rf, rep, request.session)
    assert current_actor(again).enterprise == account
    switch_actor(again, None)
    assert current_actor(session_request(rf, rep, again.session)).enterprise is None


def test_cannot_switch_to_a_foreign_enterprise(rep, rf):
    account = enterprise_for(rep)
    with pytest.raises(NotFound):
        switch_actor(session_request(rf, verified_citizen()), account.pk)


def test_actions_record_who_acted_and_for_whom(rep, rf):
    account = enterprise_for(rep)
    agent = verified_citizen()
    grant(account, agent, all_items=True)
    request = session_request(rf, agent)
    actor = switch_actor(request, account.pk)
    check_actor_scope(actor, PublishedItemFactory())
    row = record_action(actor, "cases.submit", target=account, summary="提交申请", request=request)
    assert (row.user, row.enterprise, row.user_label) == (agent, account, agent.real_name)
    assert row.target_type == "identity.enterpriseaccount" and row.target_id == str(account.pk)


def test_header_switch_and_pages(client, rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    grant(account, agent, all_items=True)
    client.force_login(agent)
    response = client.post(reverse("identity:acting_as"), {"enterprise": account.pk, "next": "/account/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == account.pk
    page = client.get(reverse("identity:account")).content.decode()
    assert account.name in page
    client.post(reverse("identity:acting_as"), {"enterprise": ""})
    assert SESSION_KEY not in client.session


def test_enterprise_page_authorise_and_revoke(client, rep):
    account = enterprise_for(rep)
    agent = verified_citizen()
    client.force_login(rep)
    url = reverse("identity:enterprise", args=[account.pk])
    response = client.post(
        url,
        {
            "mobile": agent.mobile,
            "id_number": agent.id_number,
            "all_items": "on",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    g = AgentAuthorization.objects.get()
    assert g.all_items and g.valid_until > future(10) - datetime.timedelta(days=1)
    response = client.post(reverse("identity:revoke_agent", args=[account.pk, g.pk]))
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.revoked_at is not None and g.revoked_by == rep


def test_open_page(client, rep, record):
    client.force_login(rep)
    response = client.post(reverse("identity:enterprise_open"), {"uscc": record.uscc})
    account = EnterpriseAccount.objects.get()
    assert response["Location"] == reverse("identity:enterprise", args=[account.pk])
    other = verified_citizen()
    client.force_login(other)
    response = client.post(reverse("identity:enterprise_open"), {"uscc": EnterpriseRecordFactory().uscc})
    assert response.status_code == 400 and "不是该企业登记的法定代表人" in response.content.decode()
