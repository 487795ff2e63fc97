"""一件事 applying (issue 13, Build 2 and 3): one merged form, one set of materials, one atomic
submission split into child cases in their own departments, idempotent, visible only to the
applicant."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage

from tests.cases.conftest import citizen, pdf_upload
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory
from tongban.cases.joint_access import get_joint_for_applicant
from tongban.cases.models import Application, Attachment, Case, JointApplication, JointCase
from tongban.cases.services import applying
from tongban.cases.services import joint_applying as joint
from tongban.catalog.models import LifeEvent, LifeEventItem
from tongban.core.errors import InvalidInput, NotFound
from tongban.core.models import AuditEntry

SHARED = "营业执照复印件"


def make_bundle(*, held_third: bool = False):
    """Three items of three departments; each asks for the same licence copy, the first also for
    a floor plan; the third waits for the first when ``held_third``."""
    departments = [DepartmentFactory(name=n) for n in ("区市场监管局", "区卫生健康局", "区消防救援大队")]
    items = [
        PublishedItemFactory(name=n, department=d, promised_limit=10, legal_limit=20, result_name=r)
        for n, d, r in zip(
            ("食品经营许可", "公共场所卫生许可", "消防安全检查"),
            departments,
            ("营业执照", "公共场所卫生许可证", "消防安全检查合格证"),
            strict=True,
        )
    ]
    for item in items:
        MaterialRequirementFactory(item=item, name=SHARED)
    MaterialRequirementFactory(item=items[0], name="经营场所平面布局图")
    bundle = LifeEvent.objects.create(
        name="开办餐饮店一件事",
        slug="kaiban-canyin-test",
        lead_department=departments[0],
        joint_limit_days=15,
    )
    entries = [
        LifeEventItem.objects.create(bundle=bundle, item=item, order=n) for n, item in enumerate(items)
    ]
    if held_third:
        entries[2].after.add(entries[0])
    return bundle, items


def fill_form(user, draft):
    form = joint.joint_form(joint.children_of(draft))
    requests = {name: "开办餐饮店" for name in form.schema["properties"] if name.startswith("request")}
    return joint.save_joint_draft(
        user=user, joint=draft, data={"address": {"region": "511602", "detail": "建设路 8 号"}, **requests}
    )


def filled_draft(user, bundle):
    draft = fill_form(user, joint.start_joint_application(user=user, bundle=bundle))
    for row in joint.joint_materials(joint.children_of(draft)):
        joint.attach_joint_file(user=user, joint=draft, code=row.code, upload=pdf_upload(f"{row.name}.pdf"))
    return draft


@pytest.fixture
def bundle(db):
    return make_bundle()


def test_a_field_asked_by_three_items_appears_once_and_reaches_all_three_cases(bundle):
    bundle, items = bundle
    user = citizen("张三")
    draft = joint.start_joint_application(user=user, bundle=bundle)
    children = joint.children_of(draft)
    assert [c.item_id for c in children] == [i.pk for i in items]
    form = joint.joint_form(children)
    addresses = [
        n for n, p in form.schema["properties"].items() if p.get("x-semantic") == "applicant.address"
    ]
    assert addresses == ["address"]
    assert len(form.sources["address"]) == 3
    # the account's mobile is prefilled once and not editable: a changed value is ignored
    assert "mobile" in joint.prefilled_merged_fields(children, form)
    draft = filled_draft(user, bundle)
    joint.save_joint_draft(user=user, joint=draft, data={"mobile": "13900000000"})
    case = joint.submit_joint_application(user=user, joint=draft)
    cases = list(case.children.order_by("pk"))
    assert [c.item_id for c in cases] == [i.pk for i in items]
    assert {c.department_id for c in cases} == {i.department_id for i in items}
    for child in cases:
        assert child.data["address"] == {"region": "511602", "detail": "建设路 8 号"}
        assert child.data["mobile"] == user.mobile
        assert child.joint_id == case.pk and child.essential


def test_a_material_required_by_three_items_is_uploaded_once_and_referenced_by_three_cases(bundle):
    bundle, items = bundle
    user = citizen()
    draft = fill_form(user, joint.start_joint_application(user=user, bundle=bundle))
    rows = {r.name: r for r in joint.joint_materials(joint.children_of(draft))}
    assert rows[SHARED].item_count == 3 and rows["经营场所平面布局图"].item_count == 1
    attached = joint.attach_joint_file(user=user, joint=draft, code=rows[SHARED].code, upload=pdf_upload())
    assert len(attached) == 3
    assert len({a.file.name for a in attached}) == 1, "one stored file, referenced three times"
    assert len({a.application_id for a in attached}) == 3
    # the floor plan is still missing, for the first item only
    with pytest.raises(InvalidInput, match="经营场所平面布局图"):
        joint.submit_joint_application(user=user, joint=draft)
    draft = filled_draft(user, bundle)
    case = joint.submit_joint_application(user=user, joint=draft)
    shared = Attachment.objects.filter(
        application__case__joint=case, requirement__name=SHARED, replaced=False
    ).select_related("application__case")
    assert shared.count() == 3
    assert len({a.file.name for a in shared}) == 1
    assert {a.application.case.item_id for a in shared} == {i.pk for i in items}
    # removing the file from a draft marks rows replaced; the stored file stays for the others
    other = joint.start_joint_application(user=user, bundle=bundle)
    code = rows[SHARED].code
    kept = joint.attach_joint_file(user=user, joint=other, code=code, upload=pdf_upload())[0].file.name
    assert joint.remove_joint_file(user=user, joint=other, code=code) == 3
    assert default_storage.exists(kept)


def test_the_split_is_atomic_an_error_in_the_third_child_leaves_nothing(bundle, monkeypatch):
    bundle, _ = bundle
    user = citizen()
    draft = filled_draft(user, bundle)
    resolve = applying.resolve_process  # each child's process, as its case is made
    calls = []

    def failing(item, *chosen):
        calls.append(item.pk)
        if len(calls) == 3:
            raise RuntimeError("third child fails")
        return resolve(item, *chosen)

    monkeypatch.setattr(applying, "resolve_process", failing)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError):
        joint.submit_joint_application(user=user, joint=draft)
    assert len(calls) == 3
    assert JointCase.objects.count() == 0
    assert Case.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    draft.refresh_from_db()
    assert draft.status == JointApplication.Status.DRAFT
    assert set(draft.children.values_list("status", flat=True)) == {Application.Status.DRAFT}
    monkeypatch.setattr(applying, "resolve_process", resolve)
    assert joint.submit_joint_application(user=user, joint=draft).children.count() == 3


def test_a_retried_submission_with_the_same_idempotency_key_creates_one_joint_case(bundle):
    bundle, _ = bundle
    user = citizen()
    draft = filled_draft(user, bundle)
    first = joint.submit_joint_application(user=user, public_id=draft.public_id, idempotency_key="k-1")
    again = joint.submit_joint_application(user=user, public_id=draft.public_id, idempotency_key="k-1")
    assert again.pk == first.pk
    assert JointCase.objects.count() == 1 and Case.objects.count() == 3
    assert first.number.startswith("LB")
    assert first.lead_department.name == "区市场监管局"
    assert first.joint_due is not None and first.joint_due > first.submitted_at.date()
    second = filled_draft(user, bundle)
    with pytest.raises(joint.Conflict):
        joint.submit_joint_application(user=user, joint=second, idempotency_key="k-1")
    assert JointCase.objects.count() == 1


def test_another_person_gets_404_for_the_joint_application_and_case(bundle):
    bundle, _ = bundle
    user, other = citizen(), citizen("李四")
    draft = filled_draft(user, bundle)
    with pytest.raises(NotFound):
        joint.get_joint_application_for(other, draft.public_id)
    with pytest.raises(NotFound):
        joint.save_joint_draft(user=other, joint=draft, data={"request": "x"})
    with pytest.raises(NotFound):
        joint.submit_joint_application(user=other, joint=draft)
    case = joint.submit_joint_application(user=user, joint=draft)
    assert get_joint_for_applicant(user, case.number) == case
    with pytest.raises(NotFound):
        get_joint_for_applicant(other, case.number)


def test_a_child_whose_entry_waits_for_another_starts_held(db):
    bundle, items = make_bundle(held_third=True)
    user = citizen()
    draft = filled_draft(user, bundle)
    # the licence copy is issued by the first item: the waiting third does not ask for it
    shared = next(r for r in joint.joint_materials(joint.children_of(draft)) if r.name == SHARED)
    assert [c.item_id for c, _r in shared.needs] == [items[0].pk, items[1].pk]
    case = joint.submit_joint_application(user=user, joint=draft)
    first, second, third = case.children.order_by("pk")
    assert first.status == second.status == Case.Status.PENDING_INTAKE
    assert third.status == Case.Status.HELD
    assert third.current_role == "" and third.due_date is None and third.workflow_state == ""
    assert list(third.prerequisites.all()) == [first]


def test_the_applicant_hears_once_of_the_submission_naming_every_child(bundle):
    """One task row for the joint case instead of one per child: one message naming every child;
    each child's department system still gets its "submitted" webhook."""
    from django_tasks_db.models import DBTaskResult

    from tongban.notifications.models import Notification, WebhookDelivery, WebhookSubscription
    from tongban.notifications.services import notify_joint_submitted_event

    bundle, items = bundle
    for item in items:
        WebhookSubscription.objects.create(
            department=item.department,
            name="审批系统",
            url="https://dept.example/hook",
            secret="s",
            events=["submitted"],
        )
    user = citizen()
    case = joint.submit_joint_application(user=user, joint=filled_draft(user, bundle))
    (queued,) = DBTaskResult.objects.filter(task_path__startswith="tongban.notifications.")
    assert queued.task_path == "tongban.notifications.tasks.notify_joint_submitted"
    assert notify_joint_submitted_event(*queued.args_kwargs["args"]) == 1 + len(items)
    (told,) = Notification.objects.filter(user=user)
    assert told.event == "joint.submitted" and case.number in told.body
    assert all(child.number in told.body for child in case.children.all())
    hooks = WebhookDelivery.objects.filter(event="submitted")
    assert sorted(h.payload["case"]["number"] for h in hooks) == sorted(c.number for c in case.children.all())
    assert {h.payload["case"]["joint"] for h in hooks} == {case.number}


def test_a_split_takes_its_childrens_numbers_in_one_step_after_the_numbers_already_given(db):
    from tongban.cases.numbering import next_case_number, next_case_numbers

    day = dt.date(2026, 11, 23)
    assert next_case_number("511602", day) == "511602-20261123-000001"
    assert next_case_numbers("511602", day, 3) == [f"511602-20261123-00000{n}" for n in (2, 3, 4)]
    assert next_case_number("511602", day) == "511602-20261123-000005"
    assert next_case_numbers("511603", day, 2) == ["511603-20261123-000001", "511603-20261123-000002"]
    assert next_case_numbers("511602", day, 0) == []


def test_after_the_split_commits_one_card_check_and_one_rollup_drain_are_queued_for_all_children(
    bundle, django_capture_on_commit_callbacks
):
    """The children's after-commit work is queued once for all of them, not once per child."""
    from django_tasks_db.models import DBTaskResult

    from tongban.supervision.cards.services import check_cases

    bundle, items = bundle
    user = citizen()
    draft = filled_draft(user, bundle)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case = joint.submit_joint_application(user=user, joint=draft)
    children = sorted(case.children.values_list("pk", flat=True))
    (checks,) = DBTaskResult.objects.filter(task_path__startswith="tongban.supervision.cards.")
    assert checks.task_path == "tongban.supervision.cards.tasks.check_cases_together"
    assert sorted(checks.args_kwargs["args"][0]) == children
    assert DBTaskResult.objects.filter(task_path="tongban.supervision.tasks.drain_rollups").count() == 1
    assert check_cases(checks.args_kwargs["args"][0]) == 0  # nothing to raise on fresh cases


def test_the_submission_steps_run_once_over_every_started_child(db, monkeypatch):
    """A step with ``run_many`` is called once with every child not held, in order."""
    from tongban.cases import steps

    bundle, items = make_bundle(held_third=True)
    seen = []
    step = steps.SubmissionStep(
        "test.many",
        run=lambda *_a: pytest.fail("run_many is given"),
        run_many=lambda pairs, _u: seen.append([c.item_id for _a, c in pairs]),
    )
    monkeypatch.setitem(steps.submission_steps._entries, "test.many", step)  # removed afterwards
    user = citizen()
    joint.submit_joint_application(user=user, joint=filled_draft(user, bundle))
    assert seen == [[items[0].pk, items[1].pk]]
