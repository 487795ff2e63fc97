import datetime as dt

import pytest
from django.utils import timezone

from tongban.certificates import services
from tongban.certificates.models import Certificate, CertificateEvent, Share
from tongban.core.errors import InvalidInput
from tongban.identity.actors import Actor


def test_the_wallet_lists_only_the_holders_certificates(client, issued, world):
    client.force_login(world["applicant"])
    page = client.get("/my/certificates/")
    assert page.status_code == 200 and "食品经营许可证" in page.content.decode()
    detail = client.get(f"/my/certificates/{issued.identifier}/")
    text = detail.content.decode()
    assert detail.status_code == 200 and "申请开办餐饮店" in text and "亮证" in text
    api = client.get("/api/v1/wallet/certificates").json()
    assert [c["identifier"] for c in api] == [issued.identifier]
    assert api[0]["status"] == "valid" and api[0]["fields"]["scope"] == "申请开办餐饮店"
    client.force_login(world["other"])
    assert "食品经营许可证" not in client.get("/my/certificates/").content.decode()
    assert client.get(f"/my/certificates/{issued.identifier}/").status_code == 404
    assert client.get(f"/my/certificates/{issued.identifier}/pdf/").status_code == 404
    assert client.get(f"/api/v1/wallet/certificates/{issued.identifier}").status_code == 404
    assert client.post(f"/api/v1/wallet/certificates/{issued.identifier}/present").status_code in (403, 404)


def test_wallet_needs_sign_in(client, issued):
    assert client.get("/my/certificates/").status_code == 302
    assert client.get("/api/v1/wallet/certificates").status_code == 401


def test_showing_a_certificate_gives_a_code_valid_a_few_minutes(client, issued, world, settings):
    settings.TONGBAN_CERTIFICATE_PRESENT_SECONDS = 180
    client.force_login(world["applicant"])
    page = client.post(f"/my/certificates/{issued.identifier}/present/")
    assert page.status_code == 200 and "<svg" in page.content.decode() and "3 分钟" in page.content.decode()
    shown = services.present_certificate(actor=Actor(world["applicant"]), certificate=issued)
    assert dt.timedelta(seconds=179) < shown.expires_at - timezone.now() <= dt.timedelta(seconds=180)
    client.logout()
    scanned = client.get(f"/certificates/presented/{shown.token}/")
    assert scanned.status_code == 200 and "核验通过" in scanned.content.decode()
    # a code made more than three minutes ago no longer opens the certificate
    old = services.present_certificate(
        actor=Actor(world["applicant"]), certificate=issued, now=timezone.now() - dt.timedelta(seconds=181)
    )
    expired = client.get(f"/certificates/presented/{old.token}/")
    assert expired.status_code == 410 and "已过期" in expired.content.decode()
    assert client.get(f"/certificates/presented/{shown.token[:-2]}xx/").status_code == 404
    actions = list(issued.events.values_list("action", flat=True))
    assert actions.count(CertificateEvent.Action.PRESENTED) == 3
    assert actions.count(CertificateEvent.Action.PRESENTATION_VIEWED) == 1


def test_sharing_for_a_purpose_and_period_each_use_logged_and_visible(client, issued, world):
    client.force_login(world["applicant"])
    response = client.post(
        f"/my/certificates/{issued.identifier}/share/",
        {"recipient": "广安银行", "purpose": "开立对公账户", "days": "7"},
    )
    assert response.status_code == 302
    share = Share.objects.get()
    assert share.recipient == "广安银行" and share.valid_until - timezone.now() > dt.timedelta(days=6)
    client.logout()
    opened = client.get(f"/certificates/shared/{share.token}/")
    assert opened.status_code == 200 and "申请开办餐饮店" in opened.content.decode()
    pdf = client.get(f"/certificates/shared/{share.token}/?download=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api = client.get(f"/api/v1/certificates/shared/{share.token}").json()
    assert api["verification"]["status"] == "valid"
    assert api["document"]["certificate"]["identifier"] == issued.identifier
    uses = issued.events.filter(action=CertificateEvent.Action.SHARE_USED)
    assert uses.count() == 3 and {u.actor_label for u in uses} == {"广安银行"}
    client.force_login(world["applicant"])
    detail = client.get(f"/my/certificates/{issued.identifier}/").content.decode()
    assert "第三方用证" in detail and "开立对公账户" in detail
    events = client.get(f"/api/v1/wallet/certificates/{issued.identifier}/events").json()
    assert [e["action"] for e in events].count("share_used") == 3


def test_a_share_link_stops_working_when_it_expires(client, issued, world):
    share = services.share_certificate(
        actor=Actor(world["applicant"]),
        certificate=issued,
        recipient="物业公司",
        purpose="入住登记",
        valid_until=timezone.now() + dt.timedelta(hours=1),
    )
    assert client.get(f"/certificates/shared/{share.token}/").status_code == 200
    Share.objects.filter(pk=share.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    gone = client.get(f"/certificates/shared/{share.token}/")
    assert gone.status_code == 410 and "已过期" in gone.content.decode()
    assert "申请开办餐饮店" not in gone.content.decode()
    assert client.get(f"/certificates/shared/{share.token}/?download=json").status_code == 410
    assert client.get(f"/api/v1/certificates/shared/{share.token}").status_code == 410
    assert issued.events.filter(action=CertificateEvent.Action.SHARE_USED).count() == 1


def test_the_holder_revokes_a_share(client, issued, world):
    share = services.share_certificate(
        actor=Actor(world["applicant"]),
        certificate=issued,
        recipient="物业公司",
        purpose="入住登记",
        valid_until=timezone.now() + dt.timedelta(days=1),
    )
    client.force_login(world["other"])
    assert client.post(f"/my/certificates/shares/{share.pk}/revoke/").status_code == 404
    client.force_login(world["applicant"])
    assert client.post(f"/my/certificates/shares/{share.pk}/revoke/").status_code == 302
    assert client.get(f"/certificates/shared/{share.token}/").status_code == 410
    assert client.get("/certificates/shared/no-such-token/").status_code == 404


def test_share_api_and_refusals(client, issued, world):
    client.force_login(world["applicant"])
    url = f"/api/v1/wallet/certificates/{issued.identifier}/shares"
    until = (timezone.now() + dt.timedelta(days=3)).isoformat()
    made = client.post(
        url,
        {"recipient": "人才中心", "purpose": "人才认定", "valid_until": until},
        content_type="application/json",
    )
    assert (
        made.status_code == 201 and made.json()["in_force"] and "/certificates/shared/" in made.json()["url"]
    )
    too_long = (timezone.now() + dt.timedelta(days=400)).isoformat()
    refused = client.post(
        url, {"recipient": "x", "purpose": "y", "valid_until": too_long}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "valid_until"
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert (
        client.post(
            url, {"recipient": "x", "purpose": "y", "valid_until": past}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            url, {"recipient": "", "purpose": "y", "valid_until": until}, content_type="application/json"
        ).json()["field"]
        == "recipient"
    )
    listed = client.get(url).json()
    assert [s["recipient"] for s in listed] == ["人才中心"]
    revoked = client.delete(f"/api/v1/wallet/shares/{listed[0]['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["in_force"]
    shown = client.post(f"/api/v1/wallet/certificates/{issued.identifier}/present").json()
    assert "/certificates/presented/" in shown["url"]


def test_a_revoked_certificate_cannot_be_shown_or_shared(issued, world):
    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="注销登记", cancel=True)
    issued.refresh_from_db()
    with pytest.raises(InvalidInput, match="已注销"):
        services.present_certificate(actor=Actor(world["applicant"]), certificate=issued)
    with pytest.raises(InvalidInput):
        services.share_certificate(
            actor=Actor(world["applicant"]),
            certificate=issued,
            recipient="x",
            purpose="y",
            valid_until=timezone.now() + dt.timedelta(days=1),
        )


def test_downloads(client, issued, world):
    client.force_login(world["applicant"])
    pdf = client.get(f"/my/certificates/{issued.identifier}/pdf/")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    document = client.get(f"/my/certificates/{issued.identifier}/json/")
    assert document.status_code == 200 and b'"signature"' in document.content
    api_pdf = client.get(f"/api/v1/wallet/certificates/{issued.identifier}/pdf")
    assert api_pdf.status_code == 200 and api_pdf.content.startswith(b"%PDF")


def test_enterprise_certificates_in_the_enterprise_wallet(
    client, world, licence_type, django_capture_on_commit_callbacks
):
    from tests.cases.conftest import citizen, pdf_upload
    from tests.certificates.conftest import conclude
    from tests.identity.factories import enterprise_for, grant
    from tongban.cases import services as case_services
    from tongban.identity.actors import SESSION_KEY

    rep = citizen("李建国")
    enterprise = enterprise_for(rep)
    agent = citizen("王丽")
    grant(enterprise, agent, all_items=True)
    world["item"].service_objects = ["1", "2"]
    world["item"].save()
    application = case_services.start_application(user=agent, item=world["item"], enterprise=enterprise)
    data = {
        "applicant_name": agent.real_name,
        "applicant_id_number": agent.id_number,
        "mobile": agent.mobile,
        "address": {"region": world["item"].region_code, "detail": "建设路 2 号"},
        "request": "开办食堂",
    }
    case_services.save_draft(user=agent, application=application, data=data)
    case_services.attach_file(
        user=agent, application=application, requirement=world["material"], upload=pdf_upload()
    )
    case = case_services.submit_application(user=agent, application=application)
    conclude(world, case, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(case=case)
    assert certificate.holder_kind == "enterprise" and certificate.holder_enterprise == enterprise
    assert certificate.holder_number == enterprise.uscc
    client.force_login(agent)
    assert client.get(f"/my/certificates/{certificate.identifier}/").status_code == 404  # acting for self
    session = client.session
    session[SESSION_KEY] = enterprise.pk
    session.save()
    assert client.get(f"/my/certificates/{certificate.identifier}/").status_code == 200
    api = client.get("/api/v1/wallet/certificates", {"enterprise_id": enterprise.pk}).json()
    assert [c["identifier"] for c in api] == [certificate.identifier]
    client.force_login(world["other"])
    assert client.get("/api/v1/wallet/certificates", {"enterprise_id": enterprise.pk}).status_code == 404
