"""Applying and processing: every object URL (drafts, materials, cases, corrections, letters,
staff case pages and actions), pages and API, in the shared authorization table.

Owners: the applicant (their drafts and cases), the enterprise's agent (the enterprise's case),
staff of the case's department with the role of the step, and the supervisor above. See
``tests/identity/test_authorization.py`` for the outsiders and what "refused" means.
"""

from django.urls import reverse

from tests.cases.conftest import pdf_upload
from tests.identity.authorization import (
    ObjectURL,
    World,
    api_url,
    applicant_side_test,
    outsiders_test,
    owner_test,
    without_role_test,
)

REQUEST = "申请开办餐饮店"  # the answer ``fill`` gives; shown wherever the case's data is


def _pid(w: World) -> str:
    return str(w.draft.public_id)


ROWS = [
    # ------------------------------------------------------------ drafts (pages)
    ObjectURL(
        "page: draft form step",
        "get",
        lambda w: reverse("cases:apply_step", args=[w.draft.public_id, 0]),
        "citizen",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: save a draft form step",
        "post",
        lambda w: reverse("cases:apply_step", args=[w.draft.public_id, 0]),
        "citizen",
        data=lambda w: {"action": "save"},
    ),
    ObjectURL(
        "page: draft materials",
        "get",
        lambda w: reverse("cases:apply_materials", args=[w.draft.public_id]),
        "citizen",
        shows=lambda w: w.material.name,
    ),
    ObjectURL(
        "page: upload a material",
        "post",
        lambda w: reverse("cases:apply_materials", args=[w.draft.public_id]),
        "citizen",
        data=lambda w: {"requirement": w.material.pk, "file": pdf_upload("营业执照.pdf")},
    ),
    ObjectURL(
        "page: remove a material",
        "post",
        lambda w: reverse("cases:apply_materials", args=[w.draft.public_id]),
        "citizen",
        data=lambda w: {"remove": str(w.draft_attachment.public_id)},
    ),
    ObjectURL(
        "page: check a draft",
        "get",
        lambda w: reverse("cases:apply_check", args=[w.draft.public_id]),
        "citizen",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "page: submit a draft",
        "post",
        lambda w: reverse("cases:apply_check", args=[w.draft.public_id]),
        "citizen",
        data=lambda w: {"idempotency_key": "authz-submit"},
    ),
    ObjectURL(
        "page: submitted confirmation",
        "get",
        lambda w: reverse("cases:apply_done", args=[w.case.application.public_id]),
        "citizen",
        shows=lambda w: w.case.number,
    ),
    # ------------------------------------------------------------ files and letters
    ObjectURL(
        "page: material file (applicant)",
        "get",
        lambda w: reverse("cases:file", args=[w.case_attachment.public_id]),
        "citizen",
        shows=lambda w: b"%PDF-1.4",
    ),
    ObjectURL(
        "page: material file (department staff)",
        "get",
        lambda w: reverse("cases:file", args=[w.case_attachment.public_id]),
        "intake",
        shows=lambda w: b"%PDF-1.4",
    ),
    ObjectURL(
        "page: case letter PDF (applicant)",
        "get",
        lambda w: reverse("case_documents:download", args=[w.accepted_case.number, "acceptance"]),
        "citizen",
        shows=lambda w: b"%PDF",
    ),
    ObjectURL(
        "page: case letter PDF (department staff)",
        "get",
        lambda w: reverse("case_documents:download", args=[w.accepted_case.number, "acceptance"]),
        "intake",
        shows=lambda w: b"%PDF",
    ),
    # ------------------------------------------------------------ my cases (pages)
    ObjectURL(
        "page: my case",
        "get",
        lambda w: reverse("cases:my_case", args=[w.case.number]),
        "citizen",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "page: the enterprise's case (agent)",
        "get",
        lambda w: reverse("cases:my_case", args=[w.enterprise_case.number]),
        "agent",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "page: correction notice",
        "get",
        lambda w: reverse("cases:my_case_correct", args=[w.correction_case.number]),
        "citizen",
        shows=lambda w: "营业执照复印件不清晰",
    ),
    ObjectURL(
        "page: answer a correction",
        "post",
        lambda w: reverse("cases:my_case_correct", args=[w.correction_case.number]),
        "citizen",
        data=lambda w: {f"material-{w.material.pk}": pdf_upload("营业执照.pdf")},
    ),
    ObjectURL(
        "page: withdraw (confirm)",
        "get",
        lambda w: reverse("cases:my_case_withdraw", args=[w.case.number]),
        "citizen",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: withdraw",
        "post",
        lambda w: reverse("cases:my_case_withdraw", args=[w.case.number]),
        "citizen",
        data=lambda w: {"reason": "不再需要"},
    ),
    # ------------------------------------------------------------ staff (pages)
    ObjectURL(
        "page: staff case",
        "get",
        lambda w: reverse("cases:staff_case", args=[w.case.number]),
        "intake",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "page: staff case (supervisor)",
        "get",
        lambda w: reverse("cases:staff_case", args=[w.case.number]),
        "supervisor",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "page: claim",
        "post",
        lambda w: reverse("cases:staff_claim", args=[w.case.number]),
        "intake",
    ),
    ObjectURL(
        "page: release",
        "post",
        lambda w: reverse("cases:staff_release", args=[w.claimed_case.number]),
        "intake",
    ),
    ObjectURL(
        "page: accept",
        "post",
        lambda w: reverse("cases:staff_act", args=[w.case.number]),
        "intake",
        data=lambda w: {"action": "accept", "opinion": "材料齐全"},
    ),
    # ------------------------------------------------------------ API
    ObjectURL(
        "api: draft",
        "get",
        lambda w: api_url(f"/applications/{_pid(w)}"),
        "citizen",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "api: save a draft",
        "patch",
        lambda w: api_url(f"/applications/{_pid(w)}"),
        "citizen",
        data=lambda w: {"data": {"request": "改为开办小吃店"}},
    ),
    ObjectURL(
        "api: upload a material",
        "post",
        lambda w: api_url(f"/applications/{_pid(w)}/materials/{w.material.pk}"),
        "citizen",
        data=lambda w: {"file": pdf_upload("营业执照.pdf")},
        multipart=True,
    ),
    ObjectURL(
        "api: submit a draft",
        "post",
        lambda w: api_url(f"/applications/{_pid(w)}/submit"),
        "citizen",
    ),
    ObjectURL(
        "api: case",
        "get",
        lambda w: api_url(f"/cases/{w.case.number}"),
        "citizen",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "api: the enterprise's case (agent)",
        "get",
        lambda w: api_url(f"/cases/{w.enterprise_case.number}"),
        "agent",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "api: case (department staff)",
        "get",
        lambda w: api_url(f"/cases/{w.case.number}"),
        "intake",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "api: case (supervisor)",
        "get",
        lambda w: api_url(f"/cases/{w.case.number}"),
        "supervisor",
        shows=lambda w: REQUEST,
    ),
    ObjectURL(
        "api: withdraw",
        "post",
        lambda w: api_url(f"/cases/{w.case.number}/withdraw"),
        "citizen",
        data=lambda w: {"reason": "不再需要"},
    ),
    ObjectURL(
        "api: answer a correction",
        "post",
        lambda w: api_url(f"/cases/{w.correction_case.number}/correction"),
        "citizen",
        data=lambda w: {
            "data": "{}",
            "material_ids": str(w.material.pk),
            "files": [pdf_upload("营业执照.pdf")],
        },
        multipart=True,
    ),
    ObjectURL(
        "api: accept",
        "post",
        lambda w: api_url(f"/staff/cases/{w.case.number}/steps"),
        "intake",
        data=lambda w: {"action": "accept", "opinion": "材料齐全"},
    ),
    ObjectURL(
        "api: claim",
        "post",
        lambda w: api_url(f"/staff/cases/{w.case.number}/steps"),
        "intake",
        data=lambda w: {"action": "claim"},
    ),
    # The full ID and mobile numbers, shown once with a stated purpose (a logged read).
    ObjectURL(
        "page: reveal identifiers",
        "post",
        lambda w: reverse("cases:staff_reveal", args=[w.case.number]),
        "intake",
        data=lambda w: {"purpose": "核对申请人身份"},
        shows=lambda w: w.citizen.id_number,
    ),
    ObjectURL(
        "api: reveal identifiers",
        "post",
        lambda w: api_url(f"/staff/cases/{w.case.number}/reveal"),
        "intake",
        data=lambda w: {"purpose": "核对申请人身份"},
        shows=lambda w: w.citizen.id_number,
    ),
]


# Actions of a step, tried by a member of the department whose role is not the step's.
WITHOUT_ROLE = [
    ("page: claim", "reviewer"),
    ("page: release", "reviewer"),
    ("page: accept", "reviewer"),
    ("page: accept", "decider"),
    ("api: accept", "reviewer"),
    ("api: claim", "issuer"),
]


# The applicant's side is theirs alone: even staff of the case's department, with every role,
# are outsiders there. These rows are shared with the department (it processes the case).
SHARED_WITH_DEPARTMENT = {
    "page: material file (applicant)",
    "page: case letter PDF (applicant)",
    "api: case",
    "api: the enterprise's case (agent)",
}
APPLICANT_SIDE = [r for r in ROWS if r.owner in ("citizen", "agent") and r.name not in SHARED_WITH_DEPARTMENT]


test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
test_department_staff_are_outsiders_on_the_applicants_side = applicant_side_test(APPLICANT_SIDE)
