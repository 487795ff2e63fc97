"""好差评: every object URL (rate a case, the rating and its 追评, re-rating, follow-up tasks,
appeals, window visits), pages and API, in the shared authorization table.

Owners: the person who rated (or may rate) their own case, staff of the rated department
(follow-up, appeal, the visit's QR page) and the supervisor above it (deciding appeals).
The evaluator page behind a window's QR code needs no sign-in by design (``PUBLIC_URLS``).
"""

from django.urls import reverse

from tests.identity.authorization import (
    ObjectURL,
    api_url,
    applicant_side_test,
    outsiders_test,
    owner_test,
    without_role_test,
)

COMMENT = "等了很久"  # the one-star rating's comment
REASON = "申请人在评价中辱骂工作人员，与办件无关。"

ROWS = [
    # ------------------------------------------------------------ the person who rates (pages)
    ObjectURL(
        "page: rate a case",
        "get",
        lambda w: reverse("ratings:rate", args=[w.concluded_case.number]),
        "citizen",
        shows=lambda w: w.item.name,
    ),
    ObjectURL(
        "page: rate a case (send)",
        "post",
        lambda w: reverse("ratings:rate", args=[w.concluded_case.number]),
        "citizen",
        data=lambda w: {"level": "5"},
    ),
    ObjectURL(
        "page: my rating",
        "get",
        lambda w: reverse("ratings:my_rating", args=[w.rating.case.number]),
        "citizen",
        shows=lambda w: COMMENT,
    ),
    ObjectURL(
        "page: follow-up comment (追评)",
        "post",
        lambda w: reverse("ratings:my_rating", args=[w.rating.case.number]),
        "citizen",
        data=lambda w: {"text": "后来又办了一次，很顺利。"},
    ),
    ObjectURL(
        "page: re-rate",
        "get",
        lambda w: reverse("ratings:re_rate", args=[w.rectified.pk]),
        "citizen",
        shows=lambda w: "已增设窗口",
    ),
    ObjectURL(
        "page: re-rate (send)",
        "post",
        lambda w: reverse("ratings:re_rate", args=[w.rectified.pk]),
        "citizen",
        data=lambda w: {"level": "4"},
    ),
    # ------------------------------------------------------------ the department and its supervisor (pages)
    ObjectURL(
        "page: follow-up task",
        "get",
        lambda w: reverse("ratings:staff_task", args=[w.rectification.pk]),
        "intake",
        shows=lambda w: COMMENT,
    ),
    ObjectURL(
        "page: follow-up task (supervisor)",
        "get",
        lambda w: reverse("ratings:staff_task", args=[w.rectification.pk]),
        "supervisor",
        shows=lambda w: COMMENT,
    ),
    ObjectURL(
        "page: record a call-back",
        "post",
        lambda w: reverse("ratings:staff_task", args=[w.rectification.pk]),
        "intake",
        data=lambda w: {"action": "callback", "text": "已电话回访，致歉。"},
    ),
    ObjectURL(
        "page: appeal a rating",
        "get",
        lambda w: reverse("ratings:staff_appeal", args=[w.rating.pk]),
        "intake",
        shows=lambda w: COMMENT,
    ),
    ObjectURL(
        "page: appeal a rating (send)",
        "post",
        lambda w: reverse("ratings:staff_appeal", args=[w.rating.pk]),
        "intake",
        data=lambda w: {"reason": REASON},
    ),
    ObjectURL(
        "page: window visit QR code",
        "get",
        lambda w: reverse("ratings:window_visit", args=[w.visit.token]),
        "intake",
        shows=lambda w: "<svg",
    ),
    ObjectURL(
        "page: decide an appeal",
        "get",
        lambda w: reverse("ratings:appeal_decide", args=[w.appeal.pk]),
        "supervisor",
        shows=lambda w: REASON,
    ),
    ObjectURL(
        "page: decide an appeal (send)",
        "post",
        lambda w: reverse("ratings:appeal_decide", args=[w.appeal.pk]),
        "supervisor",
        data=lambda w: {"upheld": "1", "note": "经核实，评价内容与办件无关。"},
    ),
    # ------------------------------------------------------------ API
    ObjectURL(
        "api: rate a case",
        "post",
        lambda w: api_url(f"/cases/{w.concluded_case.number}/rating"),
        "citizen",
        data=lambda w: {"level": 5},
    ),
    ObjectURL(
        "api: follow-up comment (追评)",
        "post",
        lambda w: api_url(f"/ratings/{w.rating.pk}/follow-up"),
        "citizen",
        data=lambda w: {"text": "后来又办了一次，很顺利。"},
    ),
    ObjectURL(
        "api: record a call-back",
        "post",
        lambda w: api_url(f"/staff/rectifications/{w.rectification.pk}/callback"),
        "intake",
        data=lambda w: {"text": "已电话回访，致歉。"},
    ),
    ObjectURL(
        "api: complete a follow-up",
        "post",
        lambda w: api_url(f"/staff/rectifications/{w.called_back.pk}/complete"),
        "intake",
        data=lambda w: {"text": "已增设窗口，缩短等待时间。"},
    ),
    ObjectURL(
        "api: appeal a rating",
        "post",
        lambda w: api_url(f"/staff/ratings/{w.rating.pk}/appeal"),
        "intake",
        data=lambda w: {"text": REASON},
    ),
    ObjectURL(
        "api: decide an appeal",
        "post",
        lambda w: api_url(f"/staff/appeals/{w.appeal.pk}/decision"),
        "supervisor",
        data=lambda w: {"upheld": True, "note": "经核实，评价内容与办件无关。"},
    ),
]


# Deciding an appeal is for a supervisor (监察), not for the department that filed it.
WITHOUT_ROLE = [
    ("page: decide an appeal (send)", "intake"),
    ("api: decide an appeal", "intake"),
]


# Rating is the rater's alone: even staff of the rated department, with every role, are
# outsiders on the rater's pages.
APPLICANT_SIDE = [r for r in ROWS if r.owner == "citizen"]


test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
test_department_staff_are_outsiders_on_the_applicants_side = applicant_side_test(APPLICANT_SIDE)
