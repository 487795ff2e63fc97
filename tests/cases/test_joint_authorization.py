"""一件事 applying and processing: every object URL in the shared authorization table
(tests/identity/test_authorization.py). The bundle joins an item of the world's department
(county 511602, the lead) and one of the county's health bureau. A joint draft and a joint case
are the applicant's (``citizen``); the joint case's staff page is the lead department's
(``staff``). Another citizen, another county's staff and anonymous visitors are refused, and so
are the department's own staff on the applicant's pages."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.cases.conftest import PDF, pdf_upload
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, region_chain
from tests.identity.authorization import (
    ObjectURL,
    World,
    api_url,
    applicant_side_test,
    outsiders_test,
    owner_test,
)

BUNDLE = "开办餐饮店一件事（授权）"
SHARED = "营业执照复印件"
HEALTH_ITEM = "公共场所卫生许可"
ADDRESS = {"region": "511602", "detail": "建设路 8 号"}


def joint_bundle(w: World) -> Any:
    """A published bundle led by the world's department, with a second department of 511602."""
    if "_joint_bundle" not in w.__dict__:
        from tongban.catalog.models import LifeEvent, LifeEventItem

        health = DepartmentFactory(name="区卫生健康局", region=region_chain("511602"))
        items = [
            PublishedItemFactory(
                name="餐饮服务许可", department=w.department, promised_limit=10, legal_limit=20
            ),
            PublishedItemFactory(name=HEALTH_ITEM, department=health, promised_limit=10, legal_limit=20),
        ]
        for item in items:
            MaterialRequirementFactory(item=item, name=SHARED)
        bundle = LifeEvent.objects.create(
            name=BUNDLE, slug="canyin-auth", lead_department=w.department, joint_limit_days=15
        )
        for n, item in enumerate(items):
            LifeEventItem.objects.create(bundle=bundle, item=item, order=n)
        w.__dict__["_joint_bundle"] = bundle
    return w.__dict__["_joint_bundle"]


def _requests(draft: Any) -> dict:
    from tongban.cases.services import joint_applying as joint

    form = joint.joint_form(joint.children_of(draft))
    return {name: "开办餐饮店" for name in form.schema["properties"] if name.startswith("request")}


def _draft(w: World, stage: str = "started") -> Any:
    """The citizen's joint draft: ``started`` (empty) or ``filled`` (form and every material)."""
    key = f"_joint_draft_{stage}"
    if key not in w.__dict__:
        from tongban.cases.services import joint_applying as joint

        draft = joint.start_joint_application(user=w.citizen, bundle=joint_bundle(w))
        if stage == "filled":
            draft = joint.save_joint_draft(
                user=w.citizen, joint=draft, data={"address": ADDRESS, **_requests(draft)}
            )
            for row in joint.joint_materials(joint.children_of(draft)):
                joint.attach_joint_file(
                    user=w.citizen, joint=draft, code=row.code, upload=pdf_upload(f"{row.name}.pdf")
                )
        w.__dict__[key] = draft
    return w.__dict__[key]


def _joint(w: World, stage: str = "submitted") -> Any:
    """The citizen's joint case: ``submitted``; ``correction`` (the lead's child asks for the
    licence copy again, which the joint case gathers into one notice); ``released`` (both
    departments granted, so the results went out together and it may be rated)."""
    key = f"_joint_case_{stage}"
    if key not in w.__dict__:
        from tongban.cases import services
        from tongban.cases.models import Case
        from tongban.cases.services import joint_applying as joint

        draft = _draft(w, "filled")
        w.__dict__.pop("_joint_draft_filled")
        joint_case = joint.submit_joint_application(user=w.citizen, joint=draft)
        if stage == "released":
            for child in joint_case.children.select_related("department"):
                actor = w.staff if child.department_id == w.department.pk else _health_staff(w)
                services.accept_case(actor=actor, case=child)
                services.review_case(actor=actor, case=child, opinion="材料齐全。")
                services.decide_case(actor=actor, case=child, grant=True, reason="符合条件。")
                services.conclude_case(actor=actor, case=child, result=Case.Result.ISSUED)
        if stage == "correction":
            child = joint_case.children.get(department=w.department)
            services.request_correction(
                actor=w.intake,
                case=child,
                notice="营业执照复印件不清晰。",
                fields=[],
                materials=[child.item.materials.get(name=SHARED)],
            )
        joint_case.refresh_from_db()
        w.__dict__[key] = joint_case
    return w.__dict__[key]


def _health_staff(w: World) -> Any:
    from tests.identity.factories import staff_in
    from tongban.identity.models import StaffRole

    health = joint_bundle(w).items.exclude(department=w.department).get().department
    return staff_in(health, *StaffRole.values)


def _material_code(w: World) -> str:
    from tongban.cases.services import joint_applying as joint

    return joint.joint_materials(joint.children_of(_draft(w)))[0].code


def _correction_material(w: World) -> int:
    child = _joint(w, "correction").children.get(department=w.department)
    return child.item.materials.get(name=SHARED).pk


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("营业执照复印件.pdf", PDF, content_type="application/pdf")


APPLICANT_ROWS = [
    ObjectURL(
        "page: joint draft form step",
        "get",
        lambda w: reverse("cases:joint_step", args=[_draft(w).public_id, 0]),
        "citizen",
        shows=lambda w: BUNDLE,
    ),
    ObjectURL(
        "page: joint draft materials",
        "get",
        lambda w: reverse("cases:joint_materials", args=[_draft(w).public_id]),
        "citizen",
        shows=lambda w: SHARED,
    ),
    ObjectURL(
        "page: submit a joint draft",
        "post",
        lambda w: reverse("cases:joint_check", args=[_draft(w, "filled").public_id]),
        "citizen",
        data=lambda w: {"idempotency_key": "joint-auth-1"},
    ),
    ObjectURL(
        "page: attach a joint material",
        "post",
        lambda w: reverse("cases:joint_materials", args=[_draft(w).public_id]),
        "citizen",
        data=lambda w: {"code": _material_code(w), "file": _upload()},
    ),
    ObjectURL(
        "page: joint draft done",
        "get",
        lambda w: reverse("cases:joint_done", args=[_joint(w).joint_application.public_id]),
        "citizen",
        shows=lambda w: HEALTH_ITEM,
    ),
    ObjectURL(
        "page: my joint case",
        "get",
        lambda w: reverse("cases:my_joint", args=[_joint(w).number]),
        "citizen",
        shows=lambda w: HEALTH_ITEM,
    ),
    ObjectURL(
        "page: my joint case result",
        "get",
        lambda w: reverse("cases:my_joint_result", args=[_joint(w).number]),
        "citizen",
        shows=lambda w: HEALTH_ITEM,
    ),
    ObjectURL(
        "page: joint correction",
        "get",
        lambda w: reverse("cases:my_joint_correct", args=[_joint(w, "correction").number]),
        "citizen",
        shows=lambda w: "营业执照复印件不清晰",
    ),
    ObjectURL(
        "page: answer a joint correction",
        "post",
        lambda w: reverse("cases:my_joint_correct", args=[_joint(w, "correction").number]),
        "citizen",
        data=lambda w: {f"material-{_correction_material(w)}": _upload()},
    ),
    ObjectURL(
        "page: rate a joint case",
        "post",
        lambda w: reverse("ratings:rate_joint", args=[_joint(w, "released").number]),
        "citizen",
        data=lambda w: {"level": "5", "comment": "一次办好"},
    ),
    ObjectURL(
        "page: rate a joint case (form)",
        "get",
        lambda w: reverse("ratings:rate_joint", args=[_joint(w, "released").number]),
        "citizen",
        shows=lambda w: HEALTH_ITEM,
    ),
    ObjectURL(
        "api: joint draft",
        "get",
        lambda w: api_url(f"/joint-applications/{_draft(w).public_id}"),
        "citizen",
        shows=lambda w: BUNDLE,
    ),
    ObjectURL(
        "api: save a joint draft",
        "patch",
        lambda w: api_url(f"/joint-applications/{_draft(w).public_id}"),
        "citizen",
        data=lambda w: {"data": {"address": ADDRESS}},
    ),
    ObjectURL(
        "api: attach a joint material",
        "post",
        lambda w: api_url(f"/joint-applications/{_draft(w).public_id}/materials/{_material_code(w)}"),
        "citizen",
        data=lambda w: {"file": _upload()},
        multipart=True,
    ),
    ObjectURL(
        "api: submit a joint draft",
        "post",
        lambda w: api_url(f"/joint-applications/{_draft(w, 'filled').public_id}/submit"),
        "citizen",
    ),
    ObjectURL(
        "api: my joint case",
        "get",
        lambda w: api_url(f"/joint-cases/{_joint(w).number}"),
        "citizen",
        shows=lambda w: _joint(w).number,
    ),
    ObjectURL(
        "api: answer a joint correction",
        "post",
        lambda w: api_url(f"/joint-cases/{_joint(w, 'correction').number}/correction"),
        "citizen",
        data=lambda w: {"material_ids": str(_correction_material(w)), "files": [_upload()]},
        multipart=True,
    ),
]

STAFF_ROWS = [
    ObjectURL(
        "page: staff joint case",
        "get",
        lambda w: reverse("cases:staff_joint", args=[_joint(w).number]),
        "staff",
        shows=lambda w: HEALTH_ITEM,
    ),
    ObjectURL(
        "api: staff joint case",
        "get",
        lambda w: api_url(f"/staff/joint-cases/{_joint(w).number}"),
        "staff",
        shows=lambda w: _joint(w).number,
    ),
]

ROWS = APPLICANT_ROWS + STAFF_ROWS

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_the_department_is_an_outsider_to_the_applicant = applicant_side_test(APPLICANT_ROWS)
