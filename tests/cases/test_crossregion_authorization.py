"""跨域通办: the receiving office's page of a case it took in, in the shared authorization table
(tests/identity/test_authorization.py). The world's department (county 511602) receives at its
window a case of a cross-region item of 前锋区 (511603); the page is the receiving office's
(``intake``). Another county's staff, citizens (the applicant has their own case page) and
anonymous visitors are refused."""

from typing import Any

from django.urls import reverse

from tests.cases.conftest import fill, make_id_number, pdf_upload
from tests.factories import DepartmentFactory, MaterialRequirementFactory, PublishedItemFactory, region_chain
from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test
from tests.identity.factories import PopulationRecordFactory

ITEM = "跨域社保关系转移"


def _received(w: World) -> Any:
    """A case the world's window received for a cross-region item of another county."""
    if "_received_case" not in w.__dict__:
        from tongban.cases import services

        competent = DepartmentFactory(
            name="前锋区人力资源和社会保障局", region=region_chain("511603", "前锋区")
        )
        item = PublishedItemFactory(name=ITEM, department=competent, cross_region=True)
        material = MaterialRequirementFactory(item=item, name="身份证")
        record = PopulationRecordFactory(name="周九", id_number=make_id_number(978))
        person = services.counter_applicant(
            staff=w.intake, id_number=record.id_number, department=w.department
        )
        application = services.start_window_application(
            staff=w.intake,
            item=item,
            applicant=person,
            receiving_department=w.department,
            originals_checked=True,
        )
        data = fill(application) | {"mobile": "13912340000"}
        services.save_draft(user=w.intake, application=application, data=data, step=2)
        services.attach_file(
            user=w.intake, application=application, requirement=material, upload=pdf_upload()
        )
        application.refresh_from_db()
        w.__dict__["_received_case"] = services.submit_at_window(staff=w.intake, application=application)
    return w.__dict__["_received_case"]


ROWS = [
    ObjectURL(
        "page: case received for another county",
        "get",
        lambda w: reverse("cases:crossregion_received_case", args=[_received(w).number]),
        "intake",
        shows=lambda w: ITEM,
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
