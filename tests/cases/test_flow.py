import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.cases.conftest import PNG, citizen, fill, pdf_upload
from tongban.cases import services
from tongban.cases.access import get_case_for
from tongban.cases.models import Application, Case, CaseEvent
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied


def submitted_case(world, key=None):
    application = services.start_application(user=world["applicant"], item=world["item"])
    services.save_draft(user=world["applicant"], application=application, data=fill(application), step=1)
    services.attach_file(
        user=world["applicant"], application=application, requirement=world["material"], upload=pdf_upload()
    )
    return services.submit_application(user=world["applicant"], application=application, idempotency_key=key)


def test_applying_prefills_from_the_account_and_submits_with_a_case_number(world):
    application = services.start_application(user=world["applicant"], item=world["item"])
    assert application.data["applicant_name"] == "张三"
    assert application.data["applicant_id_number"] == world["applicant"].id_number
    assert services.prefilled_fields(application) >= {"applicant_name", "applicant_id_number", "mobile"}
    # a prefilled value cannot be overwritten by the form
    services.save_draft(user=world["applicant"], application=application, data={"applicant_name": "王五"})
    application.refresh_from_db()
    assert application.data["applicant_name"] == "张三"
    case = submitted_case(world)
    today = timezone.localdate()
    assert case.number == f"{world['item'].region_code}-{today:%Y%m%d}-000001"
    assert case.status == Case.Status.PENDING_INTAKE
    assert (case.current_step, case.current_role) == ("intake", "intake")
    assert case.intake_due is not None
    assert submitted_case(world).number.endswith("-000002")


def test_submit_refuses_incomplete_applications_and_changes_nothing(world):
    application = services.start_application(user=world["applicant"], item=world["item"])
    services.save_draft(user=world["applicant"], application=application, data={"request": "x"})
    with pytest.raises(services.FormInvalid) as exc:
        services.submit_application(user=world["applicant"], application=application)
    assert "address" in exc.value.fields
    services.save_draft(user=world["applicant"], application=application, data=fill(application))
    with pytest.raises(InvalidInput, match="还缺少必要材料：营业执照复印件"):
        services.submit_application(user=world["applicant"], application=application)
    assert not Case.objects.exists()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_double_submit_and_idempotency_key_give_one_case(world):
    case = submitted_case(world, key="k-1")
    again = services.submit_application(
        user=world["applicant"], application=case.application, idempotency_key="k-1"
    )
    plain_again = services.submit_application(user=world["applicant"], application=case.application)
    assert again.pk == case.pk == plain_again.pk
    assert Case.objects.count() == 1
    other = services.start_application(user=world["applicant"], item=world["item"])
    with pytest.raises(services.Conflict, match="幂等键"):
        services.submit_application(user=world["applicant"], application=other, idempotency_key="k-1")


def test_drafts_expire_after_30_days(world):
    application = services.start_application(user=world["applicant"], item=world["item"])
    assert application.expires_at - timezone.now() > dt.timedelta(days=29)
    Application.objects.filter(pk=application.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="30 天"):
        services.save_draft(user=world["applicant"], application=application, data={"request": "x"})


def test_full_promised_path_with_correction(world):
    case = submitted_case(world)
    w = world
    correction = services.request_correction(
        actor=w["intake"],
        case=case,
        notice="营业执照复印件不清晰，联系地址缺门牌号。",
        fields=["address"],
        materials=[w["material"]],
    )
    case.refresh_from_db()
    assert case.status == Case.Status.CORRECTION and case.paused_since is not None
    assert correction.materials.get() == w["material"]
    # the applicant may change only what the notice lists
    with pytest.raises(InvalidInput, match="只能修改"):
        services.answer_correction(
            user=w["applicant"], case=case, data={"request": "改了"}, files={w["material"].pk: pdf_upload()}
        )
    with pytest.raises(InvalidInput, match="请补交：营业执照复印件"):
        services.answer_correction(
            user=w["applicant"],
            case=case,
            data={"address": {"region": "511602", "detail": "建设路 1 号 2 栋"}},
        )
    services.answer_correction(
        user=w["applicant"],
        case=case,
        data={"address": {"region": "511602", "detail": "建设路 1 号 2 栋"}},
        files={w["material"].pk: pdf_upload("清晰版.pdf")},
    )
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_INTAKE and case.paused_since is None
    assert case.data["address"]["detail"] == "建设路 1 号 2 栋"
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW and case.promised_due and case.legal_due
    services.review_case(actor=w["reviewer"], case=case, opinion="材料齐全，符合条件。")
    services.decide_case(actor=w["decider"], case=case, grant=True, reason="符合《食品安全法》第三十五条。")
    case.refresh_from_db()
    assert case.status == Case.Status.PENDING_ISSUE
    services.conclude_case(actor=w["issuer"], case=case, result=Case.Result.ISSUED)
    case.refresh_from_db()
    assert (case.status, case.result) == (Case.Status.CONCLUDED, Case.Result.ISSUED)
    assert case.concluded_at is not None
    titles = list(case.events.filter(public=True).values_list("title", flat=True))
    assert titles == [
        "网上申请提交",
        "一次性告知补正",
        "申请人已补正",
        "受理",
        "审查通过",
        "准予行政许可",
        "办结（出证）",
    ]


@pytest.mark.parametrize(
    ("path", "status", "result"),
    [
        ("refuse", Case.Status.REFUSED, Case.Result.RETURNED),
        ("deny", Case.Status.DENIED, Case.Result.RETURNED),
        ("forward", Case.Status.FORWARDED, Case.Result.FORWARDED),
        ("special", Case.Status.IN_REVIEW, ""),
        ("withdraw", Case.Status.WITHDRAWN, Case.Result.VOIDED),
    ],
)
def test_other_paths(world, path, status, result):
    w = world
    case = submitted_case(w)
    if path == "refuse":
        services.refuse_case(actor=w["intake"], case=case, reason="不属于本机关职权范围。")
    else:
        services.accept_case(actor=w["intake"], case=case)
        if path == "deny":
            services.review_case(actor=w["reviewer"], case=case, opinion="经审查不符合条件。")
            services.decide_case(actor=w["decider"], case=case, grant=False, reason="经营场所不符合要求。")
        elif path == "forward":
            services.forward_case(actor=w["reviewer"], case=case, reason="依法应由市级机关决定。")
        elif path == "special":
            case.refresh_from_db()
            due_before = case.promised_due
            services.start_special_procedure(
                actor=w["reviewer"], case=case, kind="现场核查", notice="将于三日内现场核查。"
            )
            case.refresh_from_db()
            assert case.status == Case.Status.SPECIAL and case.paused_reason == "special"
            services.end_special_procedure(actor=w["reviewer"], case=case, outcome="核查合格。")
            case.refresh_from_db()
            assert case.paused_since is None and case.promised_due >= due_before
        elif path == "withdraw":
            services.withdraw_case(user=w["applicant"], case=case, reason="不再经营。")
    case.refresh_from_db()
    assert (case.status, case.result) == (status, result)


def test_illegal_transitions_are_refused_and_change_nothing(world):
    w = world
    case = submitted_case(w)
    snapshot = Case.objects.values().get(pk=case.pk)
    attempts = [
        lambda: services.review_case(actor=w["reviewer"], case=case, opinion="x"),  # not their step
        lambda: services.decide_case(actor=w["decider"], case=case, grant=True, reason="x"),
        lambda: services.conclude_case(actor=w["issuer"], case=case, result="issued"),
        lambda: services.accept_case(actor=w["outsider"], case=case),  # other department
        lambda: services.refuse_case(actor=w["intake"], case=case, reason=""),  # no reason
        lambda: services.request_correction(actor=w["intake"], case=case, notice="x"),  # nothing listed
        lambda: services.request_correction(actor=w["intake"], case=case, notice="x", fields=["nope"]),
        lambda: services.answer_correction(user=w["applicant"], case=case, data={}),  # no correction open
        lambda: services.withdraw_case(user=w["other"], case=case),  # not theirs
        lambda: services.end_special_procedure(actor=w["reviewer"], case=case, outcome="x"),
        lambda: services.conclude_case(actor=w["issuer"], case=case, result="bogus"),
    ]
    for attempt in attempts:
        with pytest.raises((InvalidInput, PermissionDenied, NotFound, services.Conflict)):
            attempt()
    assert Case.objects.values().get(pk=case.pk) == snapshot
    assert case.events.count() == 1
    services.accept_case(actor=w["intake"], case=case)
    services.review_case(actor=w["reviewer"], case=case, opinion="ok")
    services.decide_case(actor=w["decider"], case=case, grant=True, reason="ok")
    with pytest.raises(services.Conflict, match="不能撤回"):
        services.withdraw_case(user=w["applicant"], case=case)
    services.conclude_case(actor=w["issuer"], case=case, result="issued")
    with pytest.raises(services.Conflict, match="已办结"):
        services.accept_case(actor=w["intake"], case=case)


def test_claim_and_release(world):
    w = world
    case = submitted_case(w)
    second_intake = __import__("tests.cases.conftest", fromlist=["staff"]).staff(w["department"], "intake")
    services.claim_case(actor=w["intake"], case=case)
    with pytest.raises(services.Conflict, match="已由"):
        services.claim_case(actor=second_intake, case=case)
    with pytest.raises(services.Conflict, match="已由"):
        services.accept_case(actor=second_intake, case=case)
    with pytest.raises(services.Conflict, match="自己认领"):
        services.release_case(actor=second_intake, case=case)
    services.release_case(actor=w["intake"], case=case)
    services.claim_case(actor=second_intake, case=case)
    services.accept_case(actor=second_intake, case=case)
    case.refresh_from_db()
    assert case.assignee is None and case.status == Case.Status.IN_REVIEW


def test_stale_version_and_step_are_refused(world):
    w = world
    case = submitted_case(w)
    with pytest.raises(services.Conflict, match="他人"):
        services.accept_case(actor=w["intake"], case=case, expected_version=case.version + 5)
    with pytest.raises(services.Conflict, match="他人处理"):
        services.accept_case(actor=w["intake"], case=case, expected_step="review")


def test_window_intake_records_the_channel(world):
    w = world
    person = citizen("王五")
    application = services.start_window_application(staff=w["intake"], item=w["item"], applicant=person)
    services.save_draft(user=w["intake"], application=application, data=fill(application))
    services.attach_file(
        user=w["intake"], application=application, requirement=w["material"], upload=pdf_upload()
    )
    case = services.submit_application(user=w["intake"], application=application)
    assert case.channel == "1" and case.applicant == person and case.submitted_by == w["intake"]
    assert get_case_for(person, case.number) == case
    with pytest.raises(PermissionDenied):
        services.start_window_application(staff=w["outsider"], item=w["item"], applicant=person)
    with pytest.raises(PermissionDenied):
        services.start_window_application(staff=w["reviewer"], item=w["item"], applicant=person)


def test_applicant_a_cannot_see_or_touch_applicant_bs_case_or_draft(world):
    w = world
    case = submitted_case(w)
    with pytest.raises(NotFound):
        get_case_for(w["other"], case.number)
    with pytest.raises(NotFound):
        get_case_for(w["outsider"], case.number)
    assert get_case_for(w["reviewer"], case.number) == case
    draft = services.start_application(user=w["applicant"], item=w["item"])
    with pytest.raises(NotFound):
        services.save_draft(user=w["other"], application=draft, data={})
    with pytest.raises(NotFound):
        services.attach_file(user=w["other"], application=draft, requirement=None, upload=pdf_upload())
    with pytest.raises(NotFound):
        services.submit_application(user=w["other"], application=draft)


def test_uploads_are_checked_by_content_and_size(world, settings):
    w = world
    draft = services.start_application(user=w["applicant"], item=w["item"])
    exe = pdf_upload("营业执照.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100)
    with pytest.raises(InvalidInput, match="按文件内容判断"):
        services.attach_file(user=w["applicant"], application=draft, requirement=w["material"], upload=exe)
    settings.TONGBAN_UPLOAD_MAX_BYTES = 1024
    big = pdf_upload("大文件.pdf", b"%PDF-1.4\n" + b"0" * 2048)
    with pytest.raises(InvalidInput, match="文件过大"):
        services.attach_file(user=w["applicant"], application=draft, requirement=w["material"], upload=big)
    assert not draft.attachments.exists()
    good = services.attach_file(
        user=w["applicant"],
        application=draft,
        requirement=w["material"],
        upload=pdf_upload("../../etc/passwd<script>.png", PNG),
    )
    assert good.content_type == "image/png"
    assert good.display_name == "passwd_script.png"
    assert "passwd" not in good.file.name and good.file.name.startswith("private/attachments/")


def test_events_record_who_acted(world):
    case = submitted_case(world)
    services.accept_case(actor=world["intake"], case=case)
    event = CaseEvent.objects.filter(case=case, action="accept").get()
    assert event.actor == world["intake"] and event.actor_label.startswith("受理员")


def test_case_numbers_count_per_region_and_day_and_a_rollback_leaves_no_gap(db):
    from django.db import transaction

    from tongban.cases.numbering import next_case_number

    day = dt.date(2026, 11, 23)
    assert next_case_number("511602", day) == "511602-20261123-000001"
    assert next_case_number("511602", day) == "511602-20261123-000002"
    assert next_case_number("511603", day) == "511603-20261123-000001"
    assert next_case_number("511602", day + dt.timedelta(days=1)) == "511602-20261124-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_case_number("511602", day) == "511602-20261123-000003"
        raise RuntimeError
    assert next_case_number("511602", day) == "511602-20261123-000003"


def test_submit_by_public_id_checks_the_owner(world):
    application = services.start_application(user=world["applicant"], item=world["item"])
    with pytest.raises(NotFound):
        services.submit_application(user=world["other"], public_id=application.public_id)
    with pytest.raises(NotFound):
        services.submit_application(user=world["applicant"], public_id=uuid.uuid4())
    services.save_draft(user=world["applicant"], application=application, data=fill(application))
    services.attach_file(
        user=world["applicant"], application=application, requirement=world["material"], upload=pdf_upload()
    )
    case = services.submit_application(user=world["applicant"], public_id=application.public_id)
    assert case.application_id == application.pk and case.applicant == world["applicant"]
