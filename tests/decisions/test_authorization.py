"""Decisions (秒批 and 免申即享): every object URL in the shared authorization table
(tests/identity/test_authorization.py). Owners: the applicant of an automatically decided case
(its “why” and a request for human review), the person an offer was made to, and deciding staff
of the case's department (answering a review)."""

from typing import Any

from django.test import TestCase
from django.urls import reverse

from tests.cases.conftest import fill, pdf_upload
from tests.certificates.conftest import make_type
from tests.factories import MaterialRequirementFactory, PublishedItemFactory
from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test
from tests.workflow.dmn_builder import table_xml
from tests.workflow.dmn_world import ADULT_TABLE, grant_population, person, publish
from tongban.cases import services as case_services
from tongban.decisions import offers, services
from tongban.decisions.models import InstantApproval, Offer, Policy

ALLOWANCE = table_xml(
    name="高龄津贴",
    inputs=[("户籍.状态", "string")],
    outputs=[("决定", "string", ""), ("金额", "number", "")],
    rules=[(['"正常"'], ['"准予"', "100"])],
)


def _cached(w: World, key: str, make) -> Any:
    if key not in w.__dict__:
        w.__dict__[key] = make()
    return w.__dict__[key]


def _decided_case(w: World) -> Any:
    """The citizen's case of a 秒批 item, decided (and concluded) by the system on commit."""

    def make() -> Any:
        item = PublishedItemFactory(name="个体工商户登记", department=w.department, promised_limit=1)
        material = MaterialRequirementFactory(item=item, name="经营场所证明")
        _cached(w, "_population_grant", lambda: grant_population(w.department))
        publish("item:auth", ADULT_TABLE, w.department)
        InstantApproval.objects.create(item=item, table_key="item:auth")
        make_type(w.department, item, name="个体工商户营业执照", code="11100000000000091")
        application = case_services.start_application(user=w.citizen, item=item)
        case_services.save_draft(user=w.citizen, application=application, data=fill(application), step=1)
        case_services.attach_file(
            user=w.citizen, application=application, requirement=material, upload=pdf_upload()
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            case = case_services.submit_application(user=w.citizen, application=application)
        case.refresh_from_db()
        return case

    return _cached(w, "_decided_case", make)


def _review(w: World) -> Any:
    return _cached(
        w,
        "_review",
        lambda: services.request_review(user=w.citizen, case=_decided_case(w), reason="我认为结果有误"),
    )


def _offer(w: World) -> Offer:
    """A 免申即享 offer made to the citizen by a policy sweep over the registry."""

    def make() -> Offer:
        _cached(w, "_population_grant", lambda: grant_population(w.department))
        publish("policy:auth", ALLOWANCE, w.department, name="高龄津贴")
        item = PublishedItemFactory(
            name="高龄津贴发放", department=w.department, case_kind="1", promised_limit=0, item_type="05"
        )
        policy = Policy.objects.create(code="AUTH", name="高龄津贴", item=item, table_key="policy:auth")
        record = person(w.citizen.id_number, name=w.citizen.real_name)
        offers.sweep(policy, people=[record])
        return Offer.objects.get(policy=policy, user=w.citizen)

    return _cached(w, "_offer", make)


ROWS = [
    ObjectURL(
        "page: automatic decision of a case",
        "get",
        lambda w: reverse("decisions:case", args=[_decided_case(w).number]),
        "citizen",
        shows=lambda w: _decided_case(w).automatic_decision.reason,
    ),
    ObjectURL(
        "page: request a human review",
        "post",
        lambda w: reverse("decisions:case", args=[_decided_case(w).number]),
        "citizen",
        data=lambda w: {"reason": "我认为结果有误"},
    ),
    ObjectURL(
        "page: answer a human review",
        "post",
        lambda w: reverse("decisions:review", args=[_review(w).pk]),
        "staff",
        data=lambda w: {"upheld": "1", "answer": "经复核，维持自动审批决定。"},
    ),
    ObjectURL(
        "page: human review",
        "get",
        lambda w: reverse("decisions:review", args=[_review(w).pk]),
        "decider",
        shows=lambda w: _review(w).reason,
    ),
    ObjectURL(
        "page: confirm an offer",
        "post",
        lambda w: reverse("decisions:offer_confirm", args=[_offer(w).pk]),
        "citizen",
    ),
    ObjectURL(
        "page: decline an offer",
        "post",
        lambda w: reverse("decisions:offer_decline", args=[_offer(w).pk]),
        "citizen",
        data=lambda w: {"reason": "已在外地领取"},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
