"""一件事 after the submission (issue 13, Build 4–6): order constraints, one correction notice,
refusal rules and 统一出件, on a joint case of three departments built as the split builds it
(one submitted child case per item, tied to one JointCase)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.cases.conftest import citizen, fill, pdf_upload, staff
from tests.certificates.conftest import make_type
from tests.factories import (
    DepartmentFactory,
    LifeEventFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
)
from tongban.cases import access, selectors, services
from tongban.cases.models import Case, JointApplication, JointCase, JointNotice
from tongban.cases.services import joint_processing
from tongban.cases.services.joint_processing import PREREQUISITE_USCC
from tongban.cases.services.processing import RESULT_USCC
from tongban.catalog.models import LifeEventItem
from tongban.certificates.models import Certificate
from tongban.certificates.services import issue_for_case, issue_pending
from tongban.core.errors import InvalidInput
from tongban.notifications.models import Notification
from tongban.notifications.services import webhook_payload

# A valid code (check character included) of a 个体工商户 registered in 广安区.
NEW_USCC = "92511602534640977L"
USCC_FIELD = {"type": "string", "title": "统一社会信用代码", "x-semantic": "enterprise.uscc"}


def _department(name):
    department = DepartmentFactory(name=name)
    return department, staff(department, "intake", "review", "decide", "issue", name=f"{name}员")


@pytest.fixture
def jw(db):
    return joint_world()


def joint_world():
    """市监 (lead, 营业执照), 卫健 (食品经营许可, after 营业执照), 人社 (就业登记, optional)."""
    market, market_staff = _department("区市场监管局")
    health, health_staff = _department("区卫健局")
    labour, labour_staff = _department("区人社局")
    items = {
        "licence": PublishedItemFactory(
            name="企业设立登记", department=market, legal_limit=20, promised_limit=5
        ),
        "food": PublishedItemFactory(
            name="食品经营许可", department=health, legal_limit=20, promised_limit=10
        ),
        "employ": PublishedItemFactory(name="就业登记", department=labour, legal_limit=20, promised_limit=5),
    }
    materials = {key: MaterialRequirementFactory(item=item, name="身份证") for key, item in items.items()}
    bundle = LifeEventFactory(name="开办餐饮店一件事", lead_department=market, joint_limit_days=15)
    entries = {
        key: LifeEventItem.objects.create(bundle=bundle, item=item, essential=key != "employ", order=n)
        for n, (key, item) in enumerate(items.items())
    }
    entries["food"].after.add(entries["licence"])
    return {
        "items": items,
        "materials": materials,
        "bundle": bundle,
        "entries": entries,
        "applicant": citizen("张三"),
        "staff": {"licence": market_staff, "food": health_staff, "employ": labour_staff},
        "departments": {"licence": market, "food": health, "employ": labour},
        "lead_viewer": staff(market, "review", name="牵头审查"),
    }


def make_joint(jw, *, on_refusal=None) -> tuple[JointCase, dict[str, Case]]:
    """What the split makes: one joint case and one submitted child per item; 食品经营许可 held
    until 企业设立登记 concludes."""
    for key, rule in (on_refusal or {}).items():
        LifeEventItem.objects.filter(pk=jw["entries"][key].pk).update(on_refusal=rule)
    applicant = jw["applicant"]
    now = timezone.now()
    draft = JointApplication.objects.create(
        bundle=jw["bundle"], applicant=applicant, created_by=applicant, expires_at=now + dt.timedelta(days=30)
    )
    joint = JointCase.objects.create(
        number=f"LB511602-{now:%Y%m%d}-{JointCase.objects.count() + 1:06d}",
        joint_application=draft,
        bundle=jw["bundle"],
        applicant=applicant,
        submitted_by=applicant,
        applicant_name=applicant.real_name,
        channel="2",
        lead_department=jw["departments"]["licence"],
        region_code="511602",
        joint_limit_days=15,
        joint_due=timezone.localdate() + dt.timedelta(days=21),
        submitted_at=now,
    )
    children = {}
    for key, item in jw["items"].items():
        application = services.start_application(user=applicant, item=item)
        services.save_draft(user=applicant, application=application, data=fill(application), step=1)
        services.attach_file(
            user=applicant, application=application, requirement=jw["materials"][key], upload=pdf_upload()
        )
        case = services.submit_application(user=applicant, application=application)
        Case.objects.filter(pk=case.pk).update(joint=joint, essential=key != "employ")
        children[key] = case
    Case.objects.filter(pk=children["food"].pk).update(
        status=Case.Status.HELD,
        workflow_state="",
        current_step="",
        current_step_title="",
        current_role="",
        intake_due=None,
        due_date=None,
        warn_date=None,
    )
    children["food"].prerequisites.add(children["licence"])
    for case in children.values():
        case.refresh_from_db()
    return joint, children


def issued(jw, key) -> dict:
    """办结 with 出证; the registration (企业设立登记) records the code it assigned, which it must
    when a held child waits on it."""
    return {"result": Case.Result.ISSUED, "uscc": NEW_USCC if key == "licence" else ""}


def grant(jw, key, case, capture=None):
    actor = jw["staff"][key]
    services.accept_case(actor=actor, case=case)
    services.review_case(actor=actor, case=case, opinion="材料齐全。")
    services.decide_case(actor=actor, case=case, grant=True, reason="符合条件。")
    if capture is None:
        services.conclude_case(actor=actor, case=case, **issued(jw, key))
    else:
        with capture(execute=True):
            services.conclude_case(actor=actor, case=case, **issued(jw, key))
    case.refresh_from_db()
    return case


def refresh(*cases):
    for case in cases:
        case.refresh_from_db()


# ---------------------------------------------------------------- order constraints


def test_a_held_child_is_in_no_queue_and_cannot_be_taken(jw):
    joint, children = make_joint(jw)
    food, health_staff = children["food"], jw["staff"]["food"]
    assert food.status == Case.Status.HELD
    assert [r.case.pk for r in selectors.staff_queue(health_staff).rows] == []
    with pytest.raises(services.Conflict):
        services.claim_case(actor=health_staff, case=food)
    with pytest.raises(services.ServiceError):
        services.accept_case(actor=health_staff, case=food)


def test_an_order_constraint_holds_the_child_then_releases_it_with_the_prerequisites_result(jw):
    joint, children = make_joint(jw)
    licence, food = children["licence"], children["food"]
    # both forms ask for the 经营场所 (same meaning): the licence's answer fills the food permit's
    premises = {"type": "string", "title": "经营场所", "x-semantic": "business.premises"}
    for case in (licence, food):
        form = case.form
        form.schema = {**form.schema, "properties": {**form.schema["properties"], "premises": premises}}
        form.save()
    Case.objects.filter(pk=licence.pk).update(data={**licence.data, "premises": "广安区建设路8号"})
    licence.refresh_from_db()
    grant(jw, "licence", licence)
    food.refresh_from_db()
    assert food.status == Case.Status.PENDING_INTAKE
    assert (food.current_step, food.current_role) == ("intake", "intake")
    assert food.intake_due is not None and food.due_date is not None
    assert food.data["premises"] == "广安区建设路8号"
    assert food.application.data["premises"] == "广安区建设路8号"
    started = food.events.get(action="joint_start")
    assert licence.number in started.opinion and "经营场所" in started.opinion
    queue = selectors.staff_queue(jw["staff"]["food"])
    assert [r.case.pk for r in queue.rows] == [food.pk]


def _food_asks_uscc(food):
    form = food.form
    form.schema = {
        **form.schema,
        "properties": {**form.schema["properties"], "uscc": USCC_FIELD},
        "required": [*form.schema.get("required", []), "uscc"],
    }
    form.save()


def _to_conclusion(jw, case):
    actor = jw["staff"]["licence"]
    services.accept_case(actor=actor, case=case)
    services.review_case(actor=actor, case=case, opinion="材料齐全。")
    services.decide_case(actor=actor, case=case, grant=True, reason="符合条件。")
    return actor


def test_the_registration_records_the_new_uscc_at_its_conclusion_and_the_held_child_starts_with_it(jw):
    joint, children = make_joint(jw)
    licence, food = children["licence"], children["food"]
    _food_asks_uscc(food)
    actor = _to_conclusion(jw, licence)
    services.conclude_case(actor=actor, case=licence, result=Case.Result.ISSUED, uscc=NEW_USCC)
    licence.refresh_from_db()
    food.refresh_from_db()
    assert licence.data[RESULT_USCC] == NEW_USCC
    assert food.status == Case.Status.PENDING_INTAKE
    assert food.data["uscc"] == NEW_USCC
    assert food.data[PREREQUISITE_USCC] == NEW_USCC  # whatever its form asks, for its licence
    assert food.application.data["uscc"] == NEW_USCC
    assert "尚缺" not in food.events.get(action="joint_start").opinion


@pytest.mark.parametrize("uscc", ["", NEW_USCC[:-1] + "0"])
def test_a_registration_a_held_child_waits_on_cannot_conclude_without_a_valid_uscc(jw, uscc):
    joint, children = make_joint(jw)
    licence, food = children["licence"], children["food"]
    _food_asks_uscc(food)
    actor = _to_conclusion(jw, licence)
    with pytest.raises(InvalidInput) as refused:
        services.conclude_case(actor=actor, case=licence, result=Case.Result.ISSUED, uscc=uscc)
    assert refused.value.field == "uscc"
    licence.refresh_from_db()
    food.refresh_from_db()
    assert licence.is_open and food.status == Case.Status.HELD


def test_a_registration_nobody_waits_on_concludes_without_a_uscc(jw):
    joint, children = make_joint(jw)
    licence = children["licence"]
    children["food"].prerequisites.clear()
    actor = _to_conclusion(jw, licence)
    services.conclude_case(actor=actor, case=licence, result=Case.Result.ISSUED)
    licence.refresh_from_db()
    assert licence.status == Case.Status.CONCLUDED
    assert RESULT_USCC not in licence.data


def test_a_child_with_two_prerequisites_waits_for_both(jw):
    joint, children = make_joint(jw)
    children["food"].prerequisites.add(children["employ"])
    grant(jw, "licence", children["licence"])
    children["food"].refresh_from_db()
    assert children["food"].status == Case.Status.HELD
    grant(jw, "employ", children["employ"])
    children["food"].refresh_from_db()
    assert children["food"].status == Case.Status.PENDING_INTAKE


# ---------------------------------------------------------------- one correction notice


def test_corrections_of_one_working_day_make_one_notice_answered_once(jw):
    joint, children = make_joint(jw)
    licence, employ = children["licence"], children["employ"]
    services.request_correction(
        actor=jw["staff"]["licence"], case=licence, notice="请补正住所。", fields=["address"]
    )
    services.request_correction(
        actor=jw["staff"]["employ"],
        case=employ,
        notice="请补正住所并补交身份证。",
        fields=["address", "request"],
        materials=[jw["materials"]["employ"]],
    )
    (notice,) = JointNotice.objects.filter(joint=joint, kind=JointNotice.Kind.CORRECTION)
    assert [p["case"] for p in notice.payload["parts"]] == [licence.number, employ.number]
    assert notice.sent_at is not None and notice.answered_at is None
    # the applicant hears once, of the joint case, not once per department
    told = Notification.objects.filter(user=jw["applicant"])
    assert told.filter(event="joint.correction").count() == 1
    assert not told.filter(event="correction_requested").exists()
    refresh(licence, employ)
    assert licence.paused_since is not None and employ.paused_since is not None
    assert licence.status == employ.status == Case.Status.CORRECTION

    address = {"region": "511602", "detail": "建设路 9 号"}
    services_answer = joint_processing.answer_joint_correction
    with pytest.raises(InvalidInput):  # a field nobody asked for changes nothing
        services_answer(user=jw["applicant"], joint=joint, data={"mobile": "13900000000"})
    with pytest.raises(InvalidInput):  # the material 人社 asked for is missing: nothing changes
        services_answer(user=jw["applicant"], joint=joint, data={"address": address})
    refresh(licence, employ)
    assert licence.status == Case.Status.CORRECTION and licence.data["address"]["detail"] == "建设路 1 号"

    services_answer(
        user=jw["applicant"],
        joint=joint,
        data={"address": address, "request": "开办餐饮店（补正）"},
        files={jw["materials"]["employ"].pk: pdf_upload("身份证.pdf")},
    )
    refresh(licence, employ, notice)
    assert notice.answered_at is not None
    for case in (licence, employ):  # each department gets its part; each clock resumes
        assert case.status == Case.Status.PENDING_INTAKE
        assert case.paused_since is None
        assert case.data["address"] == address
        assert case.corrections.get().answered_at is not None
    assert licence.data["request"] == "申请开办餐饮店"  # 市监 did not ask for it
    assert employ.data["request"] == "开办餐饮店（补正）"
    assert (
        employ.application.attachments.filter(replaced=False, requirement=jw["materials"]["employ"]).count()
        == 1
    )


def test_a_started_child_lacking_what_its_prerequisite_did_not_bring_can_still_be_corrected(jw):
    joint, children = make_joint(jw)
    food = children["food"]
    form = food.form
    required = {"type": "string", "title": "食品安全管理员", "x-semantic": "food.safety_manager"}
    form.schema = {
        **form.schema,
        "properties": {**form.schema["properties"], "manager": required},
        "required": [*form.schema.get("required", []), "manager"],
    }
    form.save()
    grant(jw, "licence", children["licence"])  # its data has no 食品安全管理员
    food.refresh_from_db()
    assert "尚缺：食品安全管理员" in food.events.get(action="joint_start").opinion
    services.request_correction(actor=jw["staff"]["food"], case=food, notice="请补正。", fields=["request"])
    joint_processing.answer_joint_correction(user=jw["applicant"], joint=joint, data={"request": "补正后"})
    food.refresh_from_db()
    assert food.status == Case.Status.PENDING_INTAKE and food.data["request"] == "补正后"


def test_a_correction_on_another_working_day_is_a_new_notice(jw, monkeypatch):
    joint, children = make_joint(jw)
    services.request_correction(
        actor=jw["staff"]["licence"], case=children["licence"], notice="请补正。", fields=["address"]
    )
    later = joint_processing.notice_day() + dt.timedelta(days=7)
    monkeypatch.setattr(joint_processing, "notice_day", lambda now=None: later)
    services.request_correction(
        actor=jw["staff"]["employ"], case=children["employ"], notice="请补正。", fields=["address"]
    )
    assert JointNotice.objects.filter(joint=joint, kind=JointNotice.Kind.CORRECTION).count() == 2


def test_only_the_applicant_side_answers_the_joint_notice(jw):
    joint, children = make_joint(jw)
    services.request_correction(
        actor=jw["staff"]["licence"], case=children["licence"], notice="请补正。", fields=["address"]
    )
    with pytest.raises(services.NotFound):
        joint_processing.answer_joint_correction(user=citizen("李四"), joint=joint, data={})
    with pytest.raises(services.NotFound):
        joint_processing.answer_joint_correction(user=jw["staff"]["licence"], joint=joint, data={})


# ---------------------------------------------------------------- refusals


def test_a_refused_essential_child_stops_its_dependents_by_default(jw):
    joint, children = make_joint(jw)
    services.refuse_case(actor=jw["staff"]["licence"], case=children["licence"], reason="名称不合规。")
    refresh(*children.values(), joint)
    assert children["food"].status == Case.Status.STOPPED
    assert children["food"].events.filter(action="joint_stop").exists()
    assert children["employ"].status == Case.Status.PENDING_INTAKE  # optional, not dependent
    # no essential child open any more: released, with the refusal said in the one notice
    assert joint.released_at is not None
    (notice,) = JointNotice.objects.filter(joint=joint, kind=JointNotice.Kind.RESULT)
    assert notice.payload["refusal"]["case"] == children["licence"].number
    assert [s["case"] for s in notice.payload["refusal"]["stopped"]] == [children["food"].number]
    assert [f["case"] for f in notice.payload["following"]] == [children["employ"].number]


def test_a_refusal_that_stops_all_ends_every_open_child(jw):
    joint, children = make_joint(jw, on_refusal={"licence": "all"})
    services.refuse_case(actor=jw["staff"]["licence"], case=children["licence"], reason="名称不合规。")
    refresh(*children.values(), joint)
    assert children["food"].status == children["employ"].status == Case.Status.STOPPED
    assert joint.status == JointCase.Status.STOPPED and joint.concluded_at is not None
    assert selectors.staff_queue(jw["staff"]["employ"]).rows == []


def test_a_refusal_that_stops_nothing_lets_the_dependents_start(jw):
    joint, children = make_joint(jw, on_refusal={"licence": "none"})
    services.refuse_case(actor=jw["staff"]["licence"], case=children["licence"], reason="名称不合规。")
    refresh(*children.values(), joint)
    assert children["food"].status == Case.Status.PENDING_INTAKE
    assert children["employ"].status == Case.Status.PENDING_INTAKE
    assert joint.released_at is None  # 食品经营许可 (essential) is still open


def test_a_refused_optional_child_stops_nothing_else(jw):
    joint, children = make_joint(jw)
    services.refuse_case(actor=jw["staff"]["employ"], case=children["employ"], reason="不符合条件。")
    refresh(*children.values(), joint)
    assert children["licence"].status == Case.Status.PENDING_INTAKE
    assert children["food"].status == Case.Status.HELD
    assert joint.released_at is None


# ---------------------------------------------------------------- 统一出件


def test_unified_issuing_releases_every_licence_at_once(jw, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    make_type(jw["departments"]["licence"], jw["items"]["licence"], name="营业执照", code="11100000000000002")
    make_type(jw["departments"]["food"], jw["items"]["food"])
    joint, children = make_joint(jw)
    grant(jw, "licence", children["licence"], capture)
    # concluded, but held: no licence exists, not by the task, the sweep or a direct call
    assert children["licence"].released_at is None
    assert issue_for_case(children["licence"]) == []
    assert issue_pending() == 0
    assert not Certificate.objects.filter(case__joint=joint).exists()
    told = Notification.objects.filter(user=jw["applicant"])
    assert not told.filter(event="concluded").exists()

    children["food"].refresh_from_db()
    grant(jw, "food", children["food"], capture)
    refresh(*children.values(), joint)
    assert joint.status == JointCase.Status.RELEASED and joint.released_at is not None
    assert children["licence"].released_at == children["food"].released_at == joint.released_at
    issued = Certificate.objects.filter(case__joint=joint)
    assert sorted(issued.values_list("case__number", flat=True)) == sorted(
        [children["licence"].number, children["food"].number]
    )
    (notice,) = JointNotice.objects.filter(joint=joint, kind=JointNotice.Kind.RESULT)
    assert {r["case"] for r in notice.payload["released"]} == {
        children["licence"].number,
        children["food"].number,
    }
    assert [f["case"] for f in notice.payload["following"]] == [children["employ"].number]
    assert told.filter(event="joint.result").count() == 1

    # the optional child follows as it comes, released at once
    grant(jw, "employ", children["employ"], capture)
    refresh(children["employ"], joint)
    assert children["employ"].released_at is not None
    assert joint.status == JointCase.Status.CONCLUDED and joint.concluded_at is not None


def test_the_joint_case_is_rated_once_and_counts_for_each_department(jw):
    from tongban.ratings import joint as joint_ratings
    from tongban.ratings.access import AlreadyRated, check_rate_case
    from tongban.ratings.models import Rating, Rectification

    joint, children = make_joint(jw)
    grant(jw, "licence", children["licence"])
    with pytest.raises(InvalidInput):  # not before 统一出件
        joint_ratings.check_rate_joint(jw["applicant"], joint)
    children["food"].refresh_from_db()
    grant(jw, "food", children["food"])
    joint.refresh_from_db()
    with pytest.raises(InvalidInput, match="统一评价"):  # a child is not rated on its own
        check_rate_case(jw["applicant"], children["food"])
    with pytest.raises(services.NotFound):
        joint_ratings.rate_joint_case(user=citizen("李四"), joint=joint, level=5)
    ratings = joint_ratings.rate_joint_case(user=jw["applicant"], joint=joint, level=1, comment="办理太慢。")
    assert sorted(r.department.name for r in ratings) == ["区卫健局", "区市场监管局"]
    assert Rectification.objects.filter(rating__in=ratings).count() == 2  # each department follows up
    with pytest.raises(AlreadyRated):
        joint_ratings.rate_joint_case(user=jw["applicant"], joint=joint, level=5)
    # the optional child concludes later: rating the joint case again covers it alone
    grant(jw, "employ", children["employ"])
    (later,) = joint_ratings.rate_joint_case(user=jw["applicant"], joint=joint, level=5)
    assert later.case_id == children["employ"].pk
    assert Rating.objects.filter(case__joint=joint).count() == 3


def test_a_single_case_is_not_held(world, django_capture_on_commit_callbacks):
    from tests.cases.test_flow import submitted_case
    from tests.certificates.conftest import conclude

    make_type(world["department"], world["item"])
    case = conclude(world, submitted_case(world), django_capture_on_commit_callbacks)
    assert Certificate.objects.filter(case=case).count() == 1


def test_webhooks_carry_the_joint_case_number(jw):
    joint, children = make_joint(jw)
    assert webhook_payload(children["licence"], "accepted")["case"]["joint"] == joint.number


def test_the_held_child_cannot_be_withdrawn_or_seen_by_another_department(jw):
    joint, children = make_joint(jw)
    assert not access.can_view_case(jw["staff"]["food"], children["licence"])


# ---------------------------------------------------------------- audit last (test_audit_last.py)


def _joint(w):
    jw = joint_world()
    return jw, *make_joint(jw)


def _licence_decided(w):
    jw, joint, children = _joint(w)
    actor = jw["staff"]["licence"]
    services.accept_case(actor=actor, case=children["licence"])
    services.review_case(actor=actor, case=children["licence"], opinion="材料齐全。")
    services.decide_case(actor=actor, case=children["licence"], grant=True, reason="符合条件。")
    return jw, joint, children


def _food_decided(w):
    jw, joint, children = _licence_decided(w)
    services.conclude_case(actor=jw["staff"]["licence"], case=children["licence"], **issued(jw, "licence"))
    food, actor = Case.objects.get(pk=children["food"].pk), jw["staff"]["food"]
    services.accept_case(actor=actor, case=food)
    services.review_case(actor=actor, case=food, opinion="材料齐全。")
    services.decide_case(actor=actor, case=food, grant=True, reason="符合条件。")
    children["food"] = food
    return jw, joint, children


def _one_correction(w):
    jw, joint, children = _joint(w)
    services.request_correction(
        actor=jw["staff"]["licence"], case=children["licence"], notice="请补正。", fields=["address"]
    )
    return jw, joint, children


def _two_corrections(w):
    jw, joint, children = _one_correction(w)
    services.request_correction(
        actor=jw["staff"]["employ"], case=children["employ"], notice="请补正。", fields=["address"]
    )
    return jw, joint, children


def _conclude(key):
    def write(w, target):
        jw, _joint_case, children = target
        services.conclude_case(actor=jw["staff"][key], case=children[key], **issued(jw, key))

    return write


def _released(w):
    jw, joint, children = _food_decided(w)
    services.conclude_case(actor=jw["staff"]["food"], case=children["food"], result=Case.Result.ISSUED)
    joint.refresh_from_db()
    return jw, joint, children


def _rate_joint(w, target):
    from tongban.ratings.joint import rate_joint_case

    jw, joint, _children = target
    rate_joint_case(user=jw["applicant"], joint=joint, level=1, comment="太慢。")


JOINT_WRITE_PATHS = {
    "joint: rate the joint case once (ratings)": (_released, _rate_joint),
    "joint: a prerequisite's grant starts the held child": (_licence_decided, _conclude("licence")),
    "joint: the last essential grant releases the results": (_food_decided, _conclude("food")),
    "joint: a correction opens the day's notice": (
        _joint,
        lambda w, t: services.request_correction(
            actor=t[0]["staff"]["licence"], case=t[2]["licence"], notice="请补正。", fields=["address"]
        ),
    ),
    "joint: a second correction joins the notice": (
        _one_correction,
        lambda w, t: services.request_correction(
            actor=t[0]["staff"]["employ"], case=t[2]["employ"], notice="请补正。", fields=["address"]
        ),
    ),
    "joint: the applicant answers once": (
        _two_corrections,
        lambda w, t: joint_processing.answer_joint_correction(
            user=t[0]["applicant"],
            joint=t[1],
            data={"address": {"region": "511602", "detail": "建设路 9 号"}},
        ),
    ),
    "joint: a refusal stops the dependents": (
        _joint,
        lambda w, t: services.refuse_case(
            actor=t[0]["staff"]["licence"], case=t[2]["licence"], reason="不符。"
        ),
    ),
}
