"""一件事 bundles: guidance questions, regions, merged materials, versions and refusals."""

import pytest

from tests.catalog.bundle_data import restaurant_bundle
from tests.factories import (
    DepartmentFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
    region_chain,
)
from tongban.catalog import bundle_services as bundles
from tongban.catalog.materials import is_application_form, material_code
from tongban.catalog.models import GuidanceQuestion, LifeEvent, LifeEventItem, LifeEventVersion
from tongban.catalog.selectors import bundle_plan, get_bundle
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return restaurant_bundle()


def names(plan):
    return [e.item.name for e in plan.selected]


# -- guidance questions


def test_questions_select_entries_and_default_answers_apply(setup):
    bundle = get_bundle("canyin")
    assert names(bundle_plan(bundle, {})) == [
        "个体工商户设立登记",
        "食品经营许可",
        "税务登记",
        "户外招牌设置",
    ]
    assert names(bundle_plan(bundle, {setup["sign_q"].pk: False})) == [
        "个体工商户设立登记",
        "食品经营许可",
        "税务登记",
    ]
    plan = bundle_plan(bundle, {f"q{setup['sign_q'].pk}": "no"})
    assert [e.item.name for e in plan.not_selected] == ["户外招牌设置"]
    assert plan.questions[0].answered and plan.questions[0].answer is False


def test_an_entry_named_by_two_questions_needs_both_answers(setup):
    bundle, entries = setup["bundle"], setup["entries"]
    staff_q = GuidanceQuestion.objects.create(bundle=bundle, order=2, text="是否雇用员工？")
    staff_q.if_yes.add(entries["sign"])
    no_licence = GuidanceQuestion.objects.create(bundle=bundle, order=3, text="是否已有营业执照？")
    no_licence.if_no.add(entries["licence"])
    bundle = get_bundle("canyin")
    sign_q = setup["sign_q"]
    # near miss: one of the two questions selecting the sign says no
    assert "户外招牌设置" not in names(bundle_plan(bundle, {sign_q.pk: True, staff_q.pk: False}))
    assert "户外招牌设置" in names(bundle_plan(bundle, {sign_q.pk: True, staff_q.pk: True}))
    # an if_no entry: answering yes deselects it, and its dependents lose the prerequisite
    plan = bundle_plan(bundle, {no_licence.pk: "yes"})
    assert "个体工商户设立登记" not in names(plan)
    assert all(e.after == [] for e in plan.selected)
    assert "个体工商户设立登记" in names(bundle_plan(bundle, {no_licence.pk: "no"}))


def test_unreadable_answers_count_as_unanswered(setup):
    plan = bundle_plan(get_bundle("canyin"), {f"q{setup['sign_q'].pk}": "maybe", "q999999": "no"})
    assert "户外招牌设置" in names(plan)
    assert plan.questions[0].answered is False


def test_prerequisites_and_essential_flags_in_the_plan(setup):
    plan = bundle_plan(get_bundle("canyin"))
    licence = setup["entries"]["licence"].pk
    assert [e.after for e in plan.selected] == [[], [licence], [licence], [licence]]
    assert [e.item.name for e in plan.optional] == ["户外招牌设置"]
    assert plan.lead_department == setup["approval"]
    assert plan.joint_limit_days == 10
    assert len(plan.departments) == 3


def test_draft_and_withdrawn_bundles_are_not_public(setup):
    LifeEvent.objects.filter(pk=setup["bundle"].pk).update(status=LifeEvent.Status.DRAFT)
    with pytest.raises(NotFound):
        get_bundle("canyin")


# -- materials


def test_a_material_asked_by_three_items_is_listed_once_with_each_requirement(setup):
    items = setup["items"]
    ids = {
        items["food"].pk: MaterialRequirementFactory(item=items["food"], name="居民身份证").pk,
        items["tax"].pk: MaterialRequirementFactory(item=items["tax"], name="申请人身份证明").pk,
        items["sign"].pk: MaterialRequirementFactory(item=items["sign"], name="身份证（复印件）").pk,
    }
    agent = MaterialRequirementFactory(item=items["tax"], name="经办人身份证件")
    MaterialRequirementFactory(item=items["food"], name="食品经营许可申请书")
    plan = bundle_plan(get_bundle("canyin"))
    ids_card = [m for m in plan.materials if m.code == "id_card"]
    assert len(ids_card) == 1
    assert ids_card[0].requirement_ids == ids
    # near miss: the agent's ID is another document
    assert [m.requirement_ids for m in plan.materials if m.code == "agent.id_card"] == [
        {items["tax"].pk: agent.pk}
    ]
    # the application form is the joint online form, not an upload
    assert [m.name for m in plan.materials if m.online_form] == ["食品经营许可申请书"]
    assert {m.code for m in plan.upload_materials} == {"id_card", "agent.id_card"}
    assert plan.separate_material_count == 4


def test_a_result_of_a_prerequisite_in_the_bundle_is_not_asked(setup):
    items = setup["items"]
    for key in ("food", "tax"):
        MaterialRequirementFactory(item=items[key], name="营业执照")
    plan = bundle_plan(get_bundle("canyin"))
    (licence,) = [m for m in plan.materials if m.code == "business_licence"]
    assert licence.produced_by == items["licence"]
    assert licence not in plan.upload_materials
    # near miss: an item not after the licence also asks for it -> the applicant provides it
    LifeEventItem.objects.get(pk=setup["entries"]["sign"].pk).after.clear()
    MaterialRequirementFactory(item=items["sign"], name="营业执照副本")
    plan = bundle_plan(get_bundle("canyin"))
    (licence,) = [m for m in plan.materials if m.code == "business_licence"]
    assert licence.produced_by is None and licence in plan.upload_materials


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("居民身份证", "id_card"),
        ("申领人居民身份证（原件）", "id_card"),
        ("本人有效身份证件", "id_card"),
        ("委托代理人身份证明", "agent.id_card"),
        ("法定代表人身份证复印件", "legal_rep.id_card"),
        ("监护人居民身份证", "guardian.id_card"),
        ("户口本", "household_register"),
        ("营业执照副本", "business_licence"),
        ("房屋租赁合同", "premises_proof"),
        ("近期一寸免冠照片", "photo"),
        ("死亡医学证明（推断）书", "death_certificate"),
        ("授权委托书", "authorisation"),
        ("项目可行性研究报告", "name:项目可行性研究报告"),
    ],
)
def test_material_codes_generalise_over_names(name, code):
    assert material_code(name) == code


def test_application_forms_are_recognised():
    assert is_application_form("食品经营许可申请书")
    assert is_application_form("出生医学证明自填单")
    assert not is_application_form("营业执照或申请表")
    assert not is_application_form("居民身份证")


def test_a_material_code_set_by_an_admin_wins(setup):
    requirement = MaterialRequirementFactory(
        item=setup["items"]["food"], name="某地特有证明", material_code="id_card"
    )
    assert requirement.material_code == "id_card"
    derived = MaterialRequirementFactory(item=setup["items"]["food"], name="居民户口簿")
    assert derived.material_code == "household_register"


# -- regions


def test_items_missing_in_another_county_are_reported(setup):
    other = region_chain("511621", "岳池县")
    items = setup["items"]
    # the same service exists in 岳池县 for the licence (same 基本编码) and, by name, for tax
    PublishedItemFactory(
        name="个体工商户设立登记",
        department=DepartmentFactory(name="岳池县行政审批局", region=other),
        code=f"{items['licence'].base_code}-511621000000-000-TEST-1-00",
        base_code=items["licence"].base_code,
    )
    PublishedItemFactory(name="税务登记", department=DepartmentFactory(name="岳池县税务局", region=other))
    plan = bundle_plan(get_bundle("canyin"), {}, region_code="511621")
    assert names(plan) == ["个体工商户设立登记", "税务登记"]
    assert all(e.item.region_code == "511621" for e in plan.selected)
    assert [(m.entry.item.name, m.essential) for m in plan.missing] == [
        ("食品经营许可", True),
        ("户外招牌设置", False),
    ]
    assert plan.applicable is False
    assert bundle_plan(get_bundle("canyin"), {}, region_code="511602").applicable is True


# -- versions and refusals


def test_a_new_bundle_is_a_draft_published_as_version_one(setup):
    admin, approval = setup["admin"], setup["approval"]
    bundle = bundles.create_bundle(
        actor=admin,
        data={"name": "退休一件事", "slug": "tuixiu", "lead_department": approval, "joint_limit_days": "5"},
    )
    assert (bundle.status, bundle.version) == ("draft", 0)
    with pytest.raises(InvalidInput, match="必办事项"):
        bundles.publish_bundle(actor=admin, bundle=bundle)
    entry = bundles.add_entry(actor=admin, bundle=bundle, item_code=setup["items"]["food"].code)
    bundles.publish_bundle(actor=admin, bundle=bundle)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.version) == ("published", 1)
    published = bundle.versions.get(action="publish")
    assert published.version == 1
    assert [e["name"] for e in published.snapshot["entries"]] == ["食品经营许可"]
    assert published.snapshot["joint_limit_days"] == 5
    # a published bundle is not edited under the applicant
    with pytest.raises(InvalidInput, match="请先撤回"):
        bundles.remove_entry(actor=admin, bundle=bundle, entry_id=entry.pk)
    bundles.withdraw_bundle(actor=admin, bundle=bundle)
    bundles.add_entry(actor=admin, bundle=bundle, item_code=setup["items"]["tax"].code, essential=False)
    bundles.publish_bundle(actor=admin, bundle=bundle)
    bundle.refresh_from_db()
    assert bundle.version == 2
    snapshots = {v.version: v.snapshot for v in bundle.versions.filter(action="publish")}
    assert [e["name"] for e in snapshots[1]["entries"]] == ["食品经营许可"]
    assert [(e["name"], e["essential"]) for e in snapshots[2]["entries"]] == [
        ("食品经营许可", True),
        ("税务登记", False),
    ]


def _state(bundle):
    bundle = LifeEvent.objects.get(pk=bundle.pk)
    return (
        bundles.snapshot(bundle),
        bundle.status,
        bundle.version,
        LifeEventVersion.objects.filter(bundle=bundle).count(),
    )


@pytest.mark.parametrize("who", ["clerk", "outsider", "citizen"])
def test_only_the_lead_departments_catalogue_admin_edits(setup, who):
    bundle = setup["bundle"]
    LifeEvent.objects.filter(pk=bundle.pk).update(status=LifeEvent.Status.DRAFT)
    before = _state(bundle)
    actor = setup[who]
    calls = [
        lambda: bundles.update_bundle(actor=actor, bundle=bundle, data={"name": "改名"}),
        lambda: bundles.add_entry(actor=actor, bundle=bundle, item_code=setup["items"]["food"].code),
        lambda: bundles.remove_entry(actor=actor, bundle=bundle, entry_id=setup["entries"]["sign"].pk),
        lambda: bundles.add_question(
            actor=actor, bundle=bundle, text="问题", if_yes=[setup["entries"]["sign"].pk]
        ),
        lambda: bundles.publish_bundle(actor=actor, bundle=bundle),
        lambda: bundles.create_bundle(
            actor=actor, data={"name": "新", "slug": "new", "lead_department": setup["approval"]}
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert _state(bundle) == before
    assert not LifeEvent.objects.filter(slug="new").exists()


def test_bad_input_gets_a_chinese_error_and_changes_nothing(setup):
    admin, bundle, entries = setup["admin"], setup["bundle"], setup["entries"]
    LifeEvent.objects.filter(pk=bundle.pk).update(status=LifeEvent.Status.DRAFT)
    before = _state(bundle)
    bad = [
        (lambda: bundles.update_bundle(actor=admin, bundle=bundle, data={"name": ""}), "名称"),
        (
            lambda: bundles.update_bundle(
                actor=admin, bundle=bundle, data={"name": "甲", "joint_limit_days": "十天"}
            ),
            "整数",
        ),
        (lambda: bundles.add_entry(actor=admin, bundle=bundle, item_code="NOPE"), "找不到"),
        (
            lambda: bundles.add_entry(actor=admin, bundle=bundle, item_code=setup["items"]["food"].code),
            "已在",
        ),
        (
            lambda: bundles.update_entry(
                actor=admin,
                bundle=bundle,
                entry_id=entries["licence"].pk,
                essential=True,
                order=1,
                after=[entries["food"].pk],  # food is after the licence already: a cycle
                on_refusal="all",
            ),
            "循环",
        ),
        (
            lambda: bundles.update_entry(
                actor=admin,
                bundle=bundle,
                entry_id=entries["food"].pk,
                essential=True,
                order=1,
                after=[],
                on_refusal="whatever",
            ),
            "不予办理",
        ),
        (lambda: bundles.add_question(actor=admin, bundle=bundle, text="问题"), "请选择"),
        (
            lambda: bundles.add_question(
                actor=admin,
                bundle=bundle,
                text="问题",
                if_yes=[entries["sign"].pk],
                if_no=[entries["sign"].pk],
            ),
            "既",
        ),
    ]
    for call, message in bad:
        with pytest.raises(InvalidInput, match=message):
            call()
    assert _state(bundle) == before


def test_an_item_of_another_county_cannot_join(setup):
    other = PublishedItemFactory(department=DepartmentFactory(region=region_chain("511621", "岳池县")))
    LifeEvent.objects.filter(pk=setup["bundle"].pk).update(status=LifeEvent.Status.DRAFT)
    with pytest.raises(InvalidInput, match="区划"):
        bundles.add_entry(actor=setup["admin"], bundle=setup["bundle"], item_code=other.code)


def test_admin_edits_record_a_version_with_the_audit_last(setup):
    from tongban.core.models import AuditEntry

    admin, bundle = setup["admin"], setup["bundle"]
    bundles.withdraw_bundle(actor=admin, bundle=bundle)
    bundles.update_entry(
        actor=admin,
        bundle=bundle,
        entry_id=setup["entries"]["sign"].pk,
        essential=True,
        order=9,
        after=[],
        on_refusal="none",
    )
    last = LifeEventVersion.objects.filter(bundle=bundle).order_by("-id").first()
    assert last.action == "update"
    assert [(e["name"], e["essential"], e["after"]) for e in last.snapshot["entries"]][-1] == (
        "户外招牌设置",
        True,
        [],
    )
    assert AuditEntry.objects.filter(action="catalog.bundle_update").exists()


def test_catalogue_admins_set_a_material_code_in_the_workspace(setup):
    from tongban.catalog import services
    from tongban.catalog.models import MaterialRequirement

    food = setup["items"]["food"]
    food_admin = setup["admin"]
    services.save_child(
        actor=food_admin,
        item=food,
        kind="materials",
        data={"name": "本地特有的身份核验单", "forms": ["original"], "material_code": " id_card "},
    )
    row = MaterialRequirement.objects.get(item=food, name="本地特有的身份核验单")
    assert row.material_code == "id_card"
    services.save_child(
        actor=food_admin, item=food, kind="materials", data={"name": "居民户口簿", "forms": ["original"]}
    )
    assert MaterialRequirement.objects.get(item=food, name="居民户口簿").material_code == "household_register"
    with pytest.raises(InvalidInput, match="材料编码"):
        services.save_child(
            actor=food_admin,
            item=food,
            kind="materials",
            data={"name": "某材料", "forms": ["original"], "material_code": "x" * 61},
        )
    assert not MaterialRequirement.objects.filter(item=food, name="某材料").exists()
