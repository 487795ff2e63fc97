"""Every write path of cases keeps ``core.audit``'s rule: the audit append is the last write of
its transaction (no insert, update or delete after it but the audit's own), because appending
locks the platform-wide chain head until commit; rating a concluded case (ratings) too.
Submission steps of other apps (certificates' wallet) are checked in
tests/certificates/test_submission_steps.py."""

import datetime as dt

import pytest

from tests.cases.audit_last import check_audit_last, transactions
from tests.cases.conftest import citizen, fill, pdf_upload
from tests.cases.test_flow import submitted_case
from tests.cases.test_joint_processing import JOINT_WRITE_PATHS
from tongban.cases import services
from tongban.cases.models import Case
from tongban.cases.services import joint_applying


def _accepted(w):
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    return case


def _reviewed(w):
    case = _accepted(w)
    services.review_case(actor=w["reviewer"], case=case, opinion="材料齐全。")
    return case


def _decided(w):
    case = _reviewed(w)
    services.decide_case(actor=w["decider"], case=case, grant=True, reason="符合条件。")
    return case


def _draft(w):
    application = services.start_application(user=w["applicant"], item=w["item"])
    services.save_draft(user=w["applicant"], application=application, data=fill(application))
    services.attach_file(
        user=w["applicant"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    return application


def _window_draft(w):
    application = services.start_window_application(
        staff=w["intake"], item=w["item"], applicant=citizen("王五")
    )
    services.save_draft(user=w["intake"], application=application, data=fill(application))
    services.attach_file(
        user=w["intake"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    return application


def _joint_draft(w):
    from tests.cases.test_joint_apply import filled_draft, make_bundle

    return filled_draft(w["applicant"], make_bundle()[0])


def _concluded(w):
    case = _decided(w)
    services.conclude_case(actor=w["issuer"], case=case, result=Case.Result.ISSUED)
    return case


def _rate(w, case, level):
    from tongban.ratings import services as ratings

    return ratings.rate_case(user=w["applicant"], case=case, level=level, comment="办理很慢。")


def _in_correction(w):
    case = submitted_case(w)
    services.request_correction(actor=w["intake"], case=case, notice="请补正地址。", fields=["address"])
    return case


def _special(w):
    case = _accepted(w)
    services.start_special_procedure(actor=w["reviewer"], case=case, kind="现场核查", notice="三日内核查。")
    return case


def _claimed(w):
    case = submitted_case(w)
    services.claim_case(actor=w["intake"], case=case)
    return case


def _cards():
    from tongban.supervision.cards import services as cards

    return cards


def _supervisor(w):
    from tests.cases.conftest import staff

    if "supervisor" not in w:
        w["supervisor"] = staff(w["department"], "supervisor", name="监察")
    return w["supervisor"]


def _sweep(case, due):
    case.refresh_from_db()
    return _cards().check_cases([case.pk], on=getattr(case, due) + dt.timedelta(days=1))


def _yellow_card(w):
    case = _accepted(w)
    _sweep(case, "promised_due")
    return case


def _red_card(w):
    from tongban.supervision.cards.models import Card

    case = _accepted(w)
    _sweep(case, "legal_due")
    return Card.objects.get(case=case)


def _duban(w, card):
    return _cards().issue_order(actor=_supervisor(w), card=card, instruction="请办理。", workdays=1)


def _ordered_card(w):
    card = _red_card(w)
    _duban(w, card)
    card.refresh_from_db()
    return card


def _answered_card(w):
    card = _ordered_card(w)
    _cards().answer_order(actor=w["decider"], card=card, measures="已办理。")
    return card


# name -> (prepare(world) -> object, write(world, object))
WRITE_PATHS = {
    "submit": (_draft, lambda w, a: services.submit_application(user=w["applicant"], application=a)),
    "window submit": (
        _window_draft,
        lambda w, a: services.submit_application(user=w["intake"], application=a),
    ),
    "window submit and accept at once": (
        _window_draft,
        lambda w, a: services.submit_at_window(staff=w["intake"], application=a),
    ),
    "claim": (submitted_case, lambda w, c: services.claim_case(actor=w["intake"], case=c)),
    "release": (_claimed, lambda w, c: services.release_case(actor=w["intake"], case=c)),
    "accept": (submitted_case, lambda w, c: services.accept_case(actor=w["intake"], case=c)),
    "refuse": (
        submitted_case,
        lambda w, c: services.refuse_case(actor=w["intake"], case=c, reason="不属于本机关。"),
    ),
    "request correction": (
        submitted_case,
        lambda w, c: services.request_correction(
            actor=w["intake"], case=c, notice="请补交。", fields=["address"], materials=[w["material"]]
        ),
    ),
    "answer correction": (
        _in_correction,
        lambda w, c: services.answer_correction(
            user=w["applicant"], case=c, data={"address": {"region": "511602", "detail": "建设路 2 号"}}
        ),
    ),
    "review": (_accepted, lambda w, c: services.review_case(actor=w["reviewer"], case=c, opinion="符合。")),
    "start special procedure": (
        _accepted,
        lambda w, c: services.start_special_procedure(
            actor=w["reviewer"], case=c, kind="检验", notice="送检。"
        ),
    ),
    "end special procedure": (
        _special,
        lambda w, c: services.end_special_procedure(actor=w["reviewer"], case=c, outcome="合格。"),
    ),
    "forward": (
        _accepted,
        lambda w, c: services.forward_case(actor=w["reviewer"], case=c, reason="应由市级决定。"),
    ),
    "grant": (
        _reviewed,
        lambda w, c: services.decide_case(actor=w["decider"], case=c, grant=True, reason="符合。"),
    ),
    "deny": (
        _reviewed,
        lambda w, c: services.decide_case(actor=w["decider"], case=c, grant=False, reason="不符。"),
    ),
    "conclude": (
        _decided,
        lambda w, c: services.conclude_case(actor=w["issuer"], case=c, result=Case.Result.ISSUED),
    ),
    "withdraw": (
        submitted_case,
        lambda w, c: services.withdraw_case(user=w["applicant"], case=c, reason="不办了。"),
    ),
    # 一件事: one joint case and its three children, every audit entry after the last write
    "joint submit": (
        _joint_draft,
        lambda w, d: joint_applying.submit_joint_application(user=w["applicant"], joint=d),
    ),
    # ratings of a concluded case (a bad one also opens the rectification)
    "rate (ratings)": (_concluded, lambda w, c: _rate(w, c, 5)),
    "rate badly (ratings)": (_concluded, lambda w, c: _rate(w, c, 1)),
    # 一件事: a child's step that changes its joint case, and the one answer (test_joint_processing)
    **JOINT_WRITE_PATHS,
    # supervision cards: raising, upgrading, 督办 and its answer, review and escalation
    "raise a card (supervision cards)": (_accepted, lambda w, c: _sweep(c, "promised_due")),
    "upgrade a card (supervision cards)": (_yellow_card, lambda w, c: _sweep(c, "legal_due")),
    "issue 督办 (supervision cards)": (_red_card, lambda w, card: _duban(w, card)),
    "answer 督办 (supervision cards)": (
        _ordered_card,
        lambda w, card: _cards().answer_order(actor=w["decider"], card=card, measures="已办理。"),
    ),
    "accept an answer (supervision cards)": (
        _answered_card,
        lambda w, card: _cards().review_answer(actor=_supervisor(w), card=card, accept=True),
    ),
    "return an answer (supervision cards)": (
        _answered_card,
        lambda w, card: _cards().review_answer(
            actor=_supervisor(w), card=card, accept=False, opinion="不具体。", workdays=2
        ),
    ),
    "escalate 督办 (supervision cards)": (
        _ordered_card,
        lambda w, card: _cards().escalate_overdue(on=card.order.due + dt.timedelta(days=1)),
    ),
}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_the_audit_append_is_the_last_write_of_every_transaction(world, path):
    prepare, write = WRITE_PATHS[path]
    target = prepare(world)
    with transactions() as found:
        write(world, target)
    check_audit_last(found)


def test_the_check_sees_a_write_after_the_audit_append(world):
    """The recorder is not blind: a write after an append in one transaction is reported."""
    from django.db import transaction

    from tongban.core import audit

    case = submitted_case(world)
    with transactions() as found, transaction.atomic():
        audit.append("test.append", obj=case)
        Case.objects.filter(pk=case.pk).update(version=case.version + 1)
    with pytest.raises(AssertionError, match="writes after the audit append"):
        check_audit_last(found)
