"""一件事 applying pages without JavaScript: start → merged form → one upload page → check →
submit (double submit safe) → confirmation → 我的办件; another person gets 404 everywhere."""

import re

import pytest
from django.urls import reverse

from tests.cases.conftest import citizen, pdf_upload
from tests.cases.test_joint_apply import SHARED, make_bundle
from tongban.cases.models import Attachment, Case, JointApplication, JointCase
from tongban.cases.services import joint_applying as joint


@pytest.fixture
def setup(db, client):
    bundle, items = make_bundle()
    user = citizen("张三")
    client.force_login(user)
    return bundle, items, user


def test_applying_for_a_bundle_page_by_page(setup, client):
    bundle, items, user = setup
    start = reverse("cases:joint_start", args=[bundle.slug])
    page = client.get(start)
    assert page.status_code == 200
    text = page.content.decode()
    assert all(i.name in text for i in items) and "开始填写申请" in text
    response = client.post(start)
    draft = JointApplication.objects.get(created_by=user)
    assert response["Location"] == reverse("cases:joint_step", args=[draft.public_id, 0])
    flow_form = joint.joint_form(joint.children_of(draft))
    steps = reverse("cases:joint_step", args=[draft.public_id, 0])
    page = client.get(steps).content.decode()
    assert page.count('name="address__detail"') == 1 and "已从您的实名信息自动填写" in page
    # every step: the address once, each item's own request
    n = 0
    while True:
        url = reverse("cases:joint_step", args=[draft.public_id, n])
        names = re.findall(r'name="([a-z_0-9]+)"', client.get(url).content.decode())
        data = {"action": "next"}
        if "address__detail" in names:
            data |= {
                "address__province": "51",
                "address__city": "5116",
                "address__county": "511602",
                "address__detail": "建设路 8 号",
            }
        data |= {name: "开办餐饮店" for name in names if name.startswith("request")}
        response = client.post(url, data)
        assert response.status_code == 302, re.findall(r"field-errors[^<]*<", response.content.decode())
        if "/step/" not in response["Location"]:
            break
        n += 1
    assert response["Location"] == reverse("cases:joint_materials", args=[draft.public_id])
    materials = client.get(response["Location"]).content.decode()
    assert "用于 3 个事项" in materials
    for row in joint.joint_materials(joint.children_of(draft)):
        response = client.post(
            reverse("cases:joint_materials", args=[draft.public_id]), {"code": row.code, "file": pdf_upload()}
        )
        assert response.status_code == 302
    assert Attachment.objects.filter(application__joint=draft, requirement__name=SHARED).count() == 3
    check = reverse("cases:joint_check", args=[draft.public_id])
    page = client.get(check).content.decode()
    assert "提交前还需要补全" not in page and "建设路 8 号" in page
    assert reverse("cases:joint_step", args=[draft.public_id, 0]) + "?return=check" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    for _ in range(2):  # a double click
        response = client.post(check, {"idempotency_key": key})
        assert response["Location"] == reverse("cases:joint_done", args=[draft.public_id])
    case = JointCase.objects.get()
    assert Case.objects.filter(joint=case).count() == 3
    for child in Case.objects.filter(joint=case):
        assert child.data["address"] == {"region": "511602", "detail": "建设路 8 号"}
        assert set(flow_form.split(draft.__class__.objects.get().data)[child.item_id]) <= set(child.data)
    done = client.get(response["Location"]).content.decode()
    assert case.number in done and reverse("cases:my_joint", args=[case.number]) in done
    mine = client.get(reverse("cases:my_cases")).content.decode()
    assert case.number in mine and "一件事联办件" in mine
    assert client.get(reverse("cases:my_joint", args=[case.number])).status_code == 200


def test_another_person_gets_404_on_every_joint_page(setup, client):
    bundle, _items, user = setup
    from tests.cases.test_joint_apply import filled_draft

    draft = filled_draft(user, bundle)
    child = draft.children.first()
    client.force_login(citizen("李四"))
    urls = [
        reverse("cases:joint_step", args=[draft.public_id, 0]),
        reverse("cases:joint_materials", args=[draft.public_id]),
        reverse("cases:joint_check", args=[draft.public_id]),
        reverse("cases:joint_done", args=[draft.public_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "next", "idempotency_key": "x"}).status_code == 404, url
    case = joint.submit_joint_application(user=user, joint=draft)
    assert client.get(reverse("cases:my_joint", args=[case.number])).status_code == 404
    assert JointCase.objects.count() == 1
    # the owner cannot open one item of the joint draft as a single application either
    client.force_login(user)
    assert client.get(reverse("cases:apply_check", args=[child.public_id])).status_code == 404
