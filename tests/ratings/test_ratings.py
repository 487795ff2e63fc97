import datetime as dt

import pytest
from django.utils import timezone

from tests.cases.conftest import staff
from tests.cases.test_flow import submitted_case
from tests.factories import DepartmentFactory, region_chain
from tongban.cases import services as case_services
from tongban.cases.models import Case
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity.ratelimit import RateLimited
from tongban.ratings import selectors, services
from tongban.ratings.models import Appeal, Rating, Rectification

D = dt.date


def concluded_case(w):
    case = submitted_case(w)
    case_services.refuse_case(actor=w["intake"], case=case, reason="不属于本机关职权范围。")
    case.refresh_from_db()
    return case


def test_only_the_applicant_rates_once_after_the_case_ended(world):
    w = world
    open_case = submitted_case(w)
    with pytest.raises(InvalidInput, match="办结后"):
        services.rate_case(user=w["applicant"], case=open_case, level=5)
    case = concluded_case(w)
    with pytest.raises(NotFound):
        services.rate_case(user=w["other"], case=case, level=5)
    with pytest.raises(NotFound):
        services.rate_case(user=w["intake"], case=case, level=1, comment="x")
    rating = services.rate_case(
        user=w["applicant"],
        case=case,
        level=5,
        scores={"overall": 5, "efficiency": 4},
        comment="很快",
        tags=["办事快"],
    )
    assert rating.channel == "online" and rating.department == w["department"]
    with pytest.raises(services.AlreadyRated):
        services.rate_case(user=w["applicant"], case=case, level=4)
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 6}, "1 到 5 星"),
        ({"level": "x"}, "1 到 5 星"),
        ({"level": 4, "scores": {"speed": 5}}, "指标无效"),
        ({"level": 4, "scores": {"overall": 9}}, "1 到 5 分"),
        ({"level": 4, "tags": ["好"]}, "标签无效"),
        ({"level": 1}, "差评请写明原因"),
        ({"level": 4, "comment": "字" * 501}, "500 字"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_stored(world, kwargs, message):
    case = concluded_case(world)
    with pytest.raises(InvalidInput, match=message):
        services.rate_case(user=world["applicant"], case=case, **kwargs)
    assert not Rating.objects.exists()


def test_staff_cannot_rate_their_own_departments_visit(world):
    visit = services.open_window_visit(clerk=world["intake"], department=world["department"])
    with pytest.raises(PermissionDenied):
        services.rate_visit(token=visit.token, level=5, user=world["reviewer"])
    with pytest.raises(PermissionDenied):
        services.open_window_visit(clerk=world["outsider"], department=world["department"])


def test_one_rating_per_window_visit_and_expiry(world):
    visit = services.open_window_visit(clerk=world["intake"], department=world["department"])
    rating = services.rate_visit(token=visit.token, level=4, scores={"attitude": 5}, client_key="1.2.3.4")
    assert rating.channel == "window" and rating.rater is None
    with pytest.raises(services.AlreadyRated):
        services.rate_visit(token=visit.token, level=5)
    old = services.open_window_visit(clerk=world["intake"], department=world["department"])
    type(old).objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="过期"):
        services.rate_visit(token=old.token, level=5)
    with pytest.raises(InvalidInput, match="指标无效"):
        fresh = services.open_window_visit(clerk=world["intake"], department=world["department"])
        services.rate_visit(token=fresh.token, level=5, scores={"guide_accuracy": 5})


def test_rate_limit_per_person(world, monkeypatch):
    w = world
    monkeypatch.setattr(
        services.ratelimit,
        "check",
        lambda key, limits, message=None: (_ for _ in ()).throw(RateLimited(message)),
    )
    case = concluded_case(w)
    with pytest.raises(RateLimited, match="过于频繁"):
        services.rate_case(user=w["applicant"], case=case, level=5)


def test_seven_day_default_counts_as_basically_satisfied(world):
    w = world
    recent, old = concluded_case(w), concluded_case(w)
    Case.objects.filter(pk=old.pk).update(concluded_at=timezone.now() - dt.timedelta(days=7, minutes=1))
    assert services.apply_default_ratings() == 1
    rating = Rating.objects.get(case=old)
    assert rating.level == 3 and rating.is_default and rating.rater is None
    assert services.apply_default_ratings() == 0  # idempotent
    assert not Rating.objects.filter(case=recent).exists()
    with pytest.raises(services.AlreadyRated):
        services.rate_case(user=w["applicant"], case=old, level=5)


@pytest.mark.parametrize(
    ("today", "callback", "rectify"),
    [
        (D(2026, 9, 28), D(2026, 9, 29), D(2026, 10, 23)),  # 15 working days across National Day
        (D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 27)),  # call-back due after the holiday
        (D(2026, 11, 20), D(2026, 11, 23), D(2026, 12, 11)),  # Friday → Monday
    ],
)
def test_bad_rating_opens_follow_up_with_working_day_clocks(world, monkeypatch, today, callback, rectify):
    monkeypatch.setattr(services.timezone, "localdate", lambda *a: today)
    case = concluded_case(world)
    rating = services.rate_case(
        user=world["applicant"], case=case, level=1, comment="等了很久", tags=["等待太久"]
    )
    rect = rating.rectification
    assert (rect.callback_due, rect.rectify_due, rect.status) == (callback, rectify, "open")


def test_follow_up_lifecycle_and_overdue_for_supervisors(world, django_capture_on_commit_callbacks):
    w = world
    supervisor = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor")
    case = concluded_case(w)
    rating = services.rate_case(user=w["applicant"], case=case, level=2, comment="材料要求太多")
    rect = rating.rectification
    late = rect.rectify_due + dt.timedelta(days=1)
    assert list(selectors.overdue_rectifications(supervisor, on=late)) == [rect]
    assert list(selectors.rectifications_for(w["outsider"])) == []
    with pytest.raises(InvalidInput, match="先完成回访"):
        services.complete_rectification(actor=w["intake"], rectification=rect, outcome="x")
    with pytest.raises(NotFound):
        services.record_callback(actor=w["outsider"], rectification=rect, note="x")
    services.record_callback(actor=w["intake"], rectification=rect, note="已电话联系申请人，解释了材料要求。")
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_rectification(actor=w["intake"], rectification=rect, outcome="精简了两项材料。")
    rect.refresh_from_db()
    assert rect.status == Rectification.Status.RECTIFIED and rect.re_rating_invited
    assert list(selectors.overdue_rectifications(supervisor, on=late)) == []
    from tongban.notifications.models import Notification

    assert Notification.objects.filter(user=w["applicant"], event="rectified").exists()
    services.re_rate(user=w["applicant"], rectification=rect, level=4)
    with pytest.raises(InvalidInput):
        services.re_rate(user=w["applicant"], rectification=rect, level=5)


def test_follow_up_comment_once_by_the_rater(world):
    case = concluded_case(world)
    rating = services.rate_case(user=world["applicant"], case=case, level=4)
    with pytest.raises(NotFound):
        services.add_follow_up(user=world["other"], rating=rating, text="追评")
    services.add_follow_up(user=world["applicant"], rating=rating, text="后来又办了一次，也很顺利。")
    with pytest.raises(InvalidInput, match="一次"):
        services.add_follow_up(user=world["applicant"], rating=rating, text="再追评")


def test_upheld_appeal_keeps_the_rating_but_excludes_it(world):
    w = world
    supervisor = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor")
    far_supervisor = staff(DepartmentFactory(region=region_chain("330106")), "supervisor")
    case = concluded_case(w)
    rating = services.rate_case(user=w["applicant"], case=case, level=1, comment="乱评")
    assert selectors.department_figures(w["department"]).total == 1
    with pytest.raises(InvalidInput, match="10 个字"):
        services.file_appeal(actor=w["intake"], rating=rating, reason="恶意")
    appeal = services.file_appeal(
        actor=w["intake"], rating=rating, reason="申请人在评价中辱骂工作人员，与办件无关。"
    )
    with pytest.raises(NotFound):
        services.decide_appeal(actor=far_supervisor, appeal=appeal, upheld=True, note="x")
    with pytest.raises(NotFound):
        services.decide_appeal(actor=w["intake"], appeal=appeal, upheld=True, note="x")
    services.decide_appeal(actor=supervisor, appeal=appeal, upheld=True, note="经核实，评价内容与办件无关。")
    rating.refresh_from_db()
    assert rating.excluded and Rating.objects.filter(pk=rating.pk).exists()
    assert selectors.department_figures(w["department"]).total == 0
    assert Appeal.objects.get().status == "upheld"
    with pytest.raises(InvalidInput, match="已处理"):
        services.decide_appeal(actor=supervisor, appeal=appeal, upheld=False, note="x")


def _rate(department, levels, excluded=(), rectified=0):
    made = []
    for index, level in enumerate(levels):
        rating = Rating.objects.create(
            department=department,
            region_code=department.region.code,
            channel="online",
            level=level,
            excluded=index in excluded,
        )
        if level <= 2:
            status = "rectified" if rectified > 0 else "open"
            rectified -= 1 if status == "rectified" else 0
            Rectification.objects.create(
                rating=rating,
                department=department,
                status=status,
                callback_due=D(2026, 11, 23),
                rectify_due=D(2026, 12, 11),
            )
        made.append(rating)
    return made


@pytest.mark.django_db
def test_ranking_figures_worked_out_by_hand():
    a = DepartmentFactory(name="甲局", region=region_chain("511602"))
    b = DepartmentFactory(name="乙局", region=region_chain("511603"))
    c = DepartmentFactory(name="丙局", region=region_chain("511621"))
    d = DepartmentFactory(name="丁局", region=region_chain("330106"))
    _rate(a, [5, 5, 4, 3, 1], rectified=1)  # 4 good of 5 = 0.8; 1 bad = 0.2; mean 18/5 = 3.6; 1/1 rectified
    _rate(b, [5, 4, 1], excluded={2})  # the 1 is excluded: 2 of 2 good = 1.0; mean 4.5; no bad ratings
    _rate(c, [4, 3, 2, 2])  # 2 of 4 = 0.5; bad 0.5; mean 11/4 = 2.75; 0 of 2 rectified
    _rate(d, [5])  # another province: not in the 广安市 ranking
    fa = selectors.department_figures(a)
    assert (fa.total, fa.satisfaction_rate, fa.bad_rate, fa.average, fa.rectification_rate) == (
        5,
        0.8,
        0.2,
        3.6,
        1.0,
    )
    assert fa.distribution == {5: 2, 4: 1, 3: 1, 2: 0, 1: 1}
    fb = selectors.department_figures(b)
    assert (fb.total, fb.satisfaction_rate, fb.bad_rate, fb.average, fb.rectification_rate) == (
        2,
        1.0,
        0.0,
        4.5,
        None,
    )
    fc = selectors.department_figures(c)
    assert (fc.total, fc.satisfaction_rate, fc.bad_rate, fc.average, fc.rectification_rate) == (
        4,
        0.5,
        0.5,
        2.75,
        0.0,
    )
    rows = selectors.ranking(region_code="5116")
    assert [(r.rank, r.department.name) for r in rows] == [(1, "乙局"), (2, "甲局"), (3, "丙局")]
    # 乙 and 丁 tie on both rates; 乙 has more ratings, so it comes first.
    assert [r.department.name for r in selectors.ranking()] == ["乙局", "丁局", "甲局", "丙局"]
