"""The pages offer an action exactly when the service accepts it (issue 11, point 3).

For every case status × person × action: the applicant's page (my case) or the staff case page
is rendered for that person, the offered actions are read from it, and every action's service
function is called in a savepoint that is rolled back; both sets must be equal. Persons: the
applicant, an enterprise's legal representative, its agent within scope, out of scope and with
an expired authorisation, another citizen, every processing role of the case's department, a
second holder of the step's role, staff of another department and nobody signed in.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.access import accepted as _accepts
from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.factories import PublishedItemFactory, login_verified
from tests.identity.factories import enterprise_for, grant
from tongban.cases import access, services
from tongban.cases.models import Case

STATUSES = (
    "pending_intake",
    "correction",
    "in_review",
    "claimed_by_reviewer",
    "special",
    "pending_decision",
    "pending_issue",
    "concluded",
    "refused",
    "denied",
    "forwarded",
    "withdrawn",
)
# Persons acting on the enterprise's case; everybody else acts on a citizen's own case.
ENTERPRISE_SIDE = ("legal_rep", "agent_in_scope", "agent_out_of_scope", "agent_expired")
PERSONS = (
    "applicant",
    *ENTERPRISE_SIDE,
    "other_citizen",
    "intake",
    "reviewer",
    "second_reviewer",
    "decider",
    "issuer",
    "outsider",
    "anonymous",
)
ACTIONS = ("withdraw", "claim", "release", *access.STAFF_ACTIONS)


def _service_call(action, user, case):
    """The service function of ``action`` with valid input (only the permission may fail)."""
    if action == "withdraw":
        return lambda: services.withdraw_case(user=user, case=case, reason="不再办理。")
    if action == "claim":
        return lambda: services.claim_case(actor=user, case=case)
    if action == "release":
        return lambda: services.release_case(actor=user, case=case)
    calls = {
        "accept": lambda: services.accept_case(actor=user, case=case, opinion="材料齐全。"),
        "refuse": lambda: services.refuse_case(actor=user, case=case, reason="不属于本机关职权范围。"),
        "correct": lambda: services.request_correction(
            actor=user, case=case, notice="请补充联系地址门牌号。", fields=["address"]
        ),
        "review": lambda: services.review_case(actor=user, case=case, opinion="符合条件。"),
        "special_start": lambda: services.start_special_procedure(
            actor=user, case=case, kind="现场核查", notice="需要现场核查经营场所。"
        ),
        "special_end": lambda: services.end_special_procedure(actor=user, case=case, outcome="核查合格。"),
        "forward": lambda: services.forward_case(actor=user, case=case, reason="属上级机关权限。"),
        "decide": lambda: services.decide_case(actor=user, case=case, grant=True, reason="符合条件。"),
        "decide_deny": lambda: services.decide_case(actor=user, case=case, grant=False, reason="不符合。"),
        "conclude": lambda: services.conclude_case(actor=user, case=case, result=Case.Result.ISSUED),
    }
    return calls[action]


def service_accepts(action, user, case) -> bool:
    fresh = Case.objects.get(pk=case.pk)
    if action == "claim" and user is not None and fresh.assignee_id == user.pk:
        return False  # claiming one's own case again is harmless (a double click) but not offered
    if action == "decide":  # offered as one card with 准予 and 不予
        return _accepts(_service_call("decide", user, fresh)) or _accepts(
            _service_call("decide_deny", user, fresh)
        )
    return _accepts(_service_call(action, user, fresh))


def page_offers(client, user, case) -> set[str]:
    """The actions the page this person would use for ``case`` offers them."""
    client.logout()
    if user is None:
        return set()
    if user.kind == "staff":
        login_verified(client, user)
        response = client.get(reverse("cases:staff_case", args=[case.number]))
    else:
        client.force_login(user)
        response = client.get(reverse("cases:my_case", args=[case.number]))
    if response.status_code != 200:
        assert response.status_code == 404, response.status_code
        return set()
    body = response.content.decode()
    offered = {a for a in access.STAFF_ACTIONS if f'id="action-{a}"' in body}
    if reverse("cases:my_case_withdraw", args=[case.number]) in body:
        offered.add("withdraw")
    if f'action="{reverse("cases:staff_claim", args=[case.number])}"' in body:
        offered.add("claim")
    if f'action="{reverse("cases:staff_release", args=[case.number])}"' in body:
        offered.add("release")
    return offered


def _submit(user, item, material, enterprise=None) -> Case:
    application = services.start_application(user=user, item=item, enterprise=enterprise)
    services.save_draft(user=user, application=application, data=fill(application), step=2)
    services.attach_file(user=user, application=application, requirement=material, upload=pdf_upload())
    return services.submit_application(user=user, application=application)


def _bring_to(case, status, people) -> Case:
    """Walk ``case`` through the shipped 承诺件 process to ``status``."""
    intake, reviewer, decider, issuer = (people[r] for r in ("intake", "reviewer", "decider", "issuer"))
    if status == "withdrawn":
        return services.withdraw_case(user=people["case_applicant"], case=case)
    if status == "refused":
        return services.refuse_case(actor=intake, case=case, reason="不属于本机关职权范围。")
    if status == "correction":
        services.request_correction(actor=intake, case=case, notice="请补充门牌号。", fields=["address"])
        return case
    if status == "pending_intake":
        return case
    services.accept_case(actor=intake, case=case)
    if status == "in_review":
        return case
    if status == "claimed_by_reviewer":
        return services.claim_case(actor=reviewer, case=case)
    if status == "special":
        return services.start_special_procedure(
            actor=reviewer, case=case, kind="现场核查", notice="核查场所。"
        )
    if status == "forwarded":
        return services.forward_case(actor=reviewer, case=case, reason="属上级机关权限。")
    services.review_case(actor=reviewer, case=case, opinion="符合条件。")
    if status == "pending_decision":
        return case
    if status == "denied":
        return services.decide_case(actor=decider, case=case, grant=False, reason="不符合。")
    services.decide_case(actor=decider, case=case, grant=True, reason="符合条件。")
    if status == "pending_issue":
        return case
    return services.conclude_case(actor=issuer, case=case, result=Case.Result.ISSUED)


@pytest.fixture
def people(world):
    rep = citizen("法定代表人")
    enterprise = enterprise_for(rep)
    in_scope, out_of_scope, expired = citizen("经办人甲"), citizen("经办人乙"), citizen("经办人丙")
    grant(enterprise, in_scope, items=[world["item"]])
    grant(enterprise, out_of_scope, items=[PublishedItemFactory(department=world["department"])])
    past = timezone.now() - dt.timedelta(days=60)
    grant(enterprise, expired, all_items=True, valid_from=past, valid_until=past + dt.timedelta(days=30))
    return {
        "applicant": world["applicant"],
        "legal_rep": rep,
        "agent_in_scope": in_scope,
        "agent_out_of_scope": out_of_scope,
        "agent_expired": expired,
        "other_citizen": world["other"],
        "intake": world["intake"],
        "reviewer": world["reviewer"],
        "second_reviewer": staff(world["department"], "review", name="另一审查员"),
        "decider": world["decider"],
        "issuer": world["issuer"],
        "outsider": world["outsider"],
        "anonymous": None,
        "enterprise": enterprise,
    }


@pytest.mark.parametrize("person", PERSONS)
@pytest.mark.parametrize("status", STATUSES)
def test_the_page_offers_an_action_exactly_when_the_service_accepts_it(client, world, people, status, person):
    if person in ENTERPRISE_SIDE:
        submitter, enterprise = people["agent_in_scope"], people["enterprise"]
    else:
        submitter, enterprise = world["applicant"], None
    case = _submit(submitter, world["item"], world["material"], enterprise)
    case = _bring_to(case, status, {**people, "case_applicant": submitter})
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW if status == "claimed_by_reviewer" else case.status == status
    user = people[person]
    accepted = {a for a in ACTIONS if user is not None and service_accepts(a, user, case)}
    offered = page_offers(client, user, case)
    assert offered == accepted, f"page offers {sorted(offered)}, the service accepts {sorted(accepted)}"
    case.refresh_from_db()
    assert case.status != Case.Status.WITHDRAWN or status == "withdrawn"  # every trial was undone


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("applicant", {"withdraw"}),
        ("intake", {"claim", "accept", "refuse", "correct"}),
        ("reviewer", set()),
        ("outsider", set()),
    ],
)
def test_the_table_is_not_empty(client, world, people, person, expected):
    """The comparison above would pass if nothing were ever offered: a new case offers these."""
    case = _submit(world["applicant"], world["item"], world["material"])
    user = people[person]
    assert page_offers(client, user, case) == expected
    assert {a for a in ACTIONS if service_accepts(a, user, case)} == expected


def test_an_agent_outside_their_scope_is_not_offered_withdrawal_and_the_service_says_why(
    client, world, people
):
    """The drift that started this: the button ignored the agent's scope that the service checks."""
    case = _submit(people["agent_in_scope"], world["item"], world["material"], people["enterprise"])
    agent = people["agent_out_of_scope"]
    client.force_login(agent)
    url = reverse("cases:my_case_withdraw", args=[case.number])
    assert url not in client.get(reverse("cases:my_case", args=[case.number])).content.decode()
    body = client.get(url).content.decode()
    assert "确认撤回" not in body and "不在您的经办授权范围内" in body
    client.post(url, {"reason": "x"})
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE


def test_every_outcome_a_process_may_offer_has_its_action_on_the_page():
    """Uploaded processes may only use outcomes the case pages offer (workflow.services)."""
    from tongban.workflow.services import KNOWN_OUTCOMES

    assert set(access.ACTION_BY_DECISION) == KNOWN_OUTCOMES
    assert set(access.ACTION_BY_DECISION.values()) <= set(access.STAFF_ACTIONS)


@pytest.mark.parametrize(
    "person",
    ("applicant", "legal_rep", "agent_in_scope", "agent_out_of_scope", "agent_expired", "intake", "outsider"),
)
@pytest.mark.parametrize("for_enterprise", [False, True], ids=["for-self", "for-enterprise"])
def test_the_notice_offers_applying_exactly_when_the_service_starts_an_application(
    client, world, people, person, for_enterprise
):
    """开始申请 on the one-time notice, acting for oneself or (chosen in the session) for the
    enterprise; an expired agent's choice is dropped by the session check, so they act for
    themselves."""
    from tongban.identity.actors import SESSION_KEY, may_act_for

    user, item = people[person], world["item"]
    enterprise = people["enterprise"] if for_enterprise and may_act_for(user, people["enterprise"]) else None
    if user.kind == "staff":
        login_verified(client, user)
    else:
        client.force_login(user)
    if for_enterprise:
        session = client.session
        session[SESSION_KEY] = people["enterprise"].pk
        session.save()
    body = client.get(reverse("cases:apply", args=[item.code])).content.decode()
    offered = "我已阅读，开始填写" in body
    accepted = _accepts(lambda: services.start_application(user=user, item=item, enterprise=enterprise))
    assert offered == accepted
    if person == "agent_out_of_scope" and for_enterprise:
        assert not offered and "不在您的经办授权范围内" in body


CORRECTING = (
    "applicant",
    "legal_rep",
    "agent_in_scope",
    "agent_out_of_scope",
    "agent_expired",
    "other_citizen",
)


@pytest.mark.parametrize("person", CORRECTING)
def test_answering_a_correction_is_offered_exactly_when_the_service_accepts_it(client, world, people, person):
    """补正 follows the same rule as 撤回: an agent outside their scope may not answer for the
    enterprise (the service used to accept it while only submitting and withdrawing checked)."""
    if person in ENTERPRISE_SIDE:
        submitter, enterprise = people["agent_in_scope"], people["enterprise"]
    else:
        submitter, enterprise = world["applicant"], None
    case = _submit(submitter, world["item"], world["material"], enterprise)
    case = _bring_to(case, "correction", {**people, "case_applicant": submitter})
    user = people[person]
    answer = {"address": {"region": case.item.region_code, "detail": "建设路 2 号"}}
    accepted = _accepts(
        lambda: services.answer_correction(user=user, case=Case.objects.get(pk=case.pk), data=answer)
    )
    client.force_login(user)
    response = client.get(reverse("cases:my_case", args=[case.number]))
    offered = response.status_code == 200 and (
        reverse("cases:my_case_correct", args=[case.number]) in response.content.decode()
    )
    assert offered == accepted
    expected = person in ("applicant", "legal_rep", "agent_in_scope")
    assert accepted == expected
    if person == "agent_out_of_scope":
        assert "不在您的经办授权范围内" in response.content.decode()
        refused = client.post(reverse("cases:my_case_correct", args=[case.number]), {"address-detail": "x"})
        assert refused.status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.CORRECTION
