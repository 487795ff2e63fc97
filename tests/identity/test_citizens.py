"""Citizens: register with an SMS code, real-name verification to L2, recovery, SMS login."""

import pytest
from django.urls import reverse

from tests.identity.factories import PASSWORD, CitizenFactory, PopulationRecordFactory, verified_citizen
from tongban.core.errors import InvalidInput
from tongban.identity import services
from tongban.identity.models import ActionRecord, LoginEvent, User
from tongban.registries.models import DataAccessLog, PopulationRecord

pytestmark = pytest.mark.django_db
MOBILE = "13912345678"
NEW_PASSWORD = "Gov-Service-2026"


def register(client, last_code, mobile=MOBILE):
    response = client.post(reverse("identity:register"), {"mobile": mobile, "action": "send_code"})
    assert response.status_code == 200
    code = last_code(mobile)
    return client.post(
        reverse("identity:register"),
        {
            "mobile": mobile,
            "code": code,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "action": "register",
        },
    )


def test_registration_then_verification_lifts_the_account_to_l2(client, last_code):
    record = PopulationRecordFactory(name="张小明")
    response = register(client, last_code)
    assert response.status_code == 302 and response["Location"] == reverse("identity:verify")
    user = User.objects.get(mobile=MOBILE)
    assert user.real_name_level == 1 and user.kind == "citizen"
    assert user.password.startswith("argon2")
    response = client.post(reverse("identity:verify"), {"name": "张小明", "id_number": record.id_number})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.real_name_level == User.RealNameLevel.L2
    assert (user.real_name, user.id_number) == ("张小明", record.id_number)
    assert user.real_name_verified_at is not None
    log = DataAccessLog.objects.get(subject_id_number=record.id_number)
    assert log.accessor == user and log.purpose == "本人实名核验"
    page = client.get(reverse("identity:account")).content.decode()
    assert (
        record.id_number not in page and (record.id_number[:4] + "**********" + record.id_number[-4:]) in page
    )
    assert MOBILE not in page and "139****5678" in page
    assert "本人实名核验" in page


def test_registration_needs_the_right_code(client, last_code):
    client.post(reverse("identity:register"), {"mobile": MOBILE, "action": "send_code"})
    code = last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(
        reverse("identity:register"),
        {"mobile": MOBILE, "code": wrong, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert not User.objects.filter(mobile=MOBILE).exists()


def test_registration_refuses_a_taken_number_and_a_weak_password(last_code):
    CitizenFactory(mobile=MOBILE)
    with pytest.raises(InvalidInput, match="已注册"):
        services.register_citizen(mobile=MOBILE, code="123456", password=NEW_PASSWORD)
    with pytest.raises(InvalidInput) as info:
        services.register_citizen(mobile="13900000077", code="123456", password="12345678")
    assert info.value.code == "weak_password"


def test_invalid_mobile_number_is_refused(client):
    response = client.post(reverse("identity:register"), {"mobile": "1234", "action": "send_code"})
    assert "11 位手机号码" in response.content.decode()


@pytest.mark.parametrize(
    ("case", "code", "text"),
    [
        ("wrong_name", "name_mismatch", "姓名与身份证号码不一致"),
        ("unknown_id", "id_number_not_found", "人口库中没有该身份证号码"),
        ("bad_checksum", "invalid_id_number", "校验位不正确"),
        ("deceased", "person_deceased", "已死亡"),
    ],
)
def test_verification_refusals_are_clear(case, code, text):
    user = CitizenFactory()
    record = PopulationRecordFactory(name="李四")
    name, number = "李四", record.id_number
    if case == "wrong_name":
        name = "李五"
    elif case == "unknown_id":
        number = PopulationRecordFactory.build().id_number
    elif case == "bad_checksum":
        number = number[:-1] + ("0" if number[-1] != "0" else "1")
    elif case == "deceased":
        record.status = PopulationRecord.Status.DECEASED
        record.save()
    with pytest.raises(InvalidInput if case == "bad_checksum" else services.RealNameRefused) as info:
        services.verify_real_name(user, name=name, id_number=number)
    assert info.value.code == code and text in info.value.message
    user.refresh_from_db()
    assert user.real_name_level == 1 and user.id_number is None


def test_verification_refusal_is_shown_on_the_page(client):
    user = CitizenFactory()
    record = PopulationRecordFactory(name="王五", status=PopulationRecord.Status.DECEASED)
    client.force_login(user)
    response = client.post(reverse("identity:verify"), {"name": "王五", "id_number": record.id_number})
    assert response.status_code == 400
    assert "已死亡" in response.content.decode()


def test_migrated_person_may_verify():
    record = PopulationRecordFactory(status=PopulationRecord.Status.MIGRATED)
    user = services.verify_real_name(CitizenFactory(), name=record.name, id_number=record.id_number)
    assert user.real_name_level == 2


def test_an_id_number_binds_to_one_account_only():
    holder = verified_citizen()
    record = PopulationRecord.objects.get(id_number=holder.id_number)
    with pytest.raises(services.RealNameRefused, match="已绑定其他账号"):
        services.verify_real_name(CitizenFactory(), name=record.name, id_number=record.id_number)


def test_verification_attempts_per_day_are_limited():
    user = CitizenFactory()
    record = PopulationRecordFactory(name="赵六")
    for _ in range(10):
        with pytest.raises(services.RealNameRefused):
            services.verify_real_name(user, name="赵七", id_number=record.id_number)
    from tongban.identity.ratelimit import RateLimited

    with pytest.raises(RateLimited):
        services.verify_real_name(user, name="赵六", id_number=record.id_number)


def test_already_verified_and_staff_cannot_verify():
    user = verified_citizen()
    with pytest.raises(InvalidInput, match="已完成实名核验"):
        services.verify_real_name(user, name="x", id_number=user.id_number)


def test_password_login_with_mobile_number_writes_history(client):
    user = CitizenFactory()
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("identity:account")).status_code == 200
    event = LoginEvent.objects.get(user=user)
    assert (event.method, event.success) == ("password", True)


def test_login_rotates_the_session_key(client):
    user = CitizenFactory()
    client.get(reverse("identity:login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.post(reverse("identity:login"), {"username": user.mobile, "password": PASSWORD})
    assert client.session.session_key != before


def test_wrong_password_is_refused_and_recorded(client):
    user = CitizenFactory()
    response = client.post(reverse("identity:login"), {"username": user.mobile, "password": "nope-nope"})
    assert response.status_code == 400
    assert "账号或密码不正确" in response.content.decode()
    assert LoginEvent.objects.get(user=user).success is False


def test_sms_login(client, last_code):
    user = CitizenFactory()
    client.post(reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "action": "send_code"})
    response = client.post(
        reverse("identity:login"), {"method": "sms", "mobile": user.mobile, "code": last_code(user.mobile)}
    )
    assert response.status_code == 302
    assert LoginEvent.objects.get(user=user).method == "sms"


def test_staff_cannot_use_the_citizen_login(client):
    from tests.identity.factories import StaffFactory

    staff = StaffFactory()
    response = client.post(reverse("identity:login"), {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "工作人员请从" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_recovery_by_sms_sets_a_new_password(client, last_code):
    user = CitizenFactory()
    client.post(reverse("identity:recover"), {"mobile": user.mobile, "action": "send_code"})
    response = client.post(
        reverse("identity:recover"),
        {
            "mobile": user.mobile,
            "code": last_code(user.mobile),
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert ActionRecord.objects.filter(user=user, action="identity.reset_password").exists()


def test_recovery_for_an_unknown_number_changes_nothing(client, sms_codes):
    response = client.post(reverse("identity:recover"), {"mobile": "13900000555", "action": "send_code"})
    assert response.status_code == 200 and sms_codes("13900000555") == []
    response = client.post(
        reverse("identity:recover"),
        {"mobile": "13900000555", "code": "123456", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 400


def test_logout_needs_post_and_ends_the_session(client):
    user = CitizenFactory()
    client.force_login(user)
    assert client.get(reverse("identity:logout")).status_code == 405
    client.post(reverse("identity:logout"))
    assert client.get(reverse("identity:account")).status_code == 302


def test_account_page_needs_login(client):
    response = client.get(reverse("identity:account"))
    assert response.status_code == 302 and reverse("identity:login") in response["Location"]
