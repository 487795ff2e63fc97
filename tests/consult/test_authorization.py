"""咨询投诉: every object URL in the shared authorization table (tests/identity/test_authorization.py).
Owners: the requester (status page, attachments, the API and the rating) and staff of the department
the request was dispatched to. The Open311 reads are public by design (no personal data, see
``PUBLIC_URLS``)."""

from typing import Any

from django.urls import reverse

from tests.cases.conftest import PDF, pdf_upload
from tests.factories import DepartmentFactory, region_chain
from tests.identity.authorization import ObjectURL, World, api_url, outsiders_test, owner_test
from tests.identity.factories import staff_in
from tongban.consult import services
from tongban.consult.models import Category, Centre
from tongban.identity.models import StaffRole

BODY = "窗口工作人员态度生硬，材料被退回三次。"


def _centre() -> Centre:
    """The city's 12345 centre (5116, above the world's county), which every request reaches first."""
    centre = Centre.objects.select_related("department").first()
    if centre is None:
        city = region_chain("5116")
        centre = Centre.objects.create(
            department=DepartmentFactory(name="12345热线中心", region=city), region=city
        )
    return centre


def _petition(w: World, *, answered: bool = False) -> Any:
    """The citizen's complaint with an attachment, dispatched to the world's department."""
    key = f"_petition_{answered}"
    if key not in w.__dict__:
        operator = staff_in(_centre().department, StaffRole.INTAKE)
        petition = services.submit(
            user=w.citizen,
            kind="complain",
            title="办事窗口服务态度",
            body=BODY,
            category=Category.objects.get(code="market"),
            region_code="511602",
            contact_phone="13900000009",
            attachments=[pdf_upload("现场照片.pdf")],
        )
        services.dispatch(actor=operator, petition=petition, department=w.department)
        if answered:
            services.accept(actor=w.staff, petition=petition)
            services.answer(actor=w.staff, petition=petition, text="已约谈窗口人员，材料一次性告知。")
        petition.refresh_from_db()
        w.__dict__[key] = petition
    return w.__dict__[key]


ROWS = [
    ObjectURL(
        "page: consult request",
        "get",
        lambda w: reverse("consult:status", args=[_petition(w).number]),
        "citizen",
        shows=lambda w: BODY,
    ),
    ObjectURL(
        "page: rate a consult answer",
        "post",
        lambda w: reverse("consult:status", args=[_petition(w, answered=True).number]),
        "citizen",
        data=lambda w: {"satisfaction": "satisfied"},
    ),
    ObjectURL(
        "page: consult attachment",
        "get",
        lambda w: reverse(
            "consult:attachment", args=[_petition(w).number, _petition(w).attachments.get().pk]
        ),
        "citizen",
        shows=lambda w: PDF,
    ),
    ObjectURL(
        "page: staff consult request",
        "get",
        lambda w: reverse("consult:staff_petition", args=[_petition(w).number]),
        "staff",
        shows=lambda w: BODY,
    ),
    ObjectURL(
        "page: accept a consult request",
        "post",
        lambda w: reverse("consult:staff_petition", args=[_petition(w).number]),
        "staff",
        data=lambda w: {"action": "accept"},
    ),
    ObjectURL(
        "api: consult request",
        "get",
        lambda w: api_url(f"/consult/requests/{_petition(w).number}"),
        "citizen",
        shows=lambda w: '"title": "办事窗口服务态度"',
    ),
    ObjectURL(
        "api: rate a consult answer",
        "post",
        lambda w: api_url(f"/consult/requests/{_petition(w, answered=True).number}/rating"),
        "citizen",
        data=lambda w: {"satisfaction": "satisfied"},
    ),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)


def test_open311_reads_of_a_citizens_request_carry_no_personal_data(client, db):
    """Open311 reads are public by number, so the description loses the requester's name and
    numbers (the status page itself stays the requester's)."""
    w = World()
    _centre()
    petition = services.submit(
        user=w.citizen,
        kind="complain",
        title="窗口排队太久",
        body="我是张三，电话 13900000009，身份证号 511602199001011234，等了两个小时。",
        region_code="511602",
        contact_phone="13900000009",
    )
    for url in (f"/open311/v2/requests/{petition.number}.json", "/open311/v2/requests.xml"):
        text = client.get(url).content.decode()
        assert petition.number in text and "等了两个小时" in text
        for personal in ("张三", "13900000009", "511602199001011234"):
            assert personal not in text, (url, personal)
