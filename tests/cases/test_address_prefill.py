"""The registered address is filled in when applying starts, so it is not asked again
(国务院令第716号 第7条); it stays editable, and the registry read is logged with its purpose."""

import pytest
from django.urls import reverse

from tests.cases.conftest import citizen
from tests.factories import PublishedItemFactory
from tests.identity.factories import EnterpriseRecordFactory, PopulationRecordFactory
from tongban.cases import services
from tongban.cases.models import Application
from tongban.identity.actors import SESSION_KEY
from tongban.identity.models import EnterpriseAccount
from tongban.registries.models import DataAccessLog


@pytest.fixture
def registered(world):
    person = world["applicant"]
    PopulationRecordFactory(id_number=person.id_number, name=person.real_name)
    return person


def test_online_applying_prefills_the_registered_address_and_logs_the_read(client, world, registered):
    client.force_login(registered)
    client.post(reverse("cases:apply", args=[world["item"].code]))
    application = Application.objects.get(applicant=registered)
    assert application.data["address"] == {"region": "511602", "detail": "建设路1号"}
    assert "address" not in services.prefilled_fields(application)  # editable, unlike name and ID
    log = DataAccessLog.objects.get(subject_id_number=registered.id_number)
    assert log.purpose == "在线申请时预填地址" and log.accessor == registered and log.found
    page = client.get(reverse("cases:apply_step", args=[application.public_id, 0])).content.decode()
    assert "已按登记信息预先填写" in page
    assert 'value="建设路1号"' in page
    assert 'value="511602" selected' in page


def test_the_applicant_can_change_the_prefilled_address(client, world, registered):
    client.force_login(registered)
    client.post(reverse("cases:apply", args=[world["item"].code]))
    application = Application.objects.get(applicant=registered)
    response = client.post(
        reverse("cases:apply_step", args=[application.public_id, 0]),
        {
            "address__province": "51",
            "address__city": "5116",
            "address__county": "511602",
            "address__detail": "滨河路 8 号",
            "action": "next",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data["address"]["detail"] == "滨河路 8 号"


def test_no_registry_record_means_no_address_and_no_error(client, world):
    person = citizen("无登记")
    client.force_login(person)
    client.post(reverse("cases:apply", args=[world["item"].code]))
    application = Application.objects.get(applicant=person)
    assert "address" not in application.data


def test_an_enterprise_item_prefills_the_enterprise_registered_address(client, world):
    rep = world["applicant"]
    record = EnterpriseRecordFactory(
        legal_rep_name=rep.real_name,
        legal_rep_id_number=rep.id_number,
        address="四川省广安市广安区商贸街 9 号",
    )
    enterprise = EnterpriseAccount.objects.create(
        record=record, name=record.name, uscc=record.uscc, legal_rep=rep
    )
    item = PublishedItemFactory(department=world["department"], service_objects=["2"])
    client.force_login(rep)
    session = client.session
    session[SESSION_KEY] = enterprise.pk
    session.save()
    client.post(reverse("cases:apply", args=[item.code]))
    application = Application.objects.get(applicant=rep, item=item)
    assert application.data["address"] == {"region": "511602", "detail": "商贸街 9 号"}
    assert DataAccessLog.objects.filter(enterprise=record, purpose="在线申请时预填地址").exists()


def test_window_intake_prefills_the_address_and_logs_the_clerk(world, registered):
    clerk = world["intake"]
    application = services.start_window_application(staff=clerk, item=world["item"], applicant=registered)
    assert application.data["address"] == {"region": "511602", "detail": "建设路1号"}
    log = DataAccessLog.objects.get(subject_id_number=registered.id_number)
    assert log.accessor == clerk and log.department == world["department"]


def test_a_registered_address_without_street_detail_is_not_prefilled(client, world):
    """The form refuses an address with no detail; prefilled, it blocked the agent's step 1."""
    rep = world["applicant"]
    record = EnterpriseRecordFactory(
        legal_rep_name=rep.real_name, legal_rep_id_number=rep.id_number, address="四川省广安市广安区"
    )
    enterprise = EnterpriseAccount.objects.create(
        record=record, name=record.name, uscc=record.uscc, legal_rep=rep
    )
    item = PublishedItemFactory(department=world["department"], service_objects=["2"])
    client.force_login(rep)
    session = client.session
    session[SESSION_KEY] = enterprise.pk
    session.save()
    client.post(reverse("cases:apply", args=[item.code]))
    application = Application.objects.get(applicant=rep, item=item)
    assert "address" not in application.data
    response = client.post(reverse("cases:apply_step", args=[application.public_id, 0]), {"action": "next"})
    assert response.status_code == 302
