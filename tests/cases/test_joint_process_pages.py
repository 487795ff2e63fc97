"""Pages and API of a joint case after its submission: the lead sees every child, another
department sees other children only as status and gets 404 for their data, the applicant answers
one combined correction on one page and sees the joint timeline (public lines only)."""

import json
import re

import pytest

from tests.cases.conftest import citizen, pdf_upload, staff
from tests.cases.test_joint_processing import joint_world, make_joint
from tests.factories import DepartmentFactory, login_verified
from tongban.cases import services
from tongban.cases.models import Case, JointNotice


@pytest.fixture
def jc(db):
    jw = joint_world()
    joint, children = make_joint(jw)
    # an internal line on 市监's child (a claim) and a public one (acceptance)
    services.claim_case(actor=jw["staff"]["licence"], case=children["licence"])
    services.accept_case(actor=jw["staff"]["licence"], case=children["licence"], opinion="内部意见：核名通过")
    for case in children.values():
        case.refresh_from_db()
    return jw, joint, children


def test_the_lead_sees_every_child_with_status_and_deadline(client, jc):
    jw, joint, children = jc
    login_verified(client, jw["lead_viewer"])
    page = client.get(f"/staff/joint/{joint.number}/").content.decode()
    for case in children.values():
        assert case.number in page and case.item.name in page
    assert "deadline-green" in page and joint.joint_due.strftime("%Y-%m-%d") in page
    assert client.get("/staff/joint/").content.decode().count(f"/staff/joint/{joint.number}/") == 1

    data = client.get(f"/api/v1/staff/joint-cases/{joint.number}").json()
    assert data["lead"] is True and data["deadline"] == "green"
    by_item = {c["item_name"]: c for c in data["children"]}
    assert by_item["就业登记"]["number"] == children["employ"].number
    assert by_item["就业登记"]["deadline"] == "green" and by_item["就业登记"]["due_date"]
    assert by_item["食品经营许可"]["status"] == Case.Status.HELD


def test_another_department_sees_other_children_as_status_only_and_gets_404_for_their_data(client, jc):
    jw, joint, children = jc
    licence, employ = children["licence"], children["employ"]
    login_verified(client, jw["staff"]["employ"])  # 人社: a child in the joint case, not the lead
    page = client.get(f"/staff/joint/{joint.number}/").content.decode()
    assert employ.number in page
    assert "企业设立登记" in page and licence.get_status_display() in page
    # the joint number (LB…) may end in the same digits, so look for the number on its own
    assert not re.search(rf"(?<!LB){re.escape(licence.number)}", page)
    assert "内部意见" not in page  # another department's internal note stays theirs
    data = client.get(f"/api/v1/staff/joint-cases/{joint.number}").json()
    other = next(c for c in data["children"] if c["item_name"] == "企业设立登记")
    assert other["number"] is None and other["deadline"] is None and other["due_date"] is None
    assert all("内部意见" not in e["opinion"] for e in data["timeline"])
    # the other department's child data, files and API: 404
    assert client.get(f"/staff/cases/{licence.number}/").status_code == 404
    assert client.get(f"/api/v1/cases/{licence.number}").status_code == 404
    attachment = licence.application.attachments.first()
    assert client.get(f"/files/{attachment.public_id}/").status_code == 404
    # its own child's page is there
    assert client.get(f"/staff/cases/{employ.number}/").status_code == 200


def test_staff_of_an_uninvolved_department_and_other_people_get_404(client, jc):
    jw, joint, _children = jc
    login_verified(client, staff(DepartmentFactory(name="区民政局"), "intake", "review"))
    assert client.get(f"/staff/joint/{joint.number}/").status_code == 404
    assert client.get(f"/api/v1/staff/joint-cases/{joint.number}").status_code == 404
    client.force_login(citizen("李四"))
    assert client.get(f"/my/joint/{joint.number}/result/").status_code == 404
    assert client.get(f"/api/v1/joint-cases/{joint.number}").status_code == 404
    client.force_login(jw["applicant"])
    assert client.get(f"/staff/joint/{joint.number}/").status_code in (302, 403, 404)


def test_the_applicant_sees_every_child_and_only_public_lines(client, jc):
    jw, joint, children = jc
    client.force_login(jw["applicant"])
    page = client.get(f"/my/joint/{joint.number}/result/").content.decode()
    for case in children.values():
        assert case.number in page
    assert "受理" in page and "认领" not in page and "内部意见" not in page
    data = client.get(f"/api/v1/joint-cases/{joint.number}").json()
    titles = [e["title"] for e in data["timeline"]]
    assert "网上申请提交" in titles[0] and not any("认领" in t for t in titles)
    assert all(c["released"] is False for c in data["children"])


def test_one_page_answers_every_departments_correction(client, jc):
    jw = jc[0]
    joint, children = make_joint(jw)  # both children still at intake
    services.request_correction(
        actor=jw["staff"]["licence"], case=children["licence"], notice="请补正经营场所。", fields=["address"]
    )
    services.request_correction(
        actor=jw["staff"]["employ"],
        case=children["employ"],
        notice="请补正经营场所并补交身份证。",
        fields=["address"],
        materials=[jw["materials"]["employ"]],
    )
    client.force_login(jw["applicant"])
    result = client.get(f"/my/joint/{joint.number}/result/").content.decode()
    assert "请补正经营场所。" in result and f"/my/joint/{joint.number}/correct/" in result
    page = client.get(f"/my/joint/{joint.number}/correct/").content.decode()
    assert page.count('name="address__detail"') == 1  # asked by both, asked once
    assert page.count(f'name="material-{jw["materials"]["employ"].pk}"') == 1
    response = client.post(
        f"/my/joint/{joint.number}/correct/",
        {
            "address__province": "51",
            "address__city": "5116",
            "address__county": "511602",
            "address__detail": "建设路 9 号",
            f"material-{jw['materials']['employ'].pk}": pdf_upload(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    for case in (children["licence"], children["employ"]):
        case.refresh_from_db()
        assert case.status != Case.Status.CORRECTION and case.paused_since is None
        assert case.data["address"]["detail"] == "建设路 9 号"
    assert JointNotice.objects.get(joint=joint, kind="correction").answered_at is not None


def test_the_api_answers_the_combined_correction(client, jc):
    jw, joint, children = jc
    services.request_correction(
        actor=jw["staff"]["employ"], case=children["employ"], notice="请补正。", fields=["request"]
    )
    client.force_login(jw["applicant"])
    response = client.post(
        f"/api/v1/joint-cases/{joint.number}/correction", {"data": json.dumps({"request": "补正后的说明"})}
    )
    assert response.status_code == 200, response.content
    assert response.json()["notices"][0]["answered"] is True
    children["employ"].refresh_from_db()
    assert children["employ"].data["request"] == "补正后的说明"
    refused = client.post(
        f"/api/v1/joint-cases/{joint.number}/correction", {"data": json.dumps({"request": "x"})}
    )
    assert refused.status_code == 409


def test_a_childs_own_pages_lead_to_its_joint_case(client, jc):
    jw, joint, children = jc
    login_verified(client, jw["staff"]["employ"])
    page = client.get(f"/staff/cases/{children['employ'].number}/").content.decode()
    assert f"/staff/joint/{joint.number}/" in page
    assert "/staff/joint/" in client.get("/staff/queue/").content.decode()
    client.force_login(jw["applicant"])
    page = client.get(f"/my/cases/{children['food'].number}/").content.decode()
    assert f"/my/joint/{joint.number}/result/" in page and "待前置事项办结后自动开始办理" in page
