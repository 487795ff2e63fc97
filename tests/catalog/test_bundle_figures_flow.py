"""The 一件事 figures of docs/joint.md are measured on the shipped demo's real pages (issue 13):
the joint figure is what the joint upload page asks, documents the government holds are fetched
while the grant is in force and asked, with the reason, when it is missing or revoked, and
item-specific documents are never dropped."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.fixtures_demo import demo_catalog  # noqa: F401
from tongban.cases.joint_figures import measure
from tongban.cases.models import Application, JointApplication
from tongban.cases.services import joint_applying as joint
from tongban.catalog.bundles import get_bundle
from tongban.identity.models import User
from tongban.sharing import services as sharing
from tongban.sharing.demo import BUNDLE_SOURCES, SHARED_MATERIAL
from tongban.sharing.models import DataResource, Grant, SharedMaterial

pytestmark = pytest.mark.django_db

CANYIN = "canyin-511602"
PROVIDED = ("已由政府部门共享或电子证照提供，无需上传", "已上传：")
ITEM_SPECIFIC = {
    "canyin-511602": [
        "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等规章制度",
        "设置位置示意图及效果图",
    ],
    "qiyezhuxiao-511602": ["经确认的清算报告", "依法作出解散的决议或者决定"],
    "qiyekaiban-511602": ["公司章程"],
}


@pytest.fixture
def applicant(demo_catalog):  # noqa: F811
    return User.objects.get(username="13800000001")


def page_rows(client, user, bundle) -> dict[str, str]:
    """Material name → its block on the joint upload page of a fresh joint draft."""
    draft = joint.start_joint_application(user=user, bundle=bundle, region_code="511602")
    client.force_login(user)
    page = client.get(reverse("cases:joint_materials", args=[draft.public_id]))
    assert page.status_code == 200
    blocks = re.findall(r'<li class="material[^"]*">(.*?)</li>', page.content.decode(), re.S)
    rows = {}
    for block in blocks:
        name = re.search(r"<h3[^>]*>(.*?)\s*<span", block, re.S).group(1).strip()
        rows[name] = block
    return rows


def asked_on_page(rows: dict[str, str]) -> list[str]:
    return [name for name, block in rows.items() if not any(p in block for p in PROVIDED)]


def test_the_figure_is_what_the_joint_page_asks(client, applicant):
    bundle = get_bundle(CANYIN)
    drafts = Application.objects.count()
    flow = measure(user=applicant, bundle=bundle, region_code="511602")
    # measuring leaves nothing behind
    assert Application.objects.count() == drafts
    assert not JointApplication.objects.filter(created_by=applicant, bundle=bundle).exists()
    rows = page_rows(client, applicant, bundle)
    assert asked_on_page(rows) == flow.joint_asked
    # the government-held documents are fetched, not asked
    assert "申请人居民身份证" in flow.fetched and "申请人居民身份证" not in flow.joint_asked
    assert "经办人身份证件" in flow.fetched
    # an optional document without a file is offered, not said to come by sharing
    assert "授权委托书及受托人身份证" in flow.joint_asked
    out = io.StringIO()
    call_command("bundle_figures", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if f"`{CANYIN}`" in x)
    assert f"**{len(flow.joint_asked)} / " in line


@pytest.mark.parametrize("how", ["revoked", "missing"])
def test_without_a_grant_in_force_the_document_is_asked_and_the_page_says_who(client, applicant, how):
    bundle = get_bundle(CANYIN)
    population = DataResource.objects.get(kind=DataResource.Kind.POPULATION, provider__region__code="511602")
    source = SharedMaterial.objects.select_related("requirement__item__department").get(
        requirement__item__name="个体工商户设立登记", requirement__name="申请人居民身份证"
    )
    consumer = source.requirement.item.department
    grants = Grant.objects.in_force().filter(consumer=consumer, resource=population)
    assert grants.exists()
    if how == "revoked":
        for grant in grants:
            sharing.revoke_grant(actor=User.objects.get(username="admin"), grant=grant, reason="测试撤销")
    else:
        grants.update(valid_until="2020-01-01")
    flow = measure(user=applicant, bundle=bundle, region_code="511602")
    assert "申请人居民身份证" in flow.joint_asked
    block = page_rows(client, applicant, bundle)["申请人居民身份证"]
    assert not any(p in block for p in PROVIDED)
    assert f"{consumer.name}尚未获得{population.provider.name}的共享授权" in block


def test_item_specific_documents_are_never_dropped(applicant):
    for slug, names in ITEM_SPECIFIC.items():
        mobile, enterprise = ("13800000002", True) if slug == "qiyezhuxiao-511602" else ("13800000001", False)
        user = User.objects.get(username=mobile)
        firm = user.represented_enterprises.first() if enterprise else None
        flow = measure(user=user, bundle=get_bundle(slug), region_code="511602", enterprise=firm)
        assert set(names) <= set(flow.joint_asked), slug
    # only the documents the registries really hold are mapped to them
    mapped = set(SharedMaterial.objects.values_list("requirement__name", flat=True))
    assert mapped <= {*BUNDLE_SOURCES, SHARED_MATERIAL}
