"""Never ask twice (materials by sharing), staff reads under a case, and the person's side:
谁用了我的数据, export, reporting a read, 数据纠错."""

import json

import pytest
from django.urls import reverse

from tests.cases.conftest import fill
from tests.factories import MaterialRequirementFactory, PublishedItemFactory, login_verified
from tongban.cases import services as cases
from tongban.certificates import seals
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity.models import StaffMembership, StaffRole
from tongban.registries.models import DataAccessLog
from tongban.sharing import services, signing
from tongban.sharing.models import DataDispute, ReadReport, SharedMaterial


@pytest.fixture
def item(world):
    item = PublishedItemFactory(
        name="社会保险登记", department=world.consumer, legal_limit=20, promised_limit=10
    )
    material = MaterialRequirementFactory(item=item, name="申请人居民身份证")
    SharedMaterial.objects.create(requirement=material, resource=world.population, fields=["name", "address"])
    item.material = material
    return item


def _citizen(world):
    world.citizen.mobile = "13900000001"
    world.citizen.save()
    return world.citizen


def test_without_a_grant_the_material_is_asked(world, item):
    draft = cases.start_application(user=_citizen(world), item=item)
    assert cases.missing_materials(draft) == [item.material]
    assert not draft.attachments.exists()
    assert not DataAccessLog.objects.filter(channel="material").exists()


def test_with_a_grant_the_material_is_fetched_not_asked(world, item, granted):
    citizen = _citizen(world)
    draft = cases.start_application(user=citizen, item=item)
    assert cases.missing_materials(draft) == []
    attachment = draft.attachments.get()
    assert "共享获取" in attachment.display_name and world.police.name in attachment.display_name
    document = attachment.file.read()
    key = seals.active_key(world.police)
    payload = signing.verify_response(document, seals.public_key_bytes(key), algorithm=key.algorithm)
    assert payload["records"] == [{"name": "张三", "address": "四川省广安市广安区中心街1号"}]
    log = DataAccessLog.objects.get(channel="material")
    assert log.department == world.consumer and log.grant_code == granted.code
    assert "社会保险登记" in log.purpose
    cases.save_draft(user=citizen, application=draft, data=fill(draft))
    case = cases.submit_application(user=citizen, application=draft)
    assert case.application.attachments.filter(requirement=item.material).exists()


def test_a_revoked_grant_means_asking_again(world, item, granted):
    services.revoke_grant(actor=world.provider_admin, grant=granted, reason="到期前收回")
    draft = cases.start_application(user=_citizen(world), item=item)
    assert cases.missing_materials(draft) == [item.material]


def test_a_grant_for_other_fields_does_not_cover_the_material(world, item, granted):
    SharedMaterial.objects.filter(requirement=item.material).update(fields=["name", "birth_date"])
    draft = cases.start_application(user=_citizen(world), item=item)
    assert cases.missing_materials(draft) == [item.material]


@pytest.fixture
def case(world, item, granted):
    citizen = _citizen(world)
    draft = cases.start_application(user=citizen, item=item)
    cases.save_draft(user=citizen, application=draft, data=fill(draft))
    return cases.submit_application(user=citizen, application=draft)


@pytest.fixture
def intake(world):
    from tests.factories import StaffUserFactory

    user = StaffUserFactory(real_name="受理员甲")
    StaffMembership.objects.create(user=user, department=world.consumer, role=StaffRole.INTAKE)
    return user


def test_staff_opening_a_case_is_shown_to_the_person(client, world, case, intake):
    login_verified(client, intake)
    assert client.get(reverse("cases:staff_case", args=[case.number])).status_code == 200
    log = DataAccessLog.objects.get(channel="case")
    assert (log.case_number, log.department, log.accessor, log.purpose) == (
        case.number,
        world.consumer,
        intake,
        "办理办件",
    )
    assert log.subject_id_number == world.citizen.id_number
    client.logout()
    client.force_login(world.citizen)
    page = client.get(reverse("web:my_data_use")).content.decode()
    assert case.number in page and "受理员甲" in page and world.consumer.name in page and "办理办件" in page


def test_staff_reading_a_case_through_the_api_is_logged(client, world, case, intake):
    login_verified(client, intake)
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 200
    assert DataAccessLog.objects.filter(channel="case", case_number=case.number, accessor=intake).count() == 1


def test_the_applicant_reading_their_own_case_is_not_a_read_by_others(client, world, case):
    client.force_login(world.citizen)
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 200
    assert not DataAccessLog.objects.filter(channel="case").exists()


def test_export_marks_reads_without_a_case(client, world, granted):
    services.read_resource(
        world.consumer, world.population.code, world.person.id_number, ["name"], "资格复核"
    )
    client.force_login(world.citizen)
    response = client.get(reverse("sharing:export"))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "资格复核" in text and "（无办件）" in text and granted.code in text and "姓名" in text


def test_report_a_read_goes_to_supervisors(client, world, granted):
    services.read_resource(
        world.consumer, world.population.code, world.person.id_number, ["name"], "资格复核"
    )
    log = DataAccessLog.objects.get()
    with pytest.raises(InvalidInput):
        services.report_read(actor=world.citizen, access_id=log.pk, reason=" ")
    with pytest.raises(NotFound):
        services.report_read(actor=world.admin, access_id=log.pk, reason="不是我")
    client.force_login(world.citizen)
    response = client.post(reverse("sharing:report", args=[log.pk]), {"reason": "我没有办理这项业务"})
    assert response.status_code == 302
    report = ReadReport.objects.get()
    assert report.reporter == world.citizen and report.due_on > log.created_at.date()
    with pytest.raises(PermissionDenied):
        services.answer_report(actor=world.admin, report=report, answer="x")
    services.answer_report(actor=world.supervisor, report=report, answer="经核查，系资格复核正常使用。")
    report.refresh_from_db()
    assert report.status == "answered"
    page = client.get(reverse("sharing:report", args=[log.pk])).content.decode()
    assert "经核查" in page


def test_another_person_cannot_see_or_report_my_reads(client, world, granted):
    from tests.factories import UserFactory

    services.read_resource(
        world.consumer, world.population.code, world.person.id_number, ["name"], "资格复核"
    )
    log = DataAccessLog.objects.get()
    client.force_login(UserFactory(id_number="110101199003070011", real_name="李四"))
    assert client.get(reverse("sharing:report", args=[log.pk])).status_code == 404
    assert client.post(reverse("sharing:report", args=[log.pk]), {"reason": "x"}).status_code == 404
    assert not ReadReport.objects.exists()


def test_dispute_goes_to_the_provider_and_its_outcome_is_shown(client, world):
    client.force_login(world.citizen)
    response = client.post(
        reverse("sharing:disputes"),
        {
            "target": f"{world.population.code}|address",
            "claimed_value": "广安区新街 8 号",
            "reason": "已搬家",
        },
    )
    assert response.status_code == 302
    dispute = DataDispute.objects.get()
    assert dispute.provider == world.police and dispute.subject_number == world.citizen.id_number
    with pytest.raises(PermissionDenied):
        services.decide_dispute(actor=world.admin, dispute=dispute, corrected=True, outcome="x")
    with pytest.raises(InvalidInput):
        services.decide_dispute(actor=world.provider_admin, dispute=dispute, corrected=True, outcome="")
    services.decide_dispute(
        actor=world.provider_admin, dispute=dispute, corrected=True, outcome="已按户籍档案更正"
    )
    page = client.get(reverse("sharing:disputes")).content.decode()
    assert "已按户籍档案更正" in page and "已更正" in page


def test_dispute_refusals(world):
    with pytest.raises(InvalidInput):
        services.dispute_value(
            actor=world.citizen, resource=world.population, field_name="photo", claimed_value="x"
        )
    with pytest.raises(InvalidInput):
        services.dispute_value(
            actor=world.citizen, resource=world.population, field_name="address", claimed_value=""
        )
    with pytest.raises(PermissionDenied):
        services.dispute_value(
            actor=world.admin, resource=world.population, field_name="address", claimed_value="x"
        )
    assert not DataDispute.objects.exists()


def test_staff_desk_decides_and_revokes(client, world):
    request = services.request_sharing(
        actor=world.admin,
        resource=world.population,
        consumer=world.consumer,
        fields=["name"],
        purpose="核验",
        legal_basis="依据",
        valid_until=world.until,
    )
    login_verified(client, world.provider_admin)
    assert client.post(reverse("sharing:decide", args=[request.pk]), {"decision": "grant"}).status_code == 302
    request.refresh_from_db()
    grant = request.grant
    assert client.post(reverse("sharing:revoke", args=[grant.pk]), {"reason": "收回"}).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    client.logout()
    login_verified(client, world.admin)
    other = services.request_sharing(
        actor=world.admin,
        resource=world.population,
        consumer=world.consumer,
        fields=["name"],
        purpose="核验",
        legal_basis="依据",
        valid_until=world.until,
    )
    assert client.post(reverse("sharing:decide", args=[other.pk]), {"decision": "grant"}).status_code == 404


def test_request_through_the_page(client, world):
    login_verified(client, world.admin)
    url = reverse("sharing:resource", args=[world.population.code])
    page = client.get(url).content.decode()
    assert "申请共享" in page
    bad = client.post(
        reverse("sharing:request", args=[world.population.code]),
        {
            "consumer": world.consumer.pk,
            "fields": ["name"],
            "purpose": "",
            "legal_basis": "x",
            "valid_until": "2099-01-01",
        },
    )
    assert bad.status_code == 400 and "请填写用途" in bad.content.decode()
    ok = client.post(
        reverse("sharing:request", args=[world.population.code]),
        {
            "consumer": world.consumer.pk,
            "fields": ["name"],
            "purpose": "核验",
            "legal_basis": "x",
            "valid_until": "2099-01-01",
        },
    )
    assert ok.status_code == 302


def test_catalogue_pages_are_public(client, world):
    assert world.population.name in client.get(reverse("sharing:catalogue")).content.decode()
    page = client.get(reverse("sharing:resource", args=[world.population.code])).content.decode()
    assert "户籍地址" in page and "有条件共享" in page and "申请共享" not in page


def test_exchange_payload_is_json(world, granted):
    read = services.read_resource(
        world.consumer, world.population.code, world.person.id_number, ["name"], "核验"
    )
    assert json.dumps(read.records, ensure_ascii=False) == '[{"name": "张三"}]'


def test_exemption_rate_counts_materials_that_come_by_sharing(client, world, item):
    from tongban.sharing import selectors

    MaterialRequirementFactory(item=item, name="社会保险登记申请表")  # the online form itself
    MaterialRequirementFactory(item=item, name="劳动合同")
    assert selectors.exemption_rates([world.consumer])["exempt"] == 0
    services.request_sharing(
        actor=world.admin,
        resource=world.population,
        consumer=world.consumer,
        fields=["name", "address"],
        purpose="核验",
        legal_basis="依据",
        valid_until=world.until,
    )
    services.decide_request(actor=world.provider_admin, request=world.population.requests.get(), grant=True)
    rates = selectors.exemption_rates([world.consumer])
    assert (rates["total"], rates["exempt"]) == (2, 1)
    assert [(r["item"], r["shared"], r["required"]) for r in rates["rows"]] == [(item, 1, 2)]
    login_verified(client, world.admin)
    page = client.get(reverse("sharing:staff")).content.decode()
    assert "材料免提交率" in page and "50%" in page
