import pytest

from tests.factories import ServiceItemFactory
from tongban.catalog.models import CaseKind
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.workflow.engine import ProcessError, get_process, inspect_bpmn, template_xml
from tongban.workflow.models import ItemProcess, ProcessDefinition
from tongban.workflow.selectors import definition_for_item
from tongban.workflow.services import choose_template, upload_process


def run(process, steps):
    state, ready = process.start()
    end = None
    for spec, decision in steps:
        assert [t.spec for t in ready] == [spec]
        result = process.complete(state, spec, decision)
        state, ready, end = result.state, result.ready, result.end
    return ready, end


PROMISED_PATHS = [
    ([("intake", "accept"), ("review", "pass"), ("decide", "grant"), ("issue", None)], "end_concluded"),
    ([("intake", "refuse")], "end_refused"),
    (
        [
            ("intake", "correct"),
            ("correction", None),
            ("intake", "accept"),
            ("review", "pass"),
            ("decide", "deny"),
        ],
        "end_denied",
    ),
    (
        [("intake", "accept"), ("review", "special"), ("special", None), ("review", "forward")],
        "end_forwarded",
    ),
]


@pytest.mark.parametrize(("steps", "end"), PROMISED_PATHS)
def test_promised_template_paths(steps, end):
    ready, finished = run(get_process(template_xml("promised")), steps)
    assert ready == [] and finished == end


def test_instant_template():
    process = get_process(template_xml("instant"))
    assert run(process, [("handle", "grant")]) == ([], "end_concluded")
    assert run(process, [("handle", "refuse")]) == ([], "end_refused")


def test_roles_and_outcomes_come_from_lanes_and_gateways():
    shape = inspect_bpmn(template_xml("promised"))
    assert {t.spec: t.role for t in shape.tasks.values()} == {
        "intake": "intake",
        "correction": "applicant",
        "review": "review",
        "special": "review",
        "decide": "decide",
        "issue": "issue",
    }
    assert shape.tasks["decide"].outcomes == ("grant", "deny")


@pytest.mark.parametrize(
    ("spec", "decision", "message"),
    [
        ("review", "pass", "当前不可办理"),
        ("intake", "grant", "不支持该操作"),
        ("intake", None, "不支持该操作"),
    ],
)
def test_illegal_steps_are_refused_and_state_unchanged(spec, decision, message):
    process = get_process(template_xml("promised"))
    state, _ = process.start()
    with pytest.raises(ProcessError, match=message):
        process.complete(state, spec, decision)
    assert [t.spec for t in process.ready(state)] == ["intake"]


def test_a_step_cannot_be_repeated_from_the_same_state_after_it_moved_on():
    process = get_process(template_xml("promised"))
    state, _ = process.start()
    moved = process.complete(state, "intake", "accept")
    with pytest.raises(ProcessError):
        process.complete(moved.state, "intake", "accept")


BAD_DOCUMENTS = [
    ("<not-xml", "不是合法的 XML"),
    (template_xml("promised").replace('name="decide"', 'name="boss"'), "泳道"),
    (
        template_xml("promised")
        .replace('id="end_denied"', 'id="finish"')
        .replace('"end_denied"', '"finish"'),
        "结束事件",
    ),
    (template_xml("promised").replace('decision == "deny"', "approved"), "decision =="),
    (template_xml("promised").replace('isExecutable="true"', 'isExecutable="false"'), "可执行流程"),
]


@pytest.mark.parametrize(("xml", "message"), BAD_DOCUMENTS)
def test_bad_documents_are_rejected_with_a_chinese_reason(xml, message):
    with pytest.raises(ProcessError, match=message):
        inspect_bpmn(xml)


@pytest.mark.django_db
def test_items_default_to_their_case_kind_template_and_admins_can_upload():
    promised = ServiceItemFactory()
    instant = ServiceItemFactory(case_kind=CaseKind.INSTANT, promised_limit=0)
    assert definition_for_item(promised).key == "template:promised"
    assert definition_for_item(instant).key == "template:instant"
    custom = template_xml("promised").replace("承诺件审批流程", "自定义流程")
    definition = upload_process(actor=None, item=promised, name="自定义流程", bpmn=custom)
    assert definition_for_item(promised) == definition
    with pytest.raises(InvalidInput, match="可执行流程"):
        upload_process(
            actor=None,
            item=promised,
            name="坏流程",
            bpmn=custom.replace('isExecutable="true"', 'isExecutable="false"'),
        )
    assert ProcessDefinition.objects.filter(is_template=False).count() == 1
    with pytest.raises(InvalidInput, match="即办件"):
        choose_template(actor=None, item=promised, template="instant")
    choose_template(actor=None, item=promised, template="promised")
    assert ItemProcess.objects.get(item=promised).definition.key == "template:promised"


@pytest.mark.django_db
def test_only_catalogue_admins_upload(django_user_model):
    item = ServiceItemFactory()
    nobody = django_user_model.objects.create_user(username="nobody2", password="Strong-pass-123")
    with pytest.raises(PermissionDenied):
        upload_process(actor=nobody, item=item, name="x", bpmn=template_xml("promised"))
    assert not ProcessDefinition.objects.filter(is_template=False).exists()


@pytest.mark.django_db
def test_admin_upload_is_validated(staff_admin_client):
    admin_client = staff_admin_client
    bad = template_xml("promised").replace('name="decide"', 'name="boss"')
    response = admin_client.post(
        "/admin/workflow/processdefinition/add/", {"name": "坏流程", "bpmn": bad, "department": ""}
    )
    assert response.status_code == 200 and "泳道" in response.content.decode()
    assert not ProcessDefinition.objects.filter(name="坏流程").exists()
    response = admin_client.post(
        "/admin/workflow/processdefinition/add/",
        {"name": "好流程", "bpmn": template_xml("promised"), "department": ""},
    )
    assert response.status_code == 302
    assert ProcessDefinition.objects.get(name="好流程").key.startswith("custom:")
