"""The process modeller's object URLs in the shared authorization table: only 事项管理 staff of
the item's department (``staff`` holds every role there) may read or change an item's process."""

from django.urls import reverse

from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test, without_role_test
from tongban.workflow.engine import template_xml


def _item(w: World) -> int:
    return w.item.pk


def _template(w: World) -> int:
    from tongban.workflow.services import ensure_template

    return ensure_template("promised").pk


ROWS = [
    ObjectURL(
        "page: item process (modeller)",
        "get",
        lambda w: reverse("workflow:process_detail", args=[_item(w)]),
        "staff",
        shows=lambda w: "modeller-document",
    ),
    ObjectURL(
        "page: save a process version",
        "post",
        lambda w: reverse("workflow:process_save", args=[_item(w)]),
        "staff",
        data=lambda w: {"bpmn": template_xml("promised").replace("承诺件审批流程", "新版流程"), "name": ""},
    ),
    ObjectURL(
        "page: assign a process version",
        "post",
        lambda w: reverse("workflow:process_assign", args=[_item(w)]),
        "staff",
        data=lambda w: {"definition": _template(w)},
    ),
    ObjectURL(
        "page: download a process version",
        "get",
        lambda w: reverse("workflow:process_download", args=[_item(w), _template(w)]),
        "staff",
        shows=lambda w: "BPMNShape",
    ),
]

# Processing roles of the same department do not maintain processes.
WITHOUT_ROLE = [
    ("page: save a process version", "reviewer"),
    ("page: assign a process version", "intake"),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
