"""Every write path of 秒批 and 免申即享 keeps ``core.audit``'s rule: the audit append is the
last write of its transaction (tests/cases/audit_last.py records the statements)."""

import pytest

from tests.cases.audit_last import check_audit_last, transactions
from tongban.decisions import offers, services
from tongban.decisions.instant import finish
from tongban.decisions.models import AutomaticDecision, Offer
from tongban.workflow.dmn import services as dmn

from . import dmn_world
from .dmn_world import ADULT_TABLE, submit
from .test_dmn_offers import TODAY, old_citizen
from .test_dmn_offers import policy as policy_fixture

world = dmn_world.world
instant = dmn_world.instant
policy = policy_fixture


def test_submission_of_an_instant_item(instant):
    with transactions() as found:
        submit(instant)
    check_audit_last(found)


def test_the_automatic_steps(instant):
    case = submit(instant)
    with transactions() as found:
        assert finish(AutomaticDecision.objects.get(case=case).pk)
    check_audit_last(found)
    assert sum(t.appends for t in found) >= 4  # 受理, 审查, 准予 (+ the decision's entry), 办结


def test_human_review(instant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    with transactions() as found:
        review = services.request_review(user=instant["applicant"], case=case, reason="复核")
    check_audit_last(found)
    with transactions() as found:
        services.answer_review(actor=instant["decider"], review=review, upheld=True, answer="维持")
    check_audit_last(found)


def test_upload_and_publish(world):
    with transactions() as found:
        table = dmn.upload_table(
            actor=None, key="k", name="表", dmn=ADULT_TABLE, department=world["department"], known=None
        )
    check_audit_last(found)
    with transactions() as found:
        dmn.publish_table(actor=None, table=table)
    check_audit_last(found)


@pytest.mark.parametrize("path", ["offer", "decline", "withdraw", "confirm"])
def test_offers(policy, path, django_capture_on_commit_callbacks):
    from tongban.registries.models import PopulationRecord

    user, record = old_citizen()
    if path == "offer":
        with transactions() as found:
            offers.sweep(policy, today=TODAY)
        check_audit_last(found)
        return
    offers.sweep(policy, today=TODAY)
    offer = Offer.objects.get()
    with transactions() as found:
        if path == "decline":
            offers.decline_offer(user=user, offer_id=offer.pk)
        elif path == "withdraw":
            PopulationRecord.objects.filter(pk=record.pk).update(status="deceased")
            offers.sweep(policy, today=TODAY)
        else:
            with django_capture_on_commit_callbacks(execute=True):
                offers.confirm_offer(user=user, offer_id=offer.pk)
    check_audit_last(found)
