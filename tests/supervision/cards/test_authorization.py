"""黄牌红牌 and 督办: every object URL in the shared authorization table
(tests/identity/test_authorization.py). A card on a case of the world's department (county
511602) belongs to the supervisors above it (the city's 监察, ``supervisor``), who issue and
review 督办, and to the department's 审核/决定 staff (``staff``), who answer it. Another county's
staff, supervisors included (``other_staff``), and citizens are refused."""

from typing import Any

from django.urls import reverse

from tests.identity.authorization import ObjectURL, World, api_url, outsiders_test, owner_test
from tongban.supervision.cards import services
from tongban.supervision.cards.models import Card, Colour, Trigger

DETAIL = "超过法定期限仍未办结（测试）"


def _case(w: World) -> Any:
    """One of the citizen's cases of the world's item, with every material it asks for (other
    tables may have added materials to the shared world's item)."""
    from tests.cases.conftest import fill, pdf_upload
    from tongban.cases import services as cases

    application = cases.start_application(user=w.citizen, item=w.item)
    cases.save_draft(user=w.citizen, application=application, data=fill(application), step=1)
    for requirement in cases.missing_materials(application):
        cases.attach_file(
            user=w.citizen, application=application, requirement=requirement, upload=pdf_upload()
        )
    return cases.submit_application(user=w.citizen, application=application)


def _card(w: World, stage: str = "open") -> Any:
    """A red card on one of the citizen's cases; ``ordered`` adds a 督办 order, ``answered`` the
    department's answer to it (each stage on a card of its own)."""
    key = f"_card_{stage}"
    if key not in w.__dict__:
        case = _case(w)
        card = Card.objects.create(
            case=case,
            department=w.department,
            region_code=case.region_code,
            trigger=Trigger.OVERDUE,
            colour=Colour.RED,
            detail=DETAIL,
        )
        if stage in ("ordered", "answered"):
            services.issue_order(
                actor=w.supervisor, card=card, instruction="请三个工作日内办结。", workdays=3
            )
        if stage == "answered":
            services.answer_order(actor=w.staff, card=card, measures="已约谈承办人，当日办结。")
        card.refresh_from_db()
        w.__dict__[key] = card
    return w.__dict__[key]


ROWS = [
    ObjectURL(
        "page: supervision card",
        "get",
        lambda w: reverse("supervision_cards:card", args=[_card(w).pk]),
        "supervisor",
        shows=lambda w: DETAIL,
    ),
    ObjectURL(
        "page: issue a 督办 order",
        "post",
        lambda w: reverse("supervision_cards:order", args=[_card(w).pk]),
        "supervisor",
        data=lambda w: {"instruction": "请尽快办结并说明原因。", "workdays": "3"},
    ),
    ObjectURL(
        "page: answer a 督办 order",
        "post",
        lambda w: reverse("supervision_cards:answer", args=[_card(w, "ordered").pk]),
        "staff",
        data=lambda w: {"measures": "已办结，并对承办人批评教育。"},
    ),
    ObjectURL(
        "page: review a 督办 answer",
        "post",
        lambda w: reverse("supervision_cards:review", args=[_card(w, "answered").pk]),
        "supervisor",
        data=lambda w: {"verdict": "accept", "opinion": "认可。"},
    ),
    ObjectURL(
        "api: supervision card",
        "get",
        lambda w: api_url(f"/supervision/cards/{_card(w).pk}"),
        "supervisor",
        shows=lambda w: DETAIL,
    ),
    ObjectURL(
        "api: issue a 督办 order",
        "post",
        lambda w: api_url(f"/supervision/cards/{_card(w).pk}/order"),
        "supervisor",
        data=lambda w: {"instruction": "请尽快办结并说明原因。", "workdays": 3},
    ),
    ObjectURL(
        "api: answer a 督办 order",
        "post",
        lambda w: api_url(f"/supervision/cards/{_card(w, 'ordered').pk}/answer"),
        "staff",
        data=lambda w: {"measures": "已办结，并对承办人批评教育。"},
    ),
    ObjectURL(
        "api: review a 督办 answer",
        "post",
        lambda w: api_url(f"/supervision/cards/{_card(w, 'answered').pk}/review"),
        "supervisor",
        data=lambda w: {"accept": True, "opinion": "认可。"},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
