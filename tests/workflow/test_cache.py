"""Parsed processes and template rows kept per process, and when they are not."""

import hashlib

import pytest
from django.db import transaction
from django.test import TestCase

from tests.cases.test_flow import submitted_case
from tests.factories import ServiceItemFactory
from tongban.catalog.models import CaseKind
from tongban.workflow import selectors
from tongban.workflow.engine import get_process, template_xml
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.services import upload_process

pytestmark = pytest.mark.django_db


def test_an_uploaded_process_is_used_by_the_next_submission(world):
    first = submitted_case(world)
    assert first.process.key == "template:promised"
    custom = template_xml("promised").replace("承诺件审批流程", "自定义流程")
    definition = upload_process(actor=None, item=world["item"], name="自定义流程", bpmn=custom)
    second = submitted_case(world)
    assert second.process_id == definition.pk
    assert selectors.process_for(definition.pk, definition.digest).shape.name == "自定义流程"


def test_an_edited_definition_is_parsed_again(world):
    """The admin form may change an unused definition; its digest changes with it."""
    custom = template_xml("promised").replace("承诺件审批流程", "第一版")
    definition = upload_process(actor=None, item=world["item"], name="x", bpmn=custom)
    assert selectors.process_for(definition.pk, definition.digest).shape.name == "第一版"
    edited = template_xml("promised").replace("承诺件审批流程", "第二版")
    definition.bpmn = edited
    definition.digest = hashlib.sha256(edited.encode()).hexdigest()
    definition.save()
    assert selectors.process_for(definition.pk, definition.digest).shape.name == "第二版"
    case = submitted_case(world)
    assert selectors.process_for(case.process_id, case.process.digest).shape.name == "第二版"


def test_template_rows_are_remembered_only_after_a_real_commit():
    selectors.clear_cache()
    item = ServiceItemFactory(case_kind=CaseKind.INSTANT, promised_limit=0)
    with pytest.raises(RuntimeError), transaction.atomic():
        selectors.resolve_process(item, None, None)
        raise RuntimeError
    assert "instant" not in selectors._templates
    assert not ProcessDefinition.objects.filter(key="template:instant").exists()
    # Inside the test's transaction nothing is committed, even when commit callbacks run early.
    with TestCase.captureOnCommitCallbacks(execute=True):
        definition_id, process = selectors.resolve_process(item, None, None)
    assert "instant" not in selectors._templates
    assert ProcessDefinition.objects.get(pk=definition_id).key == "template:instant"
    assert process.shape.process_id == get_process(template_xml("instant")).shape.process_id


def test_start_states_are_made_once_per_item_and_stay_separate():
    process = get_process(template_xml("promised"))
    state_a, ready_a = process.start({"item": "A"})
    again, ready_again = process.start({"item": "A"})
    state_b, _ = process.start({"item": "B"})
    assert state_a == again and ready_a == ready_again
    assert ready_again is not ready_a  # callers may change their list
    assert '"A"' in state_a and '"B"' in state_b
    result = process.complete(state_a, "intake", "accept")
    assert process.start({"item": "A"})[0] == state_a and result.state != state_a
