import pytest

from tests.cases.conftest import citizen
from tests.factories import DepartmentFactory, PublishedItemFactory
from tests.identity.factories import PopulationRecordFactory, enterprise_for, grant
from tongban.catalog.models import ServiceItem
from tongban.certificates import identifiers, services
from tongban.certificates.models import Certificate, CertificateType
from tongban.certificates.schemas import ENTERPRISE_PROOF, HOUSEHOLD_PROOF
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.identity.actors import Actor
from tongban.registries.models import DataAccessLog, PopulationRecord

pytestmark = pytest.mark.django_db


def proof_item(name, source, schema, code, department=None, **item):
    department = department or DepartmentFactory(name=f"{name}出具机关")
    item = PublishedItemFactory(
        name=name,
        department=department,
        item_type="20",
        result_type=ServiceItem.ResultType.PROOF,
        promised_limit=0,
        case_kind="1",
        **item,
    )
    ctype = CertificateType.objects.create(
        name=name,
        code=code,
        department=department,
        holder_kind="enterprise" if source == "enterprise" else "person",
        field_schema=schema,
        validity=CertificateType.Validity.DAYS,
        validity_count=90,
        template=CertificateType.Template.PROOF,
        registry_source=source,
    )
    ctype.issued_by_items.add(item)
    return item


@pytest.fixture
def household():
    return proof_item("户籍证明", "population", HOUSEHOLD_PROOF, "11100000000000101")


@pytest.fixture
def person():
    user = citizen("陈静")
    PopulationRecordFactory(name="陈静", id_number=user.id_number, address="广安区建设路 8 号")
    return user


def test_household_proof_is_issued_from_the_population_registry_in_one_step(household, person):
    certificate = services.issue_online_proof(actor=Actor(person), item=household)
    assert certificate.origin == Certificate.Origin.PROOF and certificate.item == household
    assert identifiers.is_valid(certificate.identifier)
    assert certificate.fields["name"] == "陈静" and certificate.fields["address"] == "广安区建设路 8 号"
    assert certificate.fields["region"] == "四川省广安市广安区" and certificate.fields["status"] == "正常"
    assert (certificate.valid_until - certificate.valid_from).days == 89
    log = DataAccessLog.objects.get(subject_id_number=person.id_number)
    assert (
        log.purpose == "网上开具户籍证明"
        and log.accessor == person
        and log.department == household.department
    )


def test_household_proof_refusals(household, person):
    from tests.identity.factories import CitizenFactory

    with pytest.raises(PermissionDenied, match="实名核验"):
        services.issue_online_proof(actor=Actor(CitizenFactory()), item=household)
    nobody = citizen("无户籍")
    with pytest.raises(InvalidInput, match="人口库中没有"):
        services.issue_online_proof(actor=Actor(nobody), item=household)
    assert DataAccessLog.objects.filter(subject_id_number=nobody.id_number, found=False).count() == 1
    PopulationRecord.objects.filter(id_number=person.id_number).update(status="migrated")
    with pytest.raises(InvalidInput, match="已迁出"):
        services.issue_online_proof(actor=Actor(person), item=household)
    ordinary = PublishedItemFactory()
    with pytest.raises(NotFound):
        services.issue_online_proof(actor=Actor(person), item=ordinary)
    assert not Certificate.objects.exists()


def test_enterprise_registration_proof_through_an_agent(person):
    item = proof_item(
        "企业登记证明", "enterprise", ENTERPRISE_PROOF, "11100000000000102", service_objects=["2"]
    )
    rep = citizen("李建国")
    enterprise = enterprise_for(rep)
    agent = citizen("王丽")
    with pytest.raises(InvalidInput, match="企业身份"):
        services.issue_online_proof(actor=Actor(agent), item=item)
    with pytest.raises(PermissionDenied):
        services.issue_online_proof(actor=Actor(agent, enterprise), item=item)
    grant(enterprise, agent, all_items=True)
    certificate = services.issue_online_proof(actor=Actor(agent, enterprise), item=item)
    assert certificate.holder_enterprise == enterprise and certificate.holder_number == enterprise.uscc
    assert certificate.fields["uscc"] == enterprise.uscc and certificate.fields["status"] == "存续"
    assert certificate.fields["legal_rep_name"] == "李建国"
    log = DataAccessLog.objects.get(enterprise__uscc=enterprise.uscc)
    assert log.purpose == "网上开具企业登记证明" and log.accessor == agent


def test_proof_pages_and_api(client, household, person):
    assert "户籍证明" in client.get("/proofs/").content.decode()
    client.force_login(person)
    assert "立即开具" in client.get(f"/proofs/{household.code}/").content.decode()
    response = client.post(f"/proofs/{household.code}/")
    certificate = Certificate.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/my/certificates/{certificate.identifier}/"
    )
    made = client.post(f"/api/v1/proofs/{household.code}")
    assert made.status_code == 201 and made.json()["type"]["name"] == "户籍证明"
    assert made.json()["status"] == "valid"
    assert client.post("/api/v1/proofs/no-such-item").status_code == 404
    assert client.get(f"/proofs/{PublishedItemFactory().code}/").status_code == 404
    assert Certificate.objects.count() == 2
