# ruff: noqa: F811  (the world fixture is imported from tests.cases.conftest)
"""我的 (/my/): the personal centre gathers cases, drafts, wallet, proofs, messages, ratings,
"谁用了我的数据" and the account, for the person or for the enterprise an agent acts for."""

import re

from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import citizen, fill, pdf_upload, world  # noqa: F401  (fixture)
from tests.factories import UserFactory, login_verified
from tests.identity.factories import enterprise_for
from tongban.cases import services
from tongban.cases.models import Case
from tongban.identity.actors import SESSION_KEY
from tongban.notifications.models import Notification
from tongban.registries.selectors import read_enterprise, read_person


def text(response) -> str:
    return response.content.decode()


def submit(world, applicant) -> Case:
    application = services.start_application(user=applicant, item=world["item"])
    services.save_draft(user=applicant, application=application, data=fill(application), step=2)
    services.attach_file(
        user=applicant, application=application, requirement=world["material"], upload=pdf_upload()
    )
    return services.submit_application(user=applicant, application=application)


def test_anonymous_is_asked_to_sign_in(client, db):
    for name in ("web:my", "web:my_data_use"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("identity:login") in response["Location"]


def test_staff_are_sent_to_their_workbench(client, world):
    login_verified(client, world["intake"])
    response = client.get(reverse("web:my"))
    assert response.status_code == 302 and response["Location"] == reverse("identity:staff_home")


def test_the_centre_shows_the_persons_own_things_with_counts(client, world):
    me = world["applicant"]
    concluded = submit(world, me)
    Case.objects.filter(pk=concluded.pk).update(status=Case.Status.CONCLUDED, result=Case.Result.ISSUED)
    open_case = submit(world, me)
    other_case = submit(world, world["other"])
    services.start_application(user=me, item=world["item"])  # a draft
    Notification.objects.create(user=me, title="办件已受理", body="…")
    Notification.objects.create(user=me, title="已读", body="…", read_at=timezone.now())
    Notification.objects.create(user=world["other"], title="别人的", body="…")
    read_person(
        me.id_number, accessor=world["reviewer"], purpose="办件审核：核对身份", department=world["department"]
    )
    read_person(world["other"].id_number, accessor=world["reviewer"], purpose="别人的用途")
    client.force_login(me)
    body = text(client.get(reverse("web:my")))
    for name in (
        "cases:my_cases",
        "certificates:wallet",
        "certificates:proofs",
        "notifications:inbox",
        "web:my_data_use",
        "identity:account",
    ):
        assert reverse(name) in body, name
    assert "共 2 件" in body and "1 件在办" in body
    assert concluded.number in body and open_case.number in body and other_case.number not in body
    assert "1 份未提交" in body and "继续填写" in body
    assert re.search(r'<span class="badge">1</span>', body) and "1 条未读" in body
    assert reverse("ratings:rate", args=[concluded.number]) in body
    assert reverse("ratings:rate", args=[open_case.number]) not in body
    assert "办件审核：核对身份" in body and "别人的用途" not in body


def test_the_header_links_to_the_centre_on_every_page_when_signed_in(client, world):
    client.force_login(world["applicant"])
    for url in (reverse("web:home"), reverse("cases:my_cases"), reverse("identity:account")):
        top = re.search(r"<header.*?</header>", text(client.get(url)), re.S).group(0)
        assert f'href="{reverse("web:my")}"' in top, url
    client.logout()
    assert f'href="{reverse("web:my")}"' not in text(client.get(reverse("web:home")))


def test_an_agent_acting_for_the_enterprise_sees_the_enterprises_side(client, world):
    rep = citizen("法人甲")
    enterprise = enterprise_for(rep)
    own = submit(world, rep)
    for_company = submit(world, rep)
    Case.objects.filter(pk=for_company.pk).update(enterprise=enterprise, applicant_name=enterprise.name)
    read_enterprise(
        enterprise.uscc, accessor=world["reviewer"], purpose="企业信息核验", department=world["department"]
    )
    read_person(rep.id_number, accessor=world["reviewer"], purpose="法人个人信息核验")
    client.force_login(rep)
    personal = text(client.get(reverse("web:my")))
    assert own.number in personal and for_company.number not in personal
    assert f'<option value="{enterprise.pk}">{enterprise.name}</option>' in personal
    response = client.post(
        reverse("identity:acting_as"), {"enterprise": enterprise.pk, "next": reverse("web:my")}
    )
    assert response["Location"] == reverse("web:my") and client.session[SESSION_KEY] == enterprise.pk
    body = text(client.get(reverse("web:my")))
    assert enterprise.name in body and "经办人身份" in body
    assert for_company.number in body and own.number not in body
    log = text(client.get(reverse("web:my_data_use")))
    assert "企业信息核验" in log and "法人个人信息核验" not in log


def test_the_data_use_page_lists_who_when_and_why_with_a_filter(client, world):
    me = world["applicant"]
    for n in range(25):
        read_person(
            me.id_number,
            accessor=world["reviewer"],
            purpose=f"办件审核{n:02d}",
            department=world["department"],
        )
    read_person(me.id_number, accessor=world["intake"], purpose="窗口受理", department=world["department"])
    read_person(world["other"].id_number, accessor=world["intake"], purpose="查别人")
    client.force_login(me)
    body = text(client.get(reverse("web:my_data_use")))
    assert "窗口受理" in body and "区行政审批局" in body and world["intake"].display_name in body
    assert "查别人" not in body and "第 1 / 2 页" in body
    filtered = text(client.get(reverse("web:my_data_use") + "?q=窗口"))
    assert "窗口受理" in filtered and "办件审核" not in filtered
    assert "没有符合条件的记录" in text(client.get(reverse("web:my_data_use") + "?q=不存在的用途"))


def test_a_person_without_id_number_sees_an_empty_log(client, world):
    person = UserFactory(
        username="l1-only", kind="citizen", real_name="", id_number=None, mobile="13900009999"
    )
    client.force_login(person)
    assert "暂无记录" in text(client.get(reverse("web:my_data_use")))
