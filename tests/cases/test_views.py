"""Web pages of applying and processing: every page, every refusal, and the authorization table."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import PDF, PNG, fill, make_id_number, pdf_upload, staff
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified
from tests.identity.factories import PopulationRecordFactory, enterprise_for
from tongban.cases import services
from tongban.cases.models import Application, Attachment, Case, CaseEvent
from tongban.forms.services import save_form_version
from tongban.identity.actors import SESSION_KEY
from tongban.identity.models import User
from tongban.registries.models import DataAccessLog


def text(response) -> str:
    return response.content.decode()


def start(client, world) -> Application:
    client.force_login(world["applicant"])
    response = client.post(reverse("cases:apply", args=[world["item"].code]))
    assert response.status_code == 302
    return Application.objects.filter(applicant=world["applicant"]).latest("created_at")


def step_url(application, n=0) -> str:
    return reverse("cases:apply_step", args=[application.public_id, n])


def ready_to_submit(world) -> Application:
    application = services.start_application(user=world["applicant"], item=world["item"])
    services.save_draft(user=world["applicant"], application=application, data=fill(application), step=2)
    services.attach_file(
        user=world["applicant"], application=application, requirement=world["material"], upload=pdf_upload()
    )
    return application


def submitted_case(world) -> Case:
    return services.submit_application(user=world["applicant"], application=ready_to_submit(world))


# ---------------------------------------------------------------- notice and start


def test_guide_page_links_to_online_applying(client, world):
    response = client.get(reverse("web:item", args=[world["item"].code]))
    assert reverse("cases:apply", args=[world["item"].code]) in text(response)
    assert "在线办理" in text(response)


def test_one_time_notice_lists_every_material_condition_limit_and_fee(client, world):
    client.force_login(world["applicant"])
    response = client.get(reverse("cases:apply", args=[world["item"].code]))
    body = text(response)
    assert response.status_code == 200
    assert "一次性告知" in body and "营业执照复印件" in body and "必要" in body
    assert "申请人符合法定条件。" in body  # 受理条件
    assert "承诺办结时限" in body and "10" in body
    assert "本事项不收费" in body
    assert "您将以个人身份（张三）申请" in body


def test_notice_requires_login_and_a_published_item(client, world):
    url = reverse("cases:apply", args=[world["item"].code])
    response = client.get(url)
    assert response.status_code == 302 and reverse("identity:login") in response.url
    client.force_login(world["applicant"])
    draft_item = PublishedItemFactory(department=world["department"], status="draft")
    assert client.get(reverse("cases:apply", args=[draft_item.code])).status_code == 404


def test_starting_creates_a_prefilled_draft_and_lists_it_on_the_notice(client, world):
    application = start(client, world)
    assert application.data["applicant_name"] == "张三"
    assert application.channel == "2" and application.enterprise is None
    body = text(client.get(reverse("cases:apply", args=[world["item"].code])))
    assert "您有未提交的草稿" in body and step_url(application) in body


def test_staff_cannot_apply_online(client, world):
    login_verified(client, world["intake"])
    url = reverse("cases:apply", args=[world["item"].code])
    assert "工作人员账号不能在网上申请" in text(client.get(url))
    response = client.post(url)
    assert response.status_code == 403
    assert "请使用个人或企业账号登录后申请" in text(response)
    assert not Application.objects.exists()


def test_an_agent_applies_for_the_enterprise_they_act_for(client, world):
    rep = world["applicant"]
    enterprise = enterprise_for(rep)
    client.force_login(rep)
    session = client.session
    session[SESSION_KEY] = enterprise.pk
    session.save()
    body = text(client.get(reverse("cases:apply", args=[world["item"].code])))
    assert f"您将以“{enterprise.name}”经办人" in body
    client.post(reverse("cases:apply", args=[world["item"].code]))
    assert Application.objects.get().enterprise == enterprise


# ---------------------------------------------------------------- form steps


def test_step_shows_prefilled_fields_read_only_and_masked(client, world):
    application = start(client, world)
    body = text(client.get(step_url(application)))
    assert "已从您的实名信息自动填写" in body
    assert 'name="applicant_name"' not in body  # not editable
    assert world["applicant"].id_number not in body  # masked
    assert world["applicant"].id_number[-4:] in body
    assert "第 1 步，共 4 步" in body
    assert 'aria-current="step"' in body


def test_next_saves_the_step_and_moves_on(client, world):
    application = start(client, world)
    response = client.post(
        step_url(application),
        {
            "address__province": "51",
            "address__city": "5116",
            "address__county": "511602",
            "address__detail": "建设路 1 号",
            "action": "next",
        },
    )
    assert response.status_code == 302 and response.url == step_url(application, 1)
    application.refresh_from_db()
    assert application.data["address"] == {"region": "511602", "detail": "建设路 1 号"}
    assert application.step == 1


def test_next_refuses_an_incomplete_step_but_keeps_what_was_typed(client, world):
    application = start(client, world)
    response = client.post(step_url(application), {"address__detail": "建设路 1 号", "action": "next"})
    body = text(response)
    assert response.status_code == 400
    assert "请修改以下内容" in body and "“联系地址”请选择有效的行政区划" in body
    assert 'aria-invalid="true"' in body
    assert 'value="建设路 1 号"' in body
    application.refresh_from_db()
    assert application.step == 0


def test_format_errors_are_shown_in_chinese_and_nothing_is_saved(client, world):
    application = start(client, world)
    response = client.post(
        step_url(application),
        {
            "address__province": "51",
            "address__city": "",
            "address__county": "",
            "address__detail": "",
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert "请填写详细地址" in text(response)
    application.refresh_from_db()
    assert "address" not in application.data


def test_save_draft_stays_on_the_step_and_says_until_when(client, world):
    application = start(client, world)
    response = client.post(step_url(application, 1), {"request": "开一家面馆", "action": "save"}, follow=True)
    assert response.redirect_chain[-1][0] == step_url(application, 1)
    assert "草稿已保存，保留至" in text(response)
    application.refresh_from_db()
    assert application.data["request"] == "开一家面馆"


def test_back_goes_to_the_previous_step_or_the_notice(client, world):
    application = start(client, world)
    response = client.post(step_url(application, 1), {"request": "x", "action": "back"})
    assert response.url == step_url(application, 0)
    response = client.post(step_url(application, 0), {"action": "back"})
    assert response.url == reverse("cases:apply", args=[world["item"].code])


def test_region_chain_refreshes_without_javascript_and_saves_nothing(client, world):
    application = start(client, world)
    response = client.post(step_url(application), {"address__province": "51", "refresh_region": "address"})
    body = text(response)
    assert response.status_code == 200
    assert '<option value="5116">广安市</option>' in body
    application.refresh_from_db()
    assert "address" not in application.data
    # htmx enhancement posts to the same page and swaps the address fieldset in place
    assert 'hx-select="#entry-address"' in body


def test_changing_the_province_clears_the_old_city(client, world):
    application = start(client, world)
    response = client.post(
        step_url(application),
        {
            "address__province": "",
            "address__city": "5116",
            "address__county": "511602",
            "refresh_region": "1",
        },
    )
    body = text(response)
    assert 'name="address__city" disabled' in body


def test_step_out_of_range_and_other_peoples_drafts_are_404(client, world):
    application = start(client, world)
    assert client.get(step_url(application, 9)).status_code == 404
    client.force_login(world["other"])
    for url in (
        step_url(application),
        reverse("cases:apply_materials", args=[application.public_id]),
        reverse("cases:apply_check", args=[application.public_id]),
        reverse("cases:apply_done", args=[application.public_id]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "save"}).status_code == 404, url


def test_an_expired_draft_explains_itself(client, world):
    application = start(client, world)
    Application.objects.filter(pk=application.pk).update(
        expires_at=timezone.now() - timezone.timedelta(days=1)
    )
    response = client.get(step_url(application))
    assert response.status_code == 410 and "草稿已过期" in text(response)


@pytest.fixture
def rich_item(world):
    """An item whose form uses rows, choices, numbers, dates, a file field and a condition."""
    schema = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "x-widget": "choice", "title": "经营类型", "enum": ["餐饮", "零售"]},
            "seats": {"type": "number", "x-widget": "number", "title": "座位数", "minimum": 1},
            "goods": {
                "type": "array",
                "x-widget": "multichoice",
                "title": "经营项目",
                "items": {"type": "string", "enum": ["热食", "冷食", "饮品"]},
            },
            "opening": {"type": "string", "x-widget": "date", "title": "开业日期"},
            "staff_list": {
                "type": "array",
                "x-widget": "rows",
                "title": "从业人员",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "x-widget": "text", "title": "姓名"},
                        "phone": {"type": "string", "x-widget": "mobile", "title": "电话"},
                    },
                },
            },
            "plan": {"type": "string", "x-widget": "file", "title": "平面图"},
        },
        "required": ["kind", "seats", "staff_list"],
    }
    layout = {
        "sections": [
            {"title": "经营情况", "fields": ["kind", "seats", "goods", "opening"]},
            {"title": "人员与场所", "fields": ["staff_list", "plan"]},
        ],
        "conditions": {"seats": {"field": "kind", "equals": "餐饮"}},
    }
    item = PublishedItemFactory(department=world["department"])
    save_form_version(
        actor=None, item=item, title="食品经营申请表", schema=schema, layout=layout, activate=True
    )
    return item


def start_rich(client, world, item) -> Application:
    client.force_login(world["applicant"])
    client.post(reverse("cases:apply", args=[item.code]))
    return Application.objects.get(item=item)


def test_choices_numbers_dates_and_conditions(client, world, rich_item):
    application = start_rich(client, world, rich_item)
    body = text(client.get(step_url(application)))
    assert 'type="radio"' in body and 'type="checkbox"' in body and 'type="date"' in body
    assert "仅当“经营类型”为“餐饮”时填写" in body
    response = client.post(
        step_url(application),
        {"kind": "餐饮", "seats": "40", "goods": ["热食", "饮品"], "opening": "2026-12-01", "action": "next"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data["seats"] == 40 and application.data["goods"] == ["热食", "饮品"]
    # a condition that no longer holds drops the dependent answer
    client.post(step_url(application), {"kind": "零售", "seats": "40", "action": "save"})
    application.refresh_from_db()
    assert "seats" not in application.data
    response = client.post(step_url(application), {"kind": "餐饮", "seats": "很多", "action": "save"})
    assert response.status_code == 400 and "“座位数”的格式不正确" in text(response)


def test_repeating_rows_are_added_and_removed_with_buttons(client, world, rich_item):
    application = start_rich(client, world, rich_item)
    url = step_url(application, 1)
    body = text(client.get(url))
    assert "第 1 行" in body and "第 2 行" not in body
    response = client.post(
        url, {"staff_list__count": "1", "staff_list__0__name": "王五", "add_row": "staff_list"}
    )
    body = text(response)
    assert "第 2 行" in body and 'value="王五"' in body
    response = client.post(
        url,
        {
            "staff_list__count": "2",
            "staff_list__0__name": "王五",
            "staff_list__1__name": "赵六",
            "staff_list__1__phone": "13800000009",
            "remove_row": "staff_list:0",
        },
    )
    body = text(response)
    assert "第 2 行" not in body and 'value="赵六"' in body and 'value="王五"' not in body
    response = client.post(
        url,
        {
            "staff_list__count": "2",
            "staff_list__0__name": "赵六",
            "staff_list__0__phone": "12345",
            "action": "save",
        },
    )
    assert response.status_code == 400 and "“电话”应为 11 位手机号码" in text(response)
    client.post(
        url,
        {
            "staff_list__count": "2",
            "staff_list__0__name": "赵六",
            "staff_list__0__phone": "13800000009",
            "action": "save",
        },
    )
    application.refresh_from_db()
    assert application.data["staff_list"] == [{"name": "赵六", "phone": "13800000009"}]


def test_a_file_field_uploads_and_replaces(client, world, rich_item):
    application = start_rich(client, world, rich_item)
    url = step_url(application, 1)
    client.post(url, {"staff_list__count": "1", "plan": SimpleUploadedFile("图.png", PNG), "action": "save"})
    application.refresh_from_db()
    first = Attachment.objects.get(public_id=application.data["plan"])
    assert first.display_name == "图.png" and first.requirement is None
    assert "图.png" in text(client.get(url))
    client.post(
        url, {"staff_list__count": "1", "plan": SimpleUploadedFile("新图.pdf", PDF), "action": "save"}
    )
    application.refresh_from_db()
    first.refresh_from_db()
    assert (
        first.replaced
        and Attachment.objects.get(public_id=application.data["plan"]).display_name == "新图.pdf"
    )
    response = client.post(
        url, {"staff_list__count": "1", "plan": SimpleUploadedFile("x.pdf", b"MZ\x90\x00"), "action": "save"}
    )
    assert response.status_code == 400 and "只能上传 PDF、JPG 或 PNG" in text(response)


# ---------------------------------------------------------------- materials


def materials_url(application):
    return reverse("cases:apply_materials", args=[application.public_id])


def test_materials_upload_replace_and_remove(client, world):
    application = start(client, world)
    url = materials_url(application)
    body = text(client.get(url))
    assert "营业执照复印件" in body and 'type="file"' in body
    response = client.post(
        url, {"requirement": world["material"].pk, "file": pdf_upload("执照.pdf")}, follow=True
    )
    assert "已上传“执照.pdf”" in text(response)
    response = client.post(url, {"requirement": world["material"].pk, "file": pdf_upload("执照2.pdf")})
    current = Attachment.objects.get(application=application, replaced=False)
    assert current.display_name == "执照2.pdf"
    assert Attachment.objects.filter(application=application, replaced=True).count() == 1
    client.post(url, {"remove": str(current.public_id)})
    assert not Attachment.objects.filter(application=application, replaced=False).exists()


def test_materials_refuse_a_renamed_executable_an_oversized_file_and_no_file(client, world, settings):
    application = start(client, world)
    url = materials_url(application)
    exe = SimpleUploadedFile("执照.pdf", b"MZ\x90\x00\x03" + b"\x00" * 64, content_type="application/pdf")
    response = client.post(url, {"requirement": world["material"].pk, "file": exe})
    body = text(response)
    assert response.status_code == 400
    assert "只能上传 PDF、JPG 或 PNG 文件（按文件内容判断，改扩展名无效）" in body
    assert f'aria-describedby="err-file-{world["material"].pk}"' in body
    settings.TONGBAN_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("大.pdf", PDF + b"0" * (1024 * 1024))
    response = client.post(url, {"requirement": world["material"].pk, "file": big})
    assert response.status_code == 400 and "文件过大" in text(response)
    response = client.post(url, {"requirement": world["material"].pk})
    assert response.status_code == 400 and "请先选择要上传的文件" in text(response)
    assert not Attachment.objects.exists()


def test_materials_of_another_item_or_draft_are_404(client, world):
    application = start(client, world)
    other_item = PublishedItemFactory(department=world["department"])
    from tests.factories import MaterialRequirementFactory

    foreign = MaterialRequirementFactory(item=other_item)
    url = materials_url(application)
    assert client.post(url, {"requirement": foreign.pk, "file": pdf_upload()}).status_code == 404
    assert client.post(url, {"remove": "00000000-0000-0000-0000-000000000000"}).status_code == 404


# ---------------------------------------------------------------- check and submit


def check_url(application):
    return reverse("cases:apply_check", args=[application.public_id])


def test_check_lists_what_is_missing_with_links_and_offers_no_submit(client, world):
    application = start(client, world)
    body = text(client.get(check_url(application)))
    assert "提交前还需要补全" in body and "请填写“联系地址”" in body
    assert "还缺少必要材料：营业执照复印件" in body
    assert step_url(application, 0) + "?return=check" in body
    assert 'name="idempotency_key"' not in body


def test_check_shows_every_answer_with_change_links_and_an_idempotency_key(client, world):
    application = ready_to_submit(world)
    client.force_login(world["applicant"])
    body = text(client.get(check_url(application)))
    assert "四川省广安市广安区 建设路 1 号" in body
    assert "申请开办餐饮店" in body and "身份证.pdf" in body
    assert body.count("修改") >= 6
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', body).group(1)
    assert key != re.search(
        r'name="idempotency_key" value="([0-9a-f]{32})"', text(client.get(check_url(application)))
    ).group(1)


def test_return_to_check_after_changing_an_answer(client, world):
    application = ready_to_submit(world)
    client.force_login(world["applicant"])
    body = text(client.get(step_url(application, 1) + "?return=check"))
    assert "保存并返回核对" in body
    response = client.post(
        step_url(application, 1), {"request": "改成开面馆", "return": "check", "action": "next"}
    )
    assert response.url == check_url(application)


def test_submit_twice_with_the_same_key_gives_one_case_and_a_confirmation(client, world):
    application = ready_to_submit(world)
    client.force_login(world["applicant"])
    first = client.post(check_url(application), {"idempotency_key": "a" * 32})
    second = client.post(check_url(application), {"idempotency_key": "a" * 32})
    done = reverse("cases:apply_done", args=[application.public_id])
    assert first.url == done and second.url == done
    assert Case.objects.count() == 1
    case = Case.objects.get()
    body = text(client.get(done))
    assert case.number in body and "申请已提交" in body
    assert reverse("cases:my_case", args=[case.number]) in body
    # the form pages of a submitted application lead to the confirmation
    assert client.get(step_url(application)).url == done


def test_submit_refused_shows_the_service_message(client, world):
    application = start(client, world)
    response = client.post(check_url(application), {"idempotency_key": "b" * 32})
    assert response.status_code == 400 and "请填写" in text(response)
    assert not Case.objects.exists()


def test_done_page_before_submitting_goes_back_to_the_form(client, world):
    application = start(client, world)
    response = client.get(reverse("cases:apply_done", args=[application.public_id]))
    assert response.url == step_url(application, 0)


# ---------------------------------------------------------------- files


def test_files_are_served_through_the_permission_check(client, world):
    case = submitted_case(world)
    attachment = case.application.attachments.get()
    url = reverse("cases:file", args=[attachment.public_id])
    response = client.get(url)
    assert response.status_code == 302  # anonymous → login
    client.force_login(world["applicant"])
    response = client.get(url + "?download=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    assert client.get(url)["Content-Disposition"].startswith("inline;")
    client.force_login(world["other"])
    assert client.get(url).status_code == 404
    login_verified(client, world["outsider"])
    assert client.get(url).status_code == 404
    login_verified(client, world["reviewer"])
    assert client.get(url).status_code == 200
    assert attachment.file.url not in text(client.get(reverse("cases:staff_case", args=[case.number])))


# ---------------------------------------------------------------- my cases


def test_my_cases_lists_cases_and_drafts_with_expiry(client, world):
    case = submitted_case(world)
    draft = services.start_application(user=world["applicant"], item=world["item"])
    other_case = services.submit_application(
        user=world["other"],
        application=_ready_for(world, world["other"]),
    )
    client.force_login(world["applicant"])
    body = text(client.get(reverse("cases:my_cases")))
    assert case.number in body and "待受理" in body
    assert other_case.number not in body
    assert "未提交的草稿" in body and timezone.localtime(draft.expires_at).strftime("%Y-%m-%d") in body
    assert step_url(draft, 0) in body


def _ready_for(world, user) -> Application:
    application = services.start_application(user=user, item=world["item"])
    services.save_draft(user=user, application=application, data=fill(application))
    services.attach_file(
        user=user, application=application, requirement=world["material"], upload=pdf_upload()
    )
    return application


def test_my_case_page_shows_the_public_timeline_deadline_and_files(client, world):
    case = submitted_case(world)
    services.claim_case(actor=world["intake"], case=case)
    client.force_login(world["applicant"])
    body = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert "网上申请提交" in body
    assert "认领" not in body  # internal events stay internal
    assert "受理员" not in body  # staff names are not shown to applicants
    assert re.search(r"deadline-green\">正常</span> \d{4}-\d{2}-\d{2}", body)
    assert "身份证.pdf" in body and "撤回申请" in body


def test_my_case_is_404_for_everyone_else(client, world):
    case = submitted_case(world)
    url = reverse("cases:my_case", args=[case.number])
    client.force_login(world["other"])
    assert client.get(url).status_code == 404
    login_verified(client, world["intake"])
    assert client.get(url).status_code == 404


def test_answering_a_correction_changes_only_the_listed_things(client, world):
    case = submitted_case(world)
    services.request_correction(
        actor=world["intake"],
        case=case,
        notice="联系地址缺门牌号；营业执照复印件不清晰。",
        fields=["address"],
        materials=[world["material"]],
    )
    client.force_login(world["applicant"])
    body = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert "需要您补正" in body and "联系地址缺门牌号；营业执照复印件不清晰。" in body
    url = reverse("cases:my_case_correct", args=[case.number])
    body = text(client.get(url))
    assert 'name="address__detail"' in body and 'name="request"' not in body
    assert f'name="material-{world["material"].pk}"' in body
    data = {
        "address__province": "51",
        "address__city": "5116",
        "address__county": "511602",
        "address__detail": "建设路 1 号 2 栋",
        "request": "偷偷改掉",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "请补交：营业执照复印件" in text(response)
    response = client.post(url, {**data, f"material-{world['material'].pk}": pdf_upload("清晰版.pdf")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE
    assert case.data["address"]["detail"] == "建设路 1 号 2 栋" and case.data["request"] == "申请开办餐饮店"
    response = client.get(url, follow=True)
    assert "该办件当前不需要补正" in text(response)


def test_withdrawal_asks_first_and_is_refused_once_decided(client, world):
    case = submitted_case(world)
    client.force_login(world["applicant"])
    url = reverse("cases:my_case_withdraw", args=[case.number])
    assert "确认撤回" in text(client.get(url))
    client.post(url, {"reason": "不开了"})
    case.refresh_from_db()
    assert case.status == Case.Status.WITHDRAWN
    assert "已撤回" in text(client.get(reverse("cases:my_case", args=[case.number])))
    response = client.post(url, follow=True)
    assert "已不能撤回" in text(response)
    client.force_login(world["other"])
    assert client.post(url).status_code == 404


# ---------------------------------------------------------------- staff queue and case page


def test_queue_shows_tasks_for_the_users_roles_with_deadline_text(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    body = text(client.get(reverse("cases:staff_queue")))
    assert case.number in body and "共 1 件待办" in body
    assert 'class="deadline deadline-green">正常</span>' in body
    login_verified(client, world["reviewer"])
    assert case.number not in text(client.get(reverse("cases:staff_queue")))


def test_queue_filters(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    url = reverse("cases:staff_queue")
    assert case.number in text(client.get(url, {"applicant": "张"}))
    assert case.number not in text(client.get(url, {"applicant": "李"}))
    assert case.number in text(client.get(url, {"item": world["item"].pk, "status": "pending_intake"}))
    assert case.number not in text(client.get(url, {"status": "in_review"}))
    assert case.number not in text(client.get(url, {"deadline": "red"}))
    assert case.number in text(client.get(url, {"deadline": "green"}))
    assert case.number not in text(client.get(url, {"mine": "1"}))
    assert (
        client.get(url, {"item": "x", "status": "bogus", "deadline": "purple", "page": "-1"}).status_code
        == 200
    )


def test_queue_item_filter_lists_items_with_tasks_and_the_chosen_one(client, world):
    quiet = PublishedItemFactory(name="无人申请的事项", department=world["department"])
    elsewhere = PublishedItemFactory(name="别的部门的事项", department=DepartmentFactory())
    case = submitted_case(world)
    login_verified(client, world["intake"])
    url = reverse("cases:staff_queue")
    body = client.get(url).content.decode()
    assert f'<option value="{world["item"].pk}">{world["item"].name}</option>' in body
    assert quiet.name not in body and elsewhere.name not in body
    chosen = client.get(url, {"item": quiet.pk}).content.decode()
    assert f'<option value="{quiet.pk}" selected>{quiet.name}</option>' in chosen
    assert case.number not in text(client.get(url, {"item": quiet.pk}))
    assert elsewhere.name not in client.get(url, {"item": elsewhere.pk}).content.decode()


def test_queue_paginates(client, world):
    for _ in range(21):
        submitted_case(world)
    login_verified(client, world["intake"])
    body = text(client.get(reverse("cases:staff_queue")))
    assert "第 1 页，共 2 页" in body and "下一页" in body
    assert "第 2 页，共 2 页" in text(client.get(reverse("cases:staff_queue"), {"page": 2}))


def test_claim_and_release_from_the_queue_and_the_conflict_message(client, world):
    case = submitted_case(world)
    second = staff(world["department"], "intake", name="另一受理员")
    login_verified(client, world["intake"])
    queue = reverse("cases:staff_queue")
    response = client.post(
        reverse("cases:staff_claim", args=[case.number]), {"expected_version": case.version, "next": queue}
    )
    assert response.url == queue
    case.refresh_from_db()
    assert case.assignee == world["intake"]
    assert "我已认领" in text(client.get(queue))
    login_verified(client, second)
    response = client.post(
        reverse("cases:staff_claim", args=[case.number]), {"expected_version": case.version}, follow=True
    )
    assert f"该办件已由 {world['intake'].real_name} 认领" in text(response)
    response = client.post(
        reverse("cases:staff_act", args=[case.number]),
        {"action": "accept", "expected_step": "intake", "expected_version": case.version},
    )
    assert response.status_code == 409 and "认领" in text(response)
    login_verified(client, world["intake"])
    client.post(reverse("cases:staff_release", args=[case.number]))
    case.refresh_from_db()
    assert case.assignee is None


def test_case_page_shows_data_materials_history_and_the_steps_actions(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    body = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert "申请开办餐饮店" in body and "身份证.pdf" in body and "在浏览器中查看" in body
    assert "网上申请提交" in body
    for action in ('value="accept"', 'value="refuse"', 'value="correct"'):
        assert action in body
    assert f'name="expected_version" value="{case.version}"' in body
    login_verified(client, world["reviewer"])
    body = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert 'value="accept"' not in body


def test_stale_pages_are_refused(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    url = reverse("cases:staff_act", args=[case.number])
    response = client.post(
        url, {"action": "accept", "expected_step": "intake", "expected_version": case.version + 5}
    )
    assert response.status_code == 409 and "办件已被他人更新，请刷新后再操作" in text(response)
    response = client.post(
        url, {"action": "accept", "expected_step": "review", "expected_version": case.version}
    )
    assert response.status_code == 409 and "该环节已由他人处理" in text(response)
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE


def test_refusal_needs_a_reason_and_keeps_the_form(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    url = reverse("cases:staff_act", args=[case.number])
    response = client.post(
        url, {"action": "refuse", "opinion": " ", "expected_step": "intake", "expected_version": case.version}
    )
    assert response.status_code == 400 and "请填写不予受理的理由" in text(response)
    client.post(
        url,
        {
            "action": "refuse",
            "opinion": "不属于本机关职权",
            "expected_step": "intake",
            "expected_version": case.version,
        },
    )
    case.refresh_from_db()
    assert case.status == Case.Status.REFUSED and case.decision_reason == "不属于本机关职权"


def test_correction_request_chooses_fields_and_materials_in_one_notice(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    url = reverse("cases:staff_act", args=[case.number])
    common = {"action": "correct", "expected_step": "intake", "expected_version": case.version}
    response = client.post(url, {**common, "opinion": "请补正"})
    assert response.status_code == 400 and "请至少选择一项" in text(response)
    assert 'id="correct-opinion" name="opinion" rows="4">请补正' in text(response)
    client.post(
        url,
        {**common, "opinion": "门牌号缺失", "fields": ["address"], "materials": [str(world["material"].pk)]},
    )
    case.refresh_from_db()
    correction = case.corrections.get()
    assert case.status == Case.Status.CORRECTION
    assert correction.fields == ["address"] and list(correction.materials.all()) == [world["material"]]
    body = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert "办件正等待申请人补正" in body and "门牌号缺失" in body


def test_the_whole_path_through_the_staff_pages(client, world):
    case = submitted_case(world)
    w = world

    def act(user, action, **extra):
        login_verified(client, user)
        case.refresh_from_db()
        data = {
            "action": action,
            "expected_step": case.current_step,
            "expected_version": case.version,
            **extra,
        }
        response = client.post(reverse("cases:staff_act", args=[case.number]), data)
        assert response.status_code == 302, text(response)[:3000]
        case.refresh_from_db()

    act(w["intake"], "accept", opinion="材料齐全")
    assert case.status == Case.Status.IN_REVIEW
    login_verified(client, w["reviewer"])
    body = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert all(f'value="{a}"' in body for a in ("review", "special_start", "forward"))
    act(w["reviewer"], "special_start", kind="现场核查", opinion="三日内核查")
    assert case.status == Case.Status.SPECIAL and case.paused_since is not None
    assert "暂停计时" in text(client.get(reverse("cases:staff_case", args=[case.number])))
    act(w["reviewer"], "special_end", opinion="核查合格")
    act(w["reviewer"], "review", opinion="符合条件")
    assert case.status == Case.Status.PENDING_DECISION
    login_verified(client, w["decider"])
    response = client.post(
        reverse("cases:staff_act", args=[case.number]),
        {"action": "decide", "opinion": "符合", "expected_step": "decide", "expected_version": case.version},
    )
    assert response.status_code == 400 and "请选择决定结果（准予或不予）" in text(response)
    act(w["decider"], "decide", decision="grant", opinion="符合《食品安全法》第三十五条")
    assert case.status == Case.Status.PENDING_ISSUE
    act(w["issuer"], "conclude", result="issued")
    assert (case.status, case.result) == (Case.Status.CONCLUDED, Case.Result.ISSUED)
    body = text(client.get(reverse("cases:staff_case", args=[case.number])))
    assert "审查通过" in body and "符合条件" in body  # staff see every opinion
    assert reverse("case_documents:download", args=[case.number, "decision"]) in body
    client.force_login(w["applicant"])
    body = text(client.get(reverse("cases:my_case", args=[case.number])))
    assert "已办结" in body and "出证" in body and "符合《食品安全法》第三十五条" in body
    assert "符合条件" not in body  # the review opinion is internal
    assert reverse("case_documents:download", args=[case.number, "decision"]) in body


def test_unknown_actions_are_404(client, world):
    case = submitted_case(world)
    login_verified(client, world["intake"])
    assert (
        client.post(reverse("cases:staff_act", args=[case.number]), {"action": "explode"}).status_code == 404
    )
    assert client.get(reverse("cases:staff_act", args=[case.number])).status_code == 405


# ---------------------------------------------------------------- window intake


def test_window_intake_reads_the_registry_opens_an_account_and_submits_as_window(client, world):
    record = PopulationRecordFactory(name="周八", id_number=make_id_number(901))
    login_verified(client, world["intake"])
    url = reverse("cases:window")
    body = text(client.get(url))
    assert world["item"].name in body and "区行政审批局" in body
    response = client.post(url, {"item": world["item"].pk, "id_number": record.id_number})
    assert response.status_code == 302
    person = User.objects.get(id_number=record.id_number)
    assert person.kind == "citizen" and person.real_name == "周八" and not person.has_usable_password()
    log = DataAccessLog.objects.get(subject_id_number=record.id_number, purpose="窗口受理")
    assert log.purpose == "窗口受理" and log.accessor == world["intake"]
    # The address is then filled in from the registry: a second read, logged too.
    assert DataAccessLog.objects.filter(subject_id_number=record.id_number).count() == 2
    application = Application.objects.get(applicant=person)
    assert application.channel == "1" and application.created_by == world["intake"]
    body = text(client.get(response.url))
    assert "窗口受理" in body and "代 周八 办理" in body
    # the same pages as online, then submit
    client.post(
        step_url(application),
        {
            "mobile": "13912345678",
            "address__province": "51",
            "address__city": "5116",
            "address__county": "511602",
            "address__detail": "建设路 9 号",
            "action": "next",
        },
    )
    client.post(step_url(application, 1), {"request": "窗口申请", "action": "next"})
    client.post(materials_url(application), {"requirement": world["material"].pk, "file": pdf_upload()})
    body = text(client.get(check_url(application)))
    assert "13912345678" in body  # staff check the answers with the person in full
    client.post(check_url(application), {"idempotency_key": "w" * 32})
    case = Case.objects.get(applicant=person)
    assert case.channel == "1" and case.submitted_by == world["intake"]
    assert case.events.get().title == "窗口收件"
    done = text(client.get(reverse("cases:apply_done", args=[application.public_id])))
    assert reverse("cases:staff_case", args=[case.number]) in done
    # a second visit finds the same account
    client.post(url, {"item": world["item"].pk, "id_number": record.id_number})
    assert User.objects.filter(id_number=record.id_number).count() == 1


def test_window_intake_refusals(client, world):
    login_verified(client, world["intake"])
    url = reverse("cases:window")
    response = client.post(url, {"item": "", "id_number": "x"})
    assert response.status_code == 400 and "请选择要办理的事项" in text(response)
    response = client.post(url, {"item": world["item"].pk, "id_number": "123"})
    assert response.status_code == 400
    unknown = PopulationRecordFactory.build().id_number
    response = client.post(url, {"item": world["item"].pk, "id_number": unknown})
    assert response.status_code == 400 and "人口库中没有该身份证号码" in text(response)
    assert DataAccessLog.objects.filter(
        subject_id_number=unknown, found=False
    ).exists()  # a miss is logged too
    dead = PopulationRecordFactory(status="deceased")
    response = client.post(url, {"item": world["item"].pk, "id_number": dead.id_number})
    assert "已死亡" in text(response)
    other_item = PublishedItemFactory(department=DepartmentFactory())
    response = client.post(url, {"item": other_item.pk, "id_number": dead.id_number})
    assert response.status_code == 400 and "请选择要办理的事项" in text(response)
    assert not Application.objects.exists()
    login_verified(client, world["reviewer"])
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- who may open what


def _urls(case, application, attachment):
    return {
        "my_cases": reverse("cases:my_cases"),
        "my_case": reverse("cases:my_case", args=[case.number]),
        "correct": reverse("cases:my_case_correct", args=[case.number]),
        "withdraw": reverse("cases:my_case_withdraw", args=[case.number]),
        "file": reverse("cases:file", args=[attachment.public_id]),
        "step": step_url(application),
        "check": check_url(application),
        "queue": reverse("cases:staff_queue"),
        "staff_case": reverse("cases:staff_case", args=[case.number]),
        "window": reverse("cases:window"),
    }


# user → {url name: expected status}; anything not listed answers 404.
ACCESS = {
    "anonymous": {
        "my_cases": 302,
        "my_case": 302,
        "correct": 302,
        "withdraw": 302,
        "file": 302,
        "step": 302,
        "check": 302,
        "queue": 302,
        "staff_case": 302,
        "window": 302,
    },
    "applicant": {
        "my_cases": 200,
        "my_case": 200,
        "correct": 302,
        "withdraw": 200,
        "file": 200,
        "step": 200,
        "check": 200,
    },
    "other": {"my_cases": 200},
    "intake": {"my_cases": 302, "queue": 200, "staff_case": 200, "window": 200, "file": 200},
    "reviewer": {"my_cases": 302, "queue": 200, "staff_case": 200, "file": 200},
    "outsider": {"my_cases": 302, "queue": 200, "window": 200},
}


@pytest.mark.parametrize("who", sorted(ACCESS))
def test_authorization_table(client, world, who):
    case = submitted_case(world)
    draft = ready_to_submit(world)
    urls = _urls(case, draft, case.application.attachments.get())
    if who != "anonymous":
        if world[who].kind == "staff":
            login_verified(client, world[who])
        else:
            client.force_login(world[who])
    for name, url in urls.items():
        expected = ACCESS[who].get(name, 404)
        assert client.get(url).status_code == expected, (who, name)
    # and nothing was changed by looking
    assert Case.objects.get(pk=case.pk).status == Case.Status.PENDING_INTAKE
    assert CaseEvent.objects.filter(case=case).count() == 1
