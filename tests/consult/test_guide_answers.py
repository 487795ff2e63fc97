"""Published 12345 answers appear on the guide of the item they concern (issue 17, Build 4):
without personal data, the newest first, and a kept guide page is rendered again when an answer
is published or taken down (the page cache's stamp counts them)."""

from django.urls import reverse

from tests.consult.test_knowledge_and_open311 import _answered_consultation
from tests.factories import PublishedItemFactory
from tests.web.test_pagecache import rendered_guide
from tongban.consult import services


def _guide(client, item):
    return client.get(reverse("web:item", args=[item.code]))


def test_a_published_answer_is_shown_on_its_items_guide(client, world):
    item = PublishedItemFactory(name="失业保险金申领", department=world["rs"])
    other = PublishedItemFactory(name="就业登记", department=world["rs"])
    first = _guide(client, item)
    assert first.status_code == 200 and "咨询解答" not in first.content.decode()
    assert not rendered_guide(_guide(client, item))  # kept

    entry = services.publish_answer(
        actor=world["operator"],
        petition=_answered_consultation(world),
        question="王小明（511602198803140011）问：失业金怎么领？",
        answer="可全程网上申领，咨询 13900000009。",
        item=item,
    )
    page = _guide(client, item)
    assert rendered_guide(page)
    html = page.content.decode()
    assert "咨询解答" in html and entry.question in html and 'href="#answers"' in html
    for secret in ("511602198803140011", "13900000009", "王小明"):
        assert secret not in html
    assert not rendered_guide(_guide(client, item))
    # Another item's guide does not show it.
    assert entry.question not in _guide(client, other).content.decode()

    entry.delete()
    again = _guide(client, item)
    assert rendered_guide(again) and entry.question not in again.content.decode()
