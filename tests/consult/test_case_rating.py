"""One rating path with 好差评: rating the answer to a request about one's own ended case is that
case's rating (through ratings' services), once; a case already rated keeps its rating."""

import pytest

from tests.cases.conftest import citizen, staff
from tests.cases.test_audit_last import _concluded
from tests.factories import (
    DepartmentFactory,
    MaterialRequirementFactory,
    PublishedItemFactory,
    StaffUserFactory,
    region_chain,
)
from tongban.consult import services
from tongban.consult.models import Centre
from tongban.identity.models import StaffMembership
from tongban.ratings.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(db):
    """The cases tests' world (tests/cases/conftest.py) with a concluded case, and a centre."""
    department = DepartmentFactory(name="区行政审批局")
    item = PublishedItemFactory(name="食品经营许可", department=department, legal_limit=20, promised_limit=10)
    case_world = {
        "department": department,
        "item": item,
        "material": MaterialRequirementFactory(item=item, name="营业执照复印件"),
        "applicant": citizen("张三"),
        "other": citizen("李四"),
        "intake": staff(department, "intake", name="受理员"),
        "reviewer": staff(department, "review", name="审查员"),
        "decider": staff(department, "decide", name="决定人"),
        "issuer": staff(department, "issue", name="制证员"),
    }
    city = region_chain("5116")
    centre = Centre.objects.create(department=DepartmentFactory(name="12345中心", region=city), region=city)
    operator = StaffUserFactory(username="op")
    StaffMembership.objects.create(user=operator, department=centre.department, role="intake")
    case = _concluded(case_world)
    return case_world, operator, case


def _answered_about(w, operator, case):
    p = services.submit(
        user=w["applicant"], kind="complain", title="办件太慢", body="办了很久才办结。", case=case
    )
    assert p.item == case.item and p.about_department == case.department
    services.dispatch(actor=operator, petition=p, department=case.department)
    services.accept(actor=w["intake"], petition=p)
    services.answer(actor=w["intake"], petition=p, text="已说明原因并致歉。")
    p.refresh_from_db()
    return p


def test_rating_the_answer_is_the_case_rating_once(loop):
    w, operator, case = loop
    p = _answered_about(w, operator, case)
    services.rate(user=w["applicant"], petition=p, satisfaction="dissatisfied", comment="还是太慢。")
    rating = Rating.objects.get(case=case)
    assert rating.level == 2 and rating.comment == "还是太慢。"
    assert rating.rectification is not None  # 差评 opens its follow-up in ratings
    services.answer(actor=w["intake"], petition=p, text="已重新说明。")
    services.rate(user=w["applicant"], petition=p, satisfaction="satisfied")
    assert Rating.objects.filter(case=case).count() == 1


def test_only_ones_own_case(loop):
    w, operator, case = loop
    from tongban.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="本人的办件"):
        services.submit(
            user=w["other"], kind="complain", title="别人的办件", body="不是我的办件。", case=case
        )
