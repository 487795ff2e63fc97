"""Each rating rule is written once (``ratings.access``): for every state of a rating, its
follow-up or its appeal and for every kind of user, a page offers an action exactly when the
service accepts it. The service is called inside a savepoint that is rolled back, so each
(state, role) pair starts from the same data."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from tests.access import accepted
from tests.cases.conftest import staff
from tests.cases.test_flow import submitted_case
from tests.factories import DepartmentFactory, region_chain
from tests.ratings.test_ratings import concluded_case
from tests.ratings.test_views import bad_rating, sign_in
from tongban.ratings import access, services
from tongban.ratings.models import Appeal, Rectification, WindowVisit

ROLES = ["rater", "other", "intake", "reviewer", "decider", "issuer", "outsider", "supervisor", "anonymous"]
REASON = "评价人承认填错了办件，评价内容与本部门无关。"


def person(world, role):
    if role == "anonymous":
        return AnonymousUser()
    if role == "rater":
        return world["applicant"]
    if role == "supervisor":
        return world["supervisor"]
    return world[role]


def page(client, world, role, url) -> str:
    """The page as ``role`` sees it; "" when it is not shown (404, login, redirect elsewhere)."""
    client.logout()
    if role != "anonymous":
        sign_in(client, person(world, role))
    response = client.get(url)
    return response.content.decode() if response.status_code == 200 else ""


@pytest.fixture
def w(world):
    """The case world plus a supervisor of the same county and one far away."""
    world["supervisor"] = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor", name="监察员")
    world["far_supervisor"] = staff(
        DepartmentFactory(name="西湖区政务服务管理局", region=region_chain("330106")), "supervisor"
    )
    return world


# ---------------------------------------------------------------- the person who rates


@pytest.mark.parametrize("state", ["open", "ended", "rated"])
@pytest.mark.parametrize("role", ROLES)
def test_rate_case_is_offered_exactly_when_accepted(client, w, state, role):
    case = submitted_case(w) if state == "open" else concluded_case(w)
    if state == "rated":
        services.rate_case(user=w["applicant"], case=case, level=5)
    user = person(w, role)
    will = accepted(lambda: services.rate_case(user=user, case=case, level=5))
    assert will == access.can_rate_case(user, case)
    rate_page = page(client, w, role, reverse("ratings:rate", args=[case.number]))
    assert ('name="level"' in rate_page) == will
    case_page = page(client, w, role, reverse("cases:my_case", args=[case.number]))
    assert (reverse("ratings:rate", args=[case.number]) in case_page) == will
    assert will == (role == "rater" and state == "ended")


@pytest.mark.parametrize("state", ["rated", "followed_up"])
@pytest.mark.parametrize("role", ROLES)
def test_follow_up_is_offered_exactly_when_accepted(client, w, state, role):
    case = concluded_case(w)
    rating = services.rate_case(user=w["applicant"], case=case, level=4)
    if state == "followed_up":
        services.add_follow_up(user=w["applicant"], rating=rating, text="补充一句")
        rating.refresh_from_db()
    user = person(w, role)
    will = accepted(lambda: services.add_follow_up(user=user, rating=rating, text="再补充"))
    assert will == access.can_follow_up(user, rating)
    shown = page(client, w, role, reverse("ratings:my_rating", args=[case.number]))
    assert ('id="follow-up"' in shown) == will
    assert will == (role == "rater" and state == "rated")


def _rectification_in(w, state) -> Rectification:
    rect = bad_rating(w).rectification
    if state in ("called_back", "rectified", "re_rated"):
        services.record_callback(actor=w["intake"], rectification=rect, note="已电话联系")
    if state in ("rectified", "re_rated"):
        services.complete_rectification(actor=w["intake"], rectification=rect, outcome="增设窗口")
    if state == "re_rated":
        services.re_rate(user=w["applicant"], rectification=rect, level=4)
    return Rectification.objects.select_related("rating", "department").get(pk=rect.pk)


@pytest.mark.parametrize("state", ["open", "called_back", "rectified", "re_rated"])
@pytest.mark.parametrize("role", ROLES)
def test_re_rating_is_offered_exactly_when_accepted(client, w, state, role):
    rect = _rectification_in(w, state)
    user = person(w, role)
    will = accepted(lambda: services.re_rate(user=user, rectification=rect, level=4))
    assert will == access.can_re_rate(user, rect)
    url = reverse("ratings:re_rate", args=[rect.pk])
    assert (
        url in page(client, w, role, reverse("ratings:my_rating", args=[rect.rating.case.number]))
    ) == will
    assert ('name="level"' in page(client, w, role, url)) == will
    assert will == (role == "rater" and state == "rectified")


# ---------------------------------------------------------------- the department


@pytest.mark.parametrize("state", ["open", "called_back", "rectified"])
@pytest.mark.parametrize("role", [*ROLES, "far_supervisor"])
def test_follow_up_steps_are_offered_exactly_when_accepted(client, w, state, role):
    rect = _rectification_in(w, state)
    user = person(w, role)
    will_call = accepted(lambda: services.record_callback(actor=user, rectification=rect, note="回访"))
    will_complete = accepted(
        lambda: services.complete_rectification(actor=user, rectification=rect, outcome="整改")
    )
    assert will_call == access.can_record_callback(user, rect)
    assert will_complete == access.can_complete_rectification(user, rect)
    shown = page(client, w, role, reverse("ratings:staff_task", args=[rect.pk]))
    assert ('value="callback"' in shown) == will_call
    assert ('value="complete"' in shown) == will_complete
    staff_of_department = role in ("intake", "reviewer", "decider", "issuer")
    assert will_call == (staff_of_department and state == "open")
    assert will_complete == (staff_of_department and state == "called_back")


@pytest.mark.parametrize("state", ["none", "pending", "rejected", "upheld"])
@pytest.mark.parametrize("role", [*ROLES, "far_supervisor"])
def test_appeal_is_offered_exactly_when_accepted(client, w, state, role):
    rating = bad_rating(w)
    if state != "none":
        appeal = services.file_appeal(actor=w["intake"], rating=rating, reason=REASON)
        if state != "pending":
            services.decide_appeal(
                actor=w["supervisor"], appeal=appeal, upheld=state == "upheld", note="已核实"
            )
    user = person(w, role)
    will = accepted(lambda: services.file_appeal(actor=user, rating=rating, reason=REASON))
    assert will == access.can_file_appeal(user, rating)
    shown = page(client, w, role, reverse("ratings:staff_appeal", args=[rating.pk]))
    assert ('name="reason"' in shown) == will
    staff_of_department = role in ("intake", "reviewer", "decider", "issuer")
    assert will == (staff_of_department and state in ("none", "rejected"))


@pytest.mark.parametrize("state", ["pending", "rejected", "upheld"])
@pytest.mark.parametrize("role", [*ROLES, "far_supervisor"])
def test_appeal_decision_is_offered_exactly_when_accepted(client, w, state, role):
    appeal = services.file_appeal(actor=w["intake"], rating=bad_rating(w), reason=REASON)
    if state != "pending":
        services.decide_appeal(actor=w["supervisor"], appeal=appeal, upheld=state == "upheld", note="已核实")
    appeal = Appeal.objects.select_related("department__region").get(pk=appeal.pk)
    user = person(w, role)
    will = accepted(lambda: services.decide_appeal(actor=user, appeal=appeal, upheld=False, note="不成立"))
    assert will == access.can_decide_appeal(user, appeal)
    shown = page(client, w, role, reverse("ratings:appeal_decide", args=[appeal.pk]))
    assert ('name="upheld"' in shown) == will
    assert will == (role == "supervisor" and state == "pending")


@pytest.mark.parametrize("role", [*ROLES, "far_supervisor"])
def test_window_visits_are_offered_exactly_when_accepted(client, w, role):
    user = person(w, role)
    department = w["department"]
    will = accepted(lambda: services.open_window_visit(clerk=user, department=department))
    assert will == access.can_open_window_visit(user, department)
    client.logout()
    if role != "anonymous":
        sign_in(client, user)
    response = client.get(reverse("ratings:window_open"))
    offered = response.status_code == 200 and department in response.context["departments"]
    assert offered == will
    tasks = page(client, w, role, reverse("ratings:staff_tasks"))
    assert (reverse("ratings:window_open") in tasks) == bool(access.window_departments(user))
    assert will == (role == "intake")


@pytest.mark.parametrize("state", ["fresh", "expired", "rated"])
@pytest.mark.parametrize("role", [*ROLES, "far_supervisor"])
def test_window_rating_is_offered_exactly_when_accepted(client, w, state, role):
    visit = services.open_window_visit(clerk=w["intake"], department=w["department"])
    if state == "expired":
        WindowVisit.objects.filter(pk=visit.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    if state == "rated":
        services.rate_visit(token=visit.token, level=5)
    visit = WindowVisit.objects.select_related("department").get(pk=visit.pk)
    user = person(w, role)
    will = accepted(lambda: services.rate_visit(token=visit.token, level=5, user=user))
    assert will == access.can_rate_visit(user, visit)
    shown = page(client, w, role, reverse("ratings:visit", args=[visit.token]))
    assert ('name="level"' in shown) == will
    sees_department = role in ("intake", "reviewer", "decider", "issuer", "supervisor")
    assert will == (state == "fresh" and not sees_department)
