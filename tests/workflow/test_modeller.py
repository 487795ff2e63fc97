"""The process modeller: validation on save, versions, assignment, and the pages."""

import pytest

from tests.cases.conftest import citizen, staff
from tests.cases.test_flow import submitted_case
from tests.factories import DepartmentFactory, ServiceItemFactory, login_verified
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.workflow import services
from tongban.workflow.diagram import for_modeller, has_diagram, render_svg, with_diagram
from tongban.workflow.engine import template_xml
from tongban.workflow.models import ItemProcess, ProcessDefinition

pytestmark = pytest.mark.django_db

PROMISED = template_xml("promised")


@pytest.fixture
def admin(world):
    return staff(world["department"], "catalogue", name="事项管理员")


def renamed(name: str) -> str:
    return PROMISED.replace("承诺件审批流程", name)


# --- validation -----------------------------------------------------------------------------


def test_a_good_document_is_saved_as_version_one_then_two(world, admin):
    first = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第一版"))
    second = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第二版"))
    assert (first.version, second.version) == (1, 2)
    assert (first.item, first.department, first.uploaded_by) == (world["item"], world["department"], admin)
    assert ItemProcess.objects.get(item=world["item"]).definition == second


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<bpmn:definitions", "不是合法的 XML"),
        ("", "BPMN 文件是空的"),
        (PROMISED.replace('<bpmn:endEvent id="end_concluded" name="办结" />', ""), "办结"),
        (
            PROMISED.replace('name="decide">', 'name="盖章">'),
            "人工任务“决定”必须放在以角色命名的泳道中",
        ),
        (PROMISED.replace('<bpmn:startEvent id="start" name="提交申请" />', ""), "缺少开始事件"),
        (PROMISED.replace('decision == "deny"', 'decision == "maybe"'), "不是平台支持的办理结果"),
        (
            PROMISED.replace(
                '<bpmn:sequenceFlow id="f15" sourceRef="issue" targetRef="end_concluded" />', ""
            ),
            "之后无法到达任何结束事件",
        ),
        (
            PROMISED.replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake" />', ""),
            "从开始事件无法到达",
        ),
    ],
)
def test_a_bad_document_is_refused_in_chinese_and_changes_nothing(world, admin, document, message):
    with pytest.raises(InvalidInput) as caught:
        services.save_version(actor=admin, item=world["item"], bpmn=document)
    assert message in caught.value.message
    assert not ProcessDefinition.objects.filter(item=world["item"]).exists()
    assert not ItemProcess.objects.filter(item=world["item"]).exists()


def test_a_document_without_end_events_is_refused(world, admin):
    document = PROMISED
    for end in ("end_refused", "end_forwarded", "end_denied", "end_concluded"):
        document = document.replace(f'<bpmn:endEvent id="{end}"', f'<bpmn:task id="{end}"')
    with pytest.raises(InvalidInput, match="缺少结束事件"):
        services.validate_bpmn(document)


def test_the_first_task_must_be_intake(world, admin):
    document = PROMISED.replace("<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>intake</bpmn:flowNodeRef>",
    )
    with pytest.raises(InvalidInput, match="受理"):
        services.validate_bpmn(document)


def test_chinese_lane_names_are_roles(world, admin):
    document = PROMISED.replace('name="intake"', 'name="受理"').replace('name="issue"', 'name="制证"')
    text, shape = services.validate_bpmn(document)
    assert shape.tasks["intake"].role == "intake" and shape.tasks["issue"].role == "issue"


@pytest.mark.parametrize("who", ["citizen", "reviewer", "outsider_admin"])
def test_only_the_departments_catalogue_admin_may_save(world, who):
    actor = {
        "citizen": lambda: citizen("王五"),
        "reviewer": lambda: world["reviewer"],
        "outsider_admin": lambda: staff(DepartmentFactory(name="区卫健委"), "catalogue"),
    }[who]()
    with pytest.raises(PermissionDenied):
        services.save_version(actor=actor, item=world["item"], bpmn=PROMISED)
    with pytest.raises(PermissionDenied):
        services.assign_version(
            actor=actor, item=world["item"], definition_id=services.ensure_template("promised").pk
        )
    assert not ProcessDefinition.objects.filter(item=world["item"]).exists()


# --- versions -------------------------------------------------------------------------------


def test_a_running_case_keeps_its_version_and_the_next_case_uses_the_new_one(world, admin):
    v1 = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第一版"))
    running = submitted_case(world)
    v2 = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第二版"))
    running.refresh_from_db()
    assert running.process_id == v1.pk
    assert submitted_case(world).process_id == v2.pk
    # The running case still advances on its own version.
    from tongban.cases import services as case_services

    case_services.accept_case(actor=world["intake"], case=running)
    running.refresh_from_db()
    assert running.process_id == v1.pk and running.current_role == "review"


def test_an_earlier_version_or_a_template_can_be_assigned_but_not_another_items(world, admin):
    v1 = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第一版"))
    services.save_version(actor=admin, item=world["item"], bpmn=renamed("第二版"))
    assert services.assign_version(actor=admin, item=world["item"], definition_id=v1.pk) == v1
    assert submitted_case(world).process_id == v1.pk
    template = services.ensure_template("promised")
    services.assign_version(actor=admin, item=world["item"], definition_id=template.pk)
    assert ItemProcess.objects.get(item=world["item"]).definition == template
    other = ServiceItemFactory(department=world["department"])
    foreign = services.save_version(actor=admin, item=other, bpmn=renamed("别的事项"))
    with pytest.raises(InvalidInput, match="只能选择本事项"):
        services.assign_version(actor=admin, item=world["item"], definition_id=foreign.pk)


# --- diagram --------------------------------------------------------------------------------


def test_a_document_without_a_diagram_gets_one_that_still_validates():
    assert not has_diagram(PROMISED)
    laid_out = with_diagram(PROMISED)
    assert has_diagram(laid_out)
    assert with_diagram(laid_out) == laid_out
    services.validate_bpmn(laid_out)
    shown = for_modeller(PROMISED)
    assert 'name="受理"' in shown and 'name="intake"' not in shown
    text, shape = services.validate_bpmn(shown)
    assert {t.role for t in shape.tasks.values()} == {"intake", "applicant", "review", "decide", "issue"}
    svg = render_svg(PROMISED, "承诺件")
    assert svg.startswith("<svg") and "审查" in svg and "制证" in svg and 'aria-label="承诺件"' in svg


# --- pages ----------------------------------------------------------------------------------


def test_the_list_shows_the_departments_items_only(client, world, admin):
    ServiceItemFactory(name="别的部门的事项", department=DepartmentFactory(name="区卫健委"))
    login_verified(client, admin)
    page = client.get("/staff/processes/").content.decode()
    assert "食品经营许可" in page and "别的部门的事项" not in page


def test_the_page_shows_the_svg_the_modeller_and_the_upload_form(client, world, admin):
    login_verified(client, admin)
    page = client.get(f"/staff/processes/{world['item'].pk}/").content.decode()
    assert "<svg" in page and "bpmn-modeler.production.min.js" in page
    assert 'name="bpmn_file"' in page and "modeller-document" in page
    assert "BPMNShape" in page  # the modeller gets a laid-out document


def test_saving_from_the_page_and_uploading_a_file(client, world, admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login_verified(client, admin)
    url = f"/staff/processes/{world['item'].pk}/save/"
    response = client.post(url, {"bpmn": with_diagram(renamed("画出来的")), "name": ""})
    assert response.status_code == 302
    assert ItemProcess.objects.get(item=world["item"]).definition.name == "画出来的"
    upload = SimpleUploadedFile("p.bpmn", renamed("上传的").encode(), content_type="application/xml")
    response = client.post(url, {"bpmn_file": upload, "name": "上传版"})
    assert response.status_code == 302
    current = ItemProcess.objects.get(item=world["item"]).definition
    assert (current.name, current.version) == ("上传版", 2)
    page = client.get(response["Location"]).content.decode()
    assert "第 2 版" in page


def test_a_bad_save_shows_the_chinese_error_and_keeps_the_document(client, world, admin):
    login_verified(client, admin)
    bad = PROMISED.replace('<bpmn:endEvent id="end_concluded" name="办结" />', "")
    response = client.post(f"/staff/processes/{world['item'].pk}/save/", {"bpmn": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "流程未保存" in page and "end_concluded" in page
    assert not ProcessDefinition.objects.filter(item=world["item"]).exists()


def test_assigning_and_downloading_from_the_page(client, world, admin):
    login_verified(client, admin)
    v1 = services.save_version(actor=admin, item=world["item"], bpmn=renamed("第一版"))
    services.save_version(actor=admin, item=world["item"], bpmn=renamed("第二版"))
    response = client.post(f"/staff/processes/{world['item'].pk}/assign/", {"definition": v1.pk})
    assert response.status_code == 302
    assert ItemProcess.objects.get(item=world["item"]).definition == v1
    download = client.get(f"/staff/processes/{world['item'].pk}/versions/{v1.pk}.bpmn")
    assert download.status_code == 200 and b"BPMNShape" in download.content


@pytest.mark.parametrize("who", ["reviewer", "outsider_admin", "citizen"])
def test_other_people_get_not_found(client, world, who):
    user = {
        "reviewer": lambda: world["reviewer"],
        "outsider_admin": lambda: staff(DepartmentFactory(name="区卫健委"), "catalogue"),
        "citizen": lambda: citizen("王五"),
    }[who]()
    login_verified(client, user)
    item = world["item"].pk
    assert client.get(f"/staff/processes/{item}/").status_code == 404
    assert client.post(f"/staff/processes/{item}/save/", {"bpmn": PROMISED}).status_code == 404
    assert not ProcessDefinition.objects.filter(item=world["item"]).exists()
