"""What `tongban demo` configures so that everything can be shown: certificate and proof types,
wallets, queues in every state, ratings, the journey items' own forms and processes, and guides
that promise only functions the platform has. Checked on the demo exactly as it is loaded."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

import tongban.demo as demo_steps
from tongban.cases import clock
from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.models import CaseKind, ServiceItem
from tongban.certificates import reuse
from tongban.certificates.models import Certificate, CertificateType, SealKey
from tongban.certificates.selectors import proof_items, verify_identifier
from tongban.certificates.services import issue_for_case, issue_online_proof
from tongban.demo import cases as demo_cases
from tongban.demo import configure
from tongban.demo.identity import DEMO_ENTERPRISE
from tongban.identity.actors import Actor
from tongban.identity.models import EnterpriseAccount, User
from tongban.ratings.models import Rating, Rectification
from tongban.web import selectors as web_selectors
from tongban.workflow.models import ItemProcess

pytestmark = pytest.mark.django_db

EVERY_STATE = {
    Case.Status.PENDING_INTAKE,
    Case.Status.CORRECTION,
    Case.Status.IN_REVIEW,
    Case.Status.SPECIAL,
    Case.Status.PENDING_DECISION,
    Case.Status.PENDING_ISSUE,
    Case.Status.CONCLUDED,
    Case.Status.REFUSED,
    Case.Status.DENIED,
    Case.Status.WITHDRAWN,
}
# A whole one-page PDF: uploads are parsed (issue 19).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000053 00000 n \n0000000103 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n167\n%%EOF\n"
)


def user(mobile_or_name: str) -> User:
    return User.objects.get(username=mobile_or_name)


def citizen() -> User:
    return user(demo_cases.CITIZEN)


def enterprise() -> EnterpriseAccount:
    return EnterpriseAccount.objects.get(name=DEMO_ENTERPRISE)


def test_new_steps_run_after_identity_and_before_search():
    names = demo_steps.step_names()
    assert (
        names.index("identity") < names.index("certificates") < names.index("cases") < names.index("ratings")
    )
    assert names.index("ratings") < names.index("search")


def test_summary_names_the_journey_items(demo_command):
    assert "失业保险金申领" in demo_command and "药品零售企业经营许可" in demo_command
    assert "[certificates]" in demo_command and "[cases]" in demo_command and "[ratings]" in demo_command


def test_citizen_and_enterprise_wallets_hold_licences_that_verify(demo_command):
    mine = Certificate.objects.filter(holder_user=citizen(), holder_enterprise__isnull=True)
    assert {"社会保障卡", "就业创业证"} <= set(mine.values_list("type__name", flat=True))
    theirs = Certificate.objects.filter(holder_enterprise=enterprise())
    assert "药品经营许可证" in set(theirs.values_list("type__name", flat=True))
    for certificate in [*mine, *theirs]:
        answer = verify_identifier(certificate.identifier)
        assert answer["status"] == "valid", answer
        assert certificate.case is not None and certificate.case.status == Case.Status.CONCLUDED


def test_every_issuing_department_has_a_seal_key(demo_command):
    for ctype in CertificateType.objects.filter(is_active=True):
        assert SealKey.objects.filter(department=ctype.department, retired_at__isnull=True).exists(), ctype


@pytest.mark.parametrize("short", [configure.RS, configure.SJ])
def test_each_demo_department_queue_has_every_state_and_deadline_colour(demo_command, short):
    department = configure.department(short)
    demo = Case.objects.filter(department=department, idempotency_key__startswith="demo:")
    assert EVERY_STATE <= set(demo.values_list("status", flat=True))
    if short == configure.SJ:
        assert demo.filter(status=Case.Status.FORWARDED).exists()
    colours = {clock.deadline_colour(case) for case in demo if case.is_open}
    assert {"green", "yellow", "red", "paused"} <= colours
    for case in demo:
        assert case.events.exists()
        first = case.events.order_by("at", "id").first()
        assert first.action == "submit" and abs((first.at - case.submitted_at).total_seconds()) < 60
        assert case.number.split("-")[1] == f"{timezone.localdate(case.submitted_at):%Y%m%d}"


def test_a_bad_rating_has_its_rectification(demo_command):
    bad = Rating.objects.filter(case__idempotency_key__startswith="demo:", level__lte=2)
    assert bad.exists()
    assert Rectification.objects.filter(rating__in=bad).count() == bad.count()
    assert Rating.objects.filter(case__idempotency_key__startswith="demo:", level__gte=4).exists()


@pytest.mark.parametrize(
    ("key", "fields"),
    [
        (configure.BENEFIT_ITEM, {"former_employer", "leave_date", "reason", "bank_name", "bank_account"}),
        (configure.DRUG_ITEM, {"premises", "business_mode", "business_scope", "pharmacist_name"}),
    ],
)
def test_journey_items_have_their_own_form_process_and_licence(demo_command, key, fields):
    target = configure.item(*key)
    assert target.case_kind == CaseKind.PROMISED
    form = target.forms.get(status="active")
    assert fields <= set(form.schema["properties"])
    assert "request" not in form.schema["properties"]  # not the generic five-field form
    choice = ItemProcess.objects.select_related("definition").get(item=target)
    assert choice.definition.item_id == target.pk and not choice.definition.is_template
    assert CertificateType.objects.filter(issued_by_items=target, is_active=True).exists()


def test_citizen_journey_upload_licence_in_wallet_and_public_verification(demo_command):
    """张晓明 applies with an upload, 免提交 covers his 社保卡, staff take the case to 出证."""
    me = citizen()
    target = configure.item(*configure.BENEFIT_ITEM)
    draft = cases.start_application(user=me, item=target)
    assert draft.data["applicant_id_number"] == me.id_number
    cases.save_draft(user=me, application=draft, data=demo_cases.BENEFIT_DATA)
    reused = reuse.wallet_materials(draft)
    assert target.materials.get(name="本人社会保障卡或银行卡").pk in reused
    missing = cases.missing_materials(draft)
    assert [m.name for m in missing] == ["申请人居民身份证"]
    with pytest.raises(cases.InvalidInput):
        cases.submit_application(user=me, application=draft)
    upload = SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf")
    cases.attach_file(user=me, application=draft, requirement=missing[0], upload=upload)
    case = cases.submit_application(user=me, application=draft)
    staff = demo_cases._staff(configure.RS)
    case = cases.accept_case(actor=staff["intake"], case=case)
    case = cases.review_case(actor=staff["review"], case=case, opinion="缴费满一年，非本人意愿中断就业。")
    case = cases.decide_case(actor=staff["decide"], case=case, grant=True, reason="符合条件。")
    case = cases.conclude_case(actor=staff["issue"], case=case, result=Case.Result.ISSUED)
    (licence,) = issue_for_case(case, staff["issue"])
    assert licence.holder_user == me and licence.type.name == "失业保险待遇核定通知书"
    assert licence.fields["former_employer"] == demo_cases.BENEFIT_DATA["former_employer"]
    assert verify_identifier(licence.identifier)["status"] == "valid"


def test_agent_applies_for_the_enterprise(demo_command):
    agent = user(demo_cases.AGENT)
    target = configure.item(*configure.DRUG_ITEM)
    draft = cases.start_application(user=agent, item=target, enterprise=enterprise())
    assert draft.data["enterprise_name"] == DEMO_ENTERPRISE
    cases.save_draft(user=agent, application=draft, data=demo_cases.DRUG_DATA)
    for material in cases.missing_materials(draft):
        upload = SimpleUploadedFile("材料.pdf", PDF, content_type="application/pdf")
        cases.attach_file(user=agent, application=draft, requirement=material, upload=upload)
    case = cases.submit_application(user=agent, application=draft)
    assert case.enterprise == enterprise() and case.status == Case.Status.PENDING_INTAKE


def test_citizen_obtains_two_proofs_online(demo_command):
    person_proofs = [i for i in proof_items() if i.for_person]
    assert len(person_proofs) >= 2
    for target in person_proofs:
        proof = issue_online_proof(actor=Actor(citizen()), item=target)
        assert proof.holder_number == citizen().id_number
        assert verify_identifier(proof.identifier)["status"] == "valid"


def test_enterprise_obtains_its_proof_online(demo_command):
    target = configure.item(configure.RS, "单位参保证明查询打印")
    proof = issue_online_proof(actor=Actor(user(demo_cases.AGENT), enterprise()), item=target)
    assert proof.holder_number == enterprise().uscc
    assert verify_identifier(proof.identifier)["status"] == "valid"


def test_steps_are_idempotent(demo_command):
    before = (
        Case.objects.count(),
        Certificate.objects.count(),
        Rating.objects.count(),
        CertificateType.objects.count(),
        SealKey.objects.count(),
        ItemProcess.objects.count(),
        configure.item(*configure.BENEFIT_ITEM).forms.count(),
    )
    demo_steps.run_steps(only=["certificates", "cases", "ratings"])
    after = (
        Case.objects.count(),
        Certificate.objects.count(),
        Rating.objects.count(),
        CertificateType.objects.count(),
        SealKey.objects.count(),
        ItemProcess.objects.count(),
        configure.item(*configure.BENEFIT_ITEM).forms.count(),
    )
    assert after == before


# 预约 (appointments) and 网上支付 (payments) exist now; 物流快递 does not yet.
MISSING_PROMISES = ("物流快递：支持",)


def test_no_guide_advertises_a_function_the_platform_lacks(demo_command):
    """The demo catalogue flags many items (预约, 支付, 快递); a guide says 支持 only for what exists."""
    flagged = ServiceItem.objects.published().filter(supports_appointment=True)
    assert flagged.count() > 100  # the data says 支持; the page must not
    client = Client()
    sample = list(flagged.order_by("pk")[:15]) + list(
        ServiceItem.objects.published().filter(supports_online_payment=True).order_by("pk")[:5]
    )
    for target in sample:
        page = client.get(f"/items/{target.code}/").content.decode()
        assert target.name in page
        for promise in MISSING_PROMISES:
            assert promise not in page, (target.name, promise)


def test_a_guide_shows_a_flag_once_its_function_exists(demo_command, monkeypatch):
    """The check above could fail: with an appointments app installed the guide says 支持."""
    target = ServiceItem.objects.published().filter(supports_appointment=True).order_by("pk").first()
    real = web_selectors.apps.is_installed
    lacking = {"tongban.appointments", "tongban.payments"}
    monkeypatch.setattr(web_selectors.apps, "is_installed", lambda name: name not in lacking and real(name))
    assert web_selectors.service_flags(target) == []
    lacking.discard("tongban.appointments")
    flags = web_selectors.service_flags(target)
    assert ("预约办理", True) in [(f.label, f.supported) for f in flags]


def test_staff_are_warned_before_issuing_on_an_item_without_a_licence_type(demo_command):
    from tests.factories import login_verified

    staff = demo_cases._staff(configure.SJ)["issue"]
    without = Case.objects.get(idempotency_key="demo:sj09")  # 食品小经营店备案续期: no licence type
    with_type = Case.objects.get(idempotency_key="demo:rs11")  # 失业保险金申领: issues a licence
    assert without.status == with_type.status == Case.Status.PENDING_ISSUE
    client = Client()
    login_verified(client, staff)
    page = client.get(f"/staff/cases/{without.number}/").content.decode()
    assert "该事项尚未配置电子证照类型" in page
    rs_staff = demo_cases._staff(configure.RS)["issue"]
    login_verified(client, rs_staff)
    page = client.get(f"/staff/cases/{with_type.number}/").content.decode()
    assert with_type.number in page and "该事项尚未配置电子证照类型" not in page
