"""跨域通办: an item marked 跨域通办 is taken in at a window of another region (异地代收代办)
and decided by its competent department, or applied for online from anywhere; the receiving
office follows status and history only; the mode and the delivery are recorded and counted."""

import pytest
from django.urls import reverse
from stdnum.cn import ric

from tests.cases.conftest import citizen, fill, make_id_number, pdf_upload, staff
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified, region_chain
from tests.identity.factories import PopulationRecordFactory
from tongban.cases import crossregion, services
from tongban.cases.models import Application, Case
from tongban.cases.services import crossregion as rules
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity.models import ActionRecord
from tongban.registries.models import DataAccessLog


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def cross(world):
    """The world's item (region 511602) marked 跨域通办, a receiving window in 511603."""
    world["item"].cross_region = True
    world["item"].save()
    receiving = DepartmentFactory(name="前锋区人力资源和社会保障局", region=region_chain("511603", "前锋区"))
    world["receiving"] = receiving
    world["clerk"] = staff(receiving, "intake", name="前锋受理员")
    world["local_item"] = PublishedItemFactory(name="本地事项", department=world["department"])
    world["person"] = PopulationRecordFactory(name="周九", id_number=make_id_number(977))
    return world


def received_draft(w, *, post: bool = False) -> Application:
    person = services.counter_applicant(
        staff=w["clerk"], id_number=w["person"].id_number, department=w["receiving"]
    )
    application = services.start_window_application(
        staff=w["clerk"],
        item=w["item"],
        applicant=person,
        receiving_department=w["receiving"],
        originals_checked=True,
    )
    data = fill(application) | {"mobile": "13912340000"}
    services.save_draft(user=w["clerk"], application=application, data=data, step=2)
    services.attach_file(
        user=w["clerk"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    if post:
        rules.choose_delivery(
            user=w["clerk"],
            application=application,
            delivery="post",
            address="四川省成都市武侯区人民南路 4 段 1 号 周九 13912340000",
        )
    application.refresh_from_db()
    return application


def test_cross_region_routing_and_the_receiving_office(client, cross):
    """Must show: a clerk of 511603 takes in an item of 511602; the case goes to 511602's
    intake queue, records the receiving office, and the competent department decides."""
    w = cross
    login_verified(client, w["clerk"])
    page = text(client.get(reverse("cases:crossregion_receive")))
    assert w["item"].name in page and w["local_item"].name not in page  # only 跨域通办 items
    response = client.post(
        reverse("cases:crossregion_receive"),
        {
            "item": w["item"].pk,
            "id_number": w["person"].id_number,
            "department": w["receiving"].pk,
            "originals_checked": "1",
        },
    )
    assert response.status_code == 302
    application = Application.objects.get(applicant__id_number=w["person"].id_number)
    assert application.receiving_department == w["receiving"] and application.created_by == w["clerk"]
    assert (
        ActionRecord.objects.filter(action="cases.crossregion_receive", department=w["receiving"]).count()
        == 1
    )
    services.save_draft(
        user=w["clerk"], application=application, data=fill(application) | {"mobile": "13912340000"}
    )
    services.attach_file(
        user=w["clerk"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    check = reverse("cases:apply_check", args=[application.public_id])
    page = text(client.get(check))
    assert "提交并转交主管部门" in page and "提交并当场受理" not in page and "邮寄送达" in page
    response = client.post(
        check,
        {
            "idempotency_key": "x" * 32,
            "action": "receive",
            "delivery": "post",
            "delivery_address": "四川省广安市前锋区奎阁街道 1 号 周九",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(application=application)
    # routed to the competent department, waiting for its intake, not accepted by region B
    assert case.department == w["department"] and case.region_code == "511602"
    assert case.status == Case.Status.PENDING_INTAKE and case.accepted_at is None
    assert case.handling_mode == Case.HandlingMode.PROXY
    assert case.receiving_department == w["receiving"] and case.receiving_region_code == "511603"
    assert case.delivery == "post" and "奎阁街道" in case.delivery_address
    event = case.events.get()
    assert event.title == "异地代收代办收件" and "前锋区人力资源和社会保障局" in event.opinion
    done = text(client.get(reverse("cases:apply_done", args=[application.public_id])))
    assert reverse("cases:crossregion_received_case", args=[case.number]) in done
    assert "继续异地代收" in done and "继续窗口受理" not in done
    # the competent department sees it in its queue, with the receiving office and the post address
    login_verified(client, w["intake"])
    assert case.number in text(client.get(reverse("cases:staff_queue")))
    staff_page = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert (
        "异地代收代办" in staff_page
        and "前锋区人力资源和社会保障局" in staff_page
        and "奎阁街道" in staff_page
    )
    # and decides as usual
    case = services.accept_case(actor=w["intake"], case=case)
    case = services.review_case(actor=w["reviewer"], case=case, opinion="材料齐全。")
    case = services.decide_case(actor=w["decider"], case=case, grant=True, reason="符合条件。")
    staff_page = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert "办结后请将结果邮寄至上述地址" in staff_page  # shown at conclusion
    services.conclude_case(actor=w["issuer"], case=case, result=Case.Result.ISSUED)
    # the receiving office sees status and history, not the form data nor the tools
    login_verified(client, w["clerk"])
    listing = text(client.get(reverse("cases:crossregion_received")))
    assert case.number in listing and "已办结" in listing
    detail = text(client.get(reverse("cases:crossregion_received_case", args=[case.number])))
    assert "已办结" in detail and "异地代收代办收件" in detail and "13912340000" not in detail
    assert "建设路 1 号" not in detail  # the form's address stays with the competent department
    assert client.get(reverse("cases:staff_case", args=[case.number])).status_code == 404
    assert (
        client.post(reverse("cases:staff_act", args=[case.number]), {"action": "accept"}).status_code == 404
    )
    attachment = case.application.attachments.first()
    assert client.get(reverse("cases:file", args=[attachment.public_id])).status_code == 404


def test_the_receiving_office_cannot_accept_or_act_for_the_competent_department(cross):
    w = cross
    case = services.submit_at_window(staff=w["clerk"], application=received_draft(w))
    assert case.status == Case.Status.PENDING_INTAKE  # submit_at_window never accepts for region A
    with pytest.raises(NotFound):
        services.accept_case(actor=w["clerk"], case=case)
    with pytest.raises(NotFound):
        services.claim_case(actor=w["clerk"], case=case)
    assert Case.objects.get(pk=case.pk).status == Case.Status.PENDING_INTAKE


def test_others_do_not_see_received_cases(client, cross):
    w = cross
    case = services.submit_at_window(staff=w["clerk"], application=received_draft(w))
    stranger = staff(DepartmentFactory(region=region_chain("511603", "前锋区")), "intake")
    assert list(crossregion.received_cases(stranger)) == []
    login_verified(client, stranger)
    assert client.get(reverse("cases:crossregion_received_case", args=[case.number])).status_code == 404
    # the competent department uses its own case page, not the receiving office's
    login_verified(client, w["intake"])
    assert client.get(reverse("cases:crossregion_received_case", args=[case.number])).status_code == 404


def test_refused_when_the_item_is_not_cross_region(client, cross):
    w = cross
    w["item"].cross_region = False
    w["item"].save()
    before = (Application.objects.count(), DataAccessLog.objects.count(), ActionRecord.objects.count())
    with pytest.raises(InvalidInput, match="未开通跨域通办"):
        services.start_window_application(
            staff=w["clerk"],
            item=w["item"],
            applicant=w["applicant"],
            receiving_department=w["receiving"],
            originals_checked=True,
        )
    login_verified(client, w["clerk"])
    response = client.post(
        reverse("cases:crossregion_receive"),
        {
            "item": w["item"].pk,
            "id_number": w["person"].id_number,
            "department": w["receiving"].pk,
            "originals_checked": "1",
        },
    )
    assert response.status_code == 400 and "该事项未开通跨域通办" in text(response)
    assert (
        Application.objects.count(),
        DataAccessLog.objects.count(),
        ActionRecord.objects.count(),
    ) == before


def test_refusals_of_the_receiving_window(client, cross):
    w = cross
    login_verified(client, w["clerk"])
    url = reverse("cases:crossregion_receive")
    base = {"item": w["item"].pk, "id_number": w["person"].id_number, "department": w["receiving"].pk}
    response = client.post(url, base)  # originals not ticked
    assert response.status_code == 400 and "核验申请人身份证件和申请材料原件" in text(response)
    # an item of the clerk's own region: the ordinary window
    own = PublishedItemFactory(department=w["receiving"], cross_region=True)
    response = client.post(url, base | {"item": own.pk, "originals_checked": "1"})
    assert response.status_code == 400 and "请通过“窗口受理”办理" in text(response)
    assert not Application.objects.exists() and not DataAccessLog.objects.exists()
    # a clerk cannot name another department as receiving office
    with pytest.raises(PermissionDenied):
        services.start_window_application(
            staff=w["clerk"],
            item=w["item"],
            applicant=w["applicant"],
            receiving_department=DepartmentFactory(),
            originals_checked=True,
        )
    # nor take in at the ordinary window an item of region A
    with pytest.raises(PermissionDenied):
        services.start_window_application(staff=w["clerk"], item=w["item"], applicant=w["applicant"])


def test_staff_without_the_window_role_get_404_and_are_refused(client, cross):
    w = cross
    reviewer = staff(w["receiving"], "review")
    login_verified(client, reviewer)
    assert client.get(reverse("cases:crossregion_receive")).status_code == 404
    assert client.post(reverse("cases:crossregion_receive"), {"item": w["item"].pk}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.start_window_application(
            staff=reviewer,
            item=w["item"],
            applicant=w["applicant"],
            receiving_department=w["receiving"],
            originals_checked=True,
        )
    assert not Application.objects.exists()
    # and a citizen gets nothing of it either
    login_verified(client, w["applicant"])
    assert client.get(reverse("cases:crossregion_received")).status_code in (302, 403, 404)


def test_a_receiving_clerk_who_lost_the_role_cannot_submit(cross):
    w = cross
    application = received_draft(w)
    w["clerk"].memberships.all().delete()
    w["clerk"] = type(w["clerk"]).objects.get(pk=w["clerk"].pk)
    with pytest.raises(PermissionDenied):
        services.submit_at_window(staff=w["clerk"], application=application)
    assert not Case.objects.exists()


def test_online_from_another_region_is_not_refused_and_records_full_online(client, cross):
    w = cross
    outsider = citizen("外省人")
    body = "11010119900307451"  # registered in 北京
    outsider.id_number = body + ric.calc_check_digit(body + "0")
    outsider.save()
    application = services.start_application(user=outsider, item=w["item"])
    services.save_draft(user=outsider, application=application, data=fill(application), step=1)
    services.attach_file(
        user=outsider, application=application, requirement=w["material"], upload=pdf_upload()
    )
    login_verified(client, outsider)
    check = reverse("cases:apply_check", args=[application.public_id])
    page = text(client.get(check))
    assert "办理结果送达方式" in page
    response = client.post(check, {"idempotency_key": "o" * 32, "delivery": "post", "delivery_address": "短"})
    assert response.status_code == 400 and "完整的邮寄地址" in text(response)
    assert not Case.objects.exists()
    client.post(check, {"idempotency_key": "o" * 32, "delivery": "online"})
    case = Case.objects.get(application=application)
    assert case.handling_mode == Case.HandlingMode.ONLINE and case.delivery == "online"
    assert case.receiving_department is None and case.department == w["department"]
    mine = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert "全程网办" in mine


def test_local_items_record_nothing(cross):
    w = cross
    application = services.start_application(user=w["applicant"], item=w["local_item"])
    with pytest.raises(InvalidInput, match="未开通跨域通办"):
        rules.choose_delivery(
            user=w["applicant"], application=application, delivery="post", address="四川省广安市建设路 1 号"
        )
    services.save_draft(user=w["applicant"], application=application, data=fill(application))
    case = services.submit_application(user=w["applicant"], application=application)
    assert case.handling_mode == Case.HandlingMode.LOCAL and case.delivery == "online"


def test_the_mode_is_recorded_and_counted(cross):
    w = cross
    services.submit_at_window(staff=w["clerk"], application=received_draft(w))
    online = services.start_application(user=w["applicant"], item=w["item"])
    services.save_draft(user=w["applicant"], application=online, data=fill(online))
    services.attach_file(
        user=w["applicant"], application=online, requirement=w["material"], upload=pdf_upload()
    )
    services.submit_application(user=w["applicant"], application=online)
    local = services.start_application(user=w["other"], item=w["local_item"])
    services.save_draft(user=w["other"], application=local, data=fill(local))
    services.submit_application(user=w["other"], application=local)
    rows = crossregion.handling_mode_counts(region_code="5116")
    assert {(r["region_code"], r["handling_mode"], r["n"]) for r in rows} == {
        ("511602", "", 1),
        ("511602", "online", 1),
        ("511602", "proxy", 1),
    }
    by_receiver = crossregion.handling_mode_counts(by=("receiving_region_code", "handling_mode"))
    assert {"receiving_region_code": "511603", "handling_mode": "proxy", "n": 1} in by_receiver
    assert crossregion.handling_mode_counts(region_code="511603") == []
    assert (
        crossregion.handling_mode_counts(department_ids=[w["department"].pk], by=("handling_mode",))[-1]["n"]
        == 1
    )
    with pytest.raises(ValueError):
        crossregion.handling_mode_counts(by=("applicant_name",))


@pytest.mark.parametrize("path", ["receive", "submit received"])
def test_the_audit_append_is_the_last_write_of_the_receiving_paths(cross, path):
    from tests.cases.audit_last import check_audit_last, transactions

    w = cross
    if path == "receive":
        with transactions() as found:
            services.start_window_application(
                staff=w["clerk"],
                item=w["item"],
                applicant=w["applicant"],
                receiving_department=w["receiving"],
                originals_checked=True,
            )
    else:
        application = received_draft(w, post=True)
        with transactions() as found:
            services.submit_at_window(staff=w["clerk"], application=application)
    check_audit_last(found)
