"""一件事 pages: the public 一次告知 (guidance GET form) and the workspace where admins edit bundles."""

import pytest
from django.urls import reverse

from tests.catalog.bundle_data import restaurant_bundle
from tests.factories import MaterialRequirementFactory, login_verified
from tongban.catalog.models import LifeEvent, LifeEventVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return restaurant_bundle()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(client, **query):
    response = client.get(reverse("web:life_event", args=["canyin"]), query)
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_notice_lists_items_materials_and_the_apply_link(client, setup):
    items = setup["items"]
    for key in ("licence", "food", "tax"):
        MaterialRequirementFactory(item=items[key], name="居民身份证")
    response, html = page(client)
    plan = response.context["plan"]
    assert [e.item.name for e in plan.selected] == [
        "个体工商户设立登记",
        "食品经营许可",
        "税务登记",
        "户外招牌设置",
    ]
    assert html.count("居民身份证") == 1
    assert "3 个事项共用" in html
    assert "行政审批局" in html and "10 个工作日" in html
    assert 'href="/yijianshi/canyin/apply/?q' in html
    # the existing page context stays
    assert {i.name for i in response.context["items"]} == {e.item.name for e in plan.selected}


def test_answers_in_the_query_string_change_the_notice(client, setup):
    question = setup["sign_q"]
    response, html = page(client, **{f"q{question.pk}": "no"})
    assert "户外招牌设置" not in [e.item.name for e in response.context["plan"].selected]
    assert f'name="q{question.pk}" value="no" checked' in html
    assert f"q{question.pk}=no" in response.context["apply_url"]


def test_another_county_shows_its_missing_items_without_apply(client, setup):
    from tests.factories import region_chain

    region_chain("511621", "岳池县")
    response, html = page(client, region="511621")
    assert "本地区暂未提供以下事项" in html
    assert response.context["plan"].applicable is False
    assert "/yijianshi/canyin/apply/" not in html
    # an unknown region falls back to the bundle's own
    response, _html = page(client, region="999999")
    assert response.context["region_code"] == "511602"


def test_a_draft_bundle_has_no_public_page(client, setup):
    LifeEvent.objects.filter(pk=setup["bundle"].pk).update(status=LifeEvent.Status.DRAFT)
    assert client.get(reverse("web:life_event", args=["canyin"])).status_code == 404


# -- workspace


def test_the_admin_withdraws_edits_and_publishes_a_new_version(client, setup):
    login_verified(client, setup["admin"])
    bundle = setup["bundle"]
    assert "开办餐饮店一件事" in client.get(reverse("catalog:bundles")).content.decode()
    url = reverse("catalog:bundle_action", args=[bundle.pk])
    assert client.post(url, {"action": "withdraw"}).status_code == 302
    response = client.post(
        url,
        {
            "action": "add_question",
            "text": "是否雇用员工？",
            "if_yes": [setup["entries"]["tax"].pk],
        },
    )
    assert response.status_code == 302
    assert client.post(url, {"action": "publish"}).status_code == 302
    bundle.refresh_from_db()
    assert (bundle.status, bundle.version) == ("published", 2)
    html = client.get(reverse("catalog:bundle", args=[bundle.pk])).content.decode()
    assert "是否雇用员工？" in html and "撤回以修改" in html


def test_bad_input_on_the_page_is_a_chinese_error_and_changes_nothing(client, setup):
    login_verified(client, setup["admin"])
    bundle = setup["bundle"]
    url = reverse("catalog:bundle_action", args=[bundle.pk])
    before = LifeEventVersion.objects.count()
    response = client.post(url, {"action": "add_entry", "item_code": setup["items"]["food"].code})
    assert response.status_code == 400
    assert "请先撤回" in response.content.decode()
    client.post(url, {"action": "withdraw"})
    before = LifeEventVersion.objects.count()
    response = client.post(url, {"action": "settings", "name": "开办餐饮店一件事", "joint_limit_days": "-3"})
    assert response.status_code == 400
    assert "联办承诺时限" in response.content.decode()
    assert LifeEventVersion.objects.count() == before
    assert LifeEvent.objects.get(pk=bundle.pk).joint_limit_days == 10
    assert client.post(url, {"action": "nonsense"}).status_code == 404


@pytest.mark.parametrize("who", ["clerk", "outsider"])
def test_other_staff_get_404_and_change_nothing(client, setup, who):
    login_verified(client, setup[who])
    bundle = setup["bundle"]
    assert client.get(reverse("catalog:bundle", args=[bundle.pk])).status_code == 404
    response = client.post(reverse("catalog:bundle_action", args=[bundle.pk]), {"action": "withdraw"})
    assert response.status_code == 404
    assert LifeEvent.objects.get(pk=bundle.pk).status == "published"
    assert not LifeEventVersion.objects.filter(bundle=bundle).exists()


def test_citizens_are_not_let_in(client, setup):
    client.force_login(setup["citizen"])
    assert client.get(reverse("catalog:bundles")).status_code == 404
    client.logout()
    assert client.get(reverse("catalog:bundles")).status_code == 302
