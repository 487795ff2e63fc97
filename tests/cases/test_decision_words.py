"""The decision step speaks the item type's language: a benefit is 予以给付, not 准予许可."""

import pytest
from django.urls import reverse

from tests.cases.test_flow import submitted_case
from tests.factories import login_verified
from tongban.cases import services
from tongban.catalog.models import ItemType


def _case_at_decision(world):
    case = submitted_case(world)
    services.accept_case(actor=world["intake"], case=case)
    services.review_case(actor=world["reviewer"], case=case, opinion="材料齐全，符合条件。")
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(
    ("item_type", "grant", "deny", "never"),
    [
        (ItemType.LICENSING, "准予行政许可", "不予行政许可", "予以给付"),
        ("05", "予以给付", "不予给付", "许可"),
        ("20", "予以办理", "不予办理", "许可"),
    ],
)
def test_decision_card_and_timeline_use_the_item_types_words(client, world, item_type, grant, deny, never):
    type(world["item"]).objects.filter(pk=world["item"].pk).update(item_type=item_type)
    world["item"].refresh_from_db()
    case = _case_at_decision(world)
    login_verified(client, world["decider"])
    page = client.get(reverse("cases:staff_case", args=[case.number])).content.decode()
    card = page[page.index('id="action-decide"') :]
    assert grant in card and deny in card
    assert never not in card[: card.index("</form>")]
    services.decide_case(actor=world["decider"], case=case, grant=False, reason="不符合条件。")
    assert case.events.filter(action="decided").get().title == deny
