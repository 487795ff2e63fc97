"""Letters worded per item type, the 受理回执, and the admin pages that edit the wording."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from tests.cases.conftest import staff
from tests.cases.test_flow import submitted_case
from tests.factories import DepartmentFactory, PublishedItemFactory, login_verified
from tongban.cases import document_templates as wording_of
from tongban.cases import services
from tongban.cases.documents import available_documents, render_case_document
from tongban.cases.models import DocumentTemplate
from tongban.catalog.models import CaseKind, ItemType
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is installed by make test"
)
Kind = DocumentTemplate.Kind
BENEFIT_BASIS = "《失业保险条例》第十条\n《中华人民共和国社会保险法》第四十五条"


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())  # CJK lines wrap anywhere: compare without whitespace


def _typed(world, item_type: str, legal_basis: str = ""):
    item = world["item"]
    item.item_type = item_type
    item.legal_basis = legal_basis
    item.save(update_fields=["item_type", "legal_basis"])
    return world


def _decided(w, grant: bool, reason: str = "经核查，申请人符合条件。"):
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    services.review_case(actor=w["reviewer"], case=case, opinion="已核查")
    services.decide_case(actor=w["decider"], case=case, grant=grant, reason=reason)
    return case


# Wording per item type -------------------------------------------------------------------------


@needs_poppler
def test_a_benefit_decision_says_给付_with_its_own_basis_and_never_行政许可(world, tmp_path):
    w = _typed(world, "05", BENEFIT_BASIS)
    case = _decided(w, grant=True)
    assert [k.title for k in available_documents(case) if k.slug == "decision"] == ["给付决定书"]
    name, pdf = render_case_document(w["applicant"], case.number, "decision")
    text = _text(pdf, tmp_path)
    assert name.endswith("给付决定书.pdf")
    assert "给付决定书" in text and "予以给付" in text and "《失业保险条例》第十条" in text
    assert "行政许可" not in text and "许可" not in name
    assert "行政复议" not in text  # a grant takes nothing away
    for kind in ("receipt", "acceptance"):
        assert "行政许可" not in _text(render_case_document(w["applicant"], case.number, kind)[1], tmp_path)


@needs_poppler
def test_a_denied_benefit_states_the_reason_the_basis_and_the_remedies(world, tmp_path):
    w = _typed(world, "05", BENEFIT_BASIS)
    case = _decided(w, grant=False, reason="申请人未办理失业登记。")
    text = _text(render_case_document(w["applicant"], case.number, "decision")[1], tmp_path)
    assert "不予给付决定书" in text and "申请人未办理失业登记" in text and "《失业保险条例》第十条" in text
    assert "行政许可" not in text
    assert "六十日内" in text and "行政复议" in text and "六个月内" in text and "行政诉讼" in text
    assert "《中华人民共和国行政复议法》第二十条" in text and "《中华人民共和国行政诉讼法》第四十六条" in text


@needs_poppler
def test_a_licence_cites_the_licensing_law(world, tmp_path):
    w = _typed(world, "01", "《中华人民共和国食品安全法》第三十五条")
    granted = _decided(w, grant=True, reason="经营场所与设施符合要求。")
    text = _text(render_case_document(w["applicant"], granted.number, "decision")[1], tmp_path)
    assert "准予行政许可决定书" in text and "经营场所与设施符合要求" in text
    assert (
        "《中华人民共和国行政许可法》第三十八条第一款" in text
        and "《中华人民共和国食品安全法》第三十五条" in text
    )
    assert "行政复议" not in text
    accepted = _text(render_case_document(w["applicant"], granted.number, "acceptance")[1], tmp_path)
    assert "第三十二条第一款第（五）项" in accepted and "第四十二条" in accepted
    denied = _decided(w, grant=False, reason="经营场所不符合要求。")
    text = _text(render_case_document(w["applicant"], denied.number, "decision")[1], tmp_path)
    assert "不予行政许可决定书" in text and "第三十八条第二款" in text and "行政复议" in text


@needs_poppler
def test_a_public_service_has_no_review_clause_and_no_licence_words(world, tmp_path):
    w = _typed(world, "20")
    case = _decided(w, grant=False, reason="所需资料不全。")
    text = _text(render_case_document(w["applicant"], case.number, "decision")[1], tmp_path)
    assert "办理结果通知书" in text and "不予办理" in text and "12345" in text
    assert "行政复议" not in text and "行政诉讼" not in text and "行政许可" not in text
    refused = submitted_case(w)
    services.refuse_case(actor=w["intake"], case=refused, reason="不属于本机关办理范围。")
    refused.refresh_from_db()
    assert [k.title for k in available_documents(refused)] == ["不予受理通知书"]
    text = _text(render_case_document(w["applicant"], refused.number, "refusal")[1], tmp_path)
    assert "不予受理通知书" in text and "不属于本机关办理范围" in text and "行政复议" not in text


@needs_poppler
def test_a_refused_confirmation_is_a_不予确认通知书(world, tmp_path):
    w = _typed(world, "07", "《婚姻登记条例》第四条")
    case = _decided(w, grant=False, reason="材料显示的信息不一致。")
    text = _text(render_case_document(w["applicant"], case.number, "decision")[1], tmp_path)
    assert "不予确认通知书" in text and "《婚姻登记条例》第四条" in text and "行政许可" not in text


@pytest.mark.parametrize("item_type", ItemType.values)
def test_every_default_is_safe_and_worded_for_its_type(item_type):
    for kind in Kind.values:
        title, body = wording_of.default_wording(item_type, kind)
        wording_of.clean_wording(title, body)  # the shipped text passes the admins' own check
        assert wording_of.has_remedy(item_type, kind) == (wording_of.remedy(title) in body)
        if item_type != "01":
            assert "行政许可" not in title + body
        against = kind in {Kind.REFUSAL, Kind.DENY}
        if item_type == "20":
            assert "行政复议" not in body
        elif against:
            assert wording_of.remedy(title) in body
        elif kind != Kind.GRANT or item_type != "09":
            assert "行政复议" not in body
    title, body = wording_of.default_wording("09", Kind.GRANT)
    assert "如不服本裁决，可以自收到本裁决书之日起六十日内" in body  # a 裁决 binds both sides
    assert "自收到本通知书之日起" in wording_of.default_wording("07", Kind.DENY)[1]


# 受理回执 ----------------------------------------------------------------------------------------


@needs_poppler
def test_the_receipt_exists_once_accepted_and_states_what_was_received(world, client, tmp_path):
    w = world
    case = submitted_case(w)
    with pytest.raises(NotFound):
        render_case_document(w["applicant"], case.number, "receipt")
    url = reverse("case_documents:download", args=[case.number, "receipt"])
    client.force_login(w["applicant"])
    assert client.get(url).status_code == 404
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    assert "receipt" in [k.slug for k in available_documents(case)]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(response.content, tmp_path)
    id_number = w["applicant"].id_number
    assert "受理回执" in text and case.number in text and "张三" in text and "食品经营许可" in text
    assert id_number not in text and id_number[:3] in text and id_number[-2:] in text  # masked
    assert "营业执照复印件" in text and "区行政审批局" in text
    assert f"{case.promised_due.year}年{case.promised_due.month}月{case.promised_due.day}日" in text
    assert f"/my/cases/{case.number}/" in text
    assert "第三十二条第二款" in text  # a licence's written proof of acceptance
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "doc.pdf")], capture_output=True, text=True
    ).stdout
    assert len(images.strip().splitlines()) >= 3  # header, rule, the QR code
    client.force_login(w["other"])
    assert client.get(url).status_code == 404


# Admin editing -------------------------------------------------------------------------------------


@pytest.fixture
def editors(world):
    department = world["department"]
    return {
        "catalogue": staff(department, "catalogue", name="事项管理员"),
        "platform": staff(DepartmentFactory(name="数据管理局"), "platform_admin", name="系统管理员"),
        "elsewhere": staff(DepartmentFactory(name="区卫生健康局"), "catalogue", name="他部门管理员"),
    }


def _edit_url(world, kind="grant", item_type="01", scope=None):
    scope = scope or str(world["department"].pk)
    return reverse("cases:document_template", args=[scope, item_type, kind])


def test_a_catalogue_admin_rewords_a_letter_and_new_letters_use_it(world, editors, client):
    w = world
    earlier = _decided(w, grant=True)
    login_verified(client, editors["catalogue"])
    index = client.get(reverse("cases:document_templates")).content.decode()
    assert "准予行政许可决定书" in index and _edit_url(w) in index
    page = client.get(_edit_url(w)).content.decode()
    assert "准予行政许可决定书" in page and "第三十八条第一款" in page and "letter-preview" in page
    response = client.post(
        _edit_url(w),
        {
            "action": "save",
            "version": "0",
            "title": "准予食品经营许可决定书",
            "body": "{{ 申请人 }}申请的{{ 事项名称 }}，经审查符合条件，准予行政许可。",
        },
    )
    assert response.status_code == 302
    saved = DocumentTemplate.objects.get(department=w["department"], item_type="01", kind="grant")
    assert saved.version == 1 and saved.created_by == editors["catalogue"]
    case = _decided(w, grant=True)
    assert [k.title for k in available_documents(case) if k.slug == "decision"] == ["准予食品经营许可决定书"]
    name, _ = render_case_document(w["applicant"], case.number, "decision")
    assert name.endswith("准予食品经营许可决定书.pdf")
    # a letter issued before the change keeps the words it was issued with
    assert [k.title for k in available_documents(earlier) if k.slug == "decision"] == ["准予行政许可决定书"]
    assert render_case_document(w["applicant"], earlier.number, "decision")[0].endswith(
        "准予行政许可决定书.pdf"
    )
    # a second save is a new version; a stale form is refused
    client.post(_edit_url(w), {"action": "save", "version": "1", "title": "第二版", "body": "正文"})
    stale = client.post(_edit_url(w), {"action": "save", "version": "1", "title": "第三版", "body": "正文"})
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
    assert list(
        DocumentTemplate.objects.filter(department=w["department"], kind="grant").values_list(
            "version", flat=True
        )
    ) == [2, 1]


@needs_poppler
def test_preview_renders_the_unsaved_text_as_html_and_pdf(world, editors, client, tmp_path):
    w = world
    login_verified(client, editors["catalogue"])
    preview = reverse("cases:document_template_preview", args=[str(w["department"].pk), "01", "grant"])
    fragment = client.post(
        preview, {"title": "预览标题", "body": "致{{ 申请人 }}：{{ 实施机关 }}"}
    ).content.decode()
    assert "预览标题" in fragment and "致张三：区行政审批局" in fragment
    deny = reverse("cases:document_template_preview", args=[str(w["department"].pk), "01", "deny"])
    assert (
        "未能提供符合规定的证明材料"
        in client.post(deny, {"title": "t", "body": "{{ 决定理由 }}"}).content.decode()
    )
    response = client.post(_edit_url(w), {"action": "pdf", "title": "预览标题", "body": "{{ 事项名称 }}"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "预览标题" in _text(response.content, tmp_path) and "食品经营许可" in _text(
        response.content, tmp_path
    )
    assert not DocumentTemplate.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "{% load static %}{% debug %}",
        "{{ settings.SECRET_KEY }}",
        "{{ case.applicant.password }}",
        "{# 注释 #}正文",
        "正文 }} {{",
        "<script>alert(1)</script>",
    ],
)
def test_unsafe_template_input_is_refused_with_a_chinese_message_and_nothing_saved(
    world, editors, client, body
):
    w = world
    login_verified(client, editors["catalogue"])
    response = client.post(_edit_url(w), {"action": "save", "version": "0", "title": "标题", "body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "占位符" in page or "模板标签" in page or "HTML" in page
    assert not DocumentTemplate.objects.exists()
    preview = reverse("cases:document_template_preview", args=[str(w["department"].pk), "01", "grant"])
    fragment = client.post(preview, {"title": "标题", "body": body}).content.decode()
    assert 'role="alert"' in fragment and "SECRET" not in fragment.replace(body, "")


def test_who_may_edit(world, editors, client):
    w = world
    login_verified(client, editors["elsewhere"])  # 事项管理 of another department
    assert client.get(_edit_url(w)).status_code == 404
    assert client.post(_edit_url(w), {"action": "save", "title": "x", "body": "y"}).status_code == 404
    client.logout()
    login_verified(client, w["intake"])  # same department, wrong role
    assert client.get(reverse("cases:document_templates")).status_code == 403
    response = client.post(_edit_url(w), {"action": "save", "title": "x", "body": "y"})
    assert response.status_code == 403 and "事项管理" in response.content.decode()
    client.logout()
    login_verified(client, editors["catalogue"])  # platform wording is not a department's
    assert client.get(_edit_url(w, scope="platform")).status_code == 403
    assert client.get(_edit_url(w, item_type="05")).status_code == 404  # no such items here
    client.logout()
    client.force_login(w["applicant"])
    assert client.get(reverse("cases:document_templates")).status_code == 404
    assert client.get(_edit_url(w)).status_code == 404
    client.logout()
    assert client.get(_edit_url(w)).status_code == 302
    assert not DocumentTemplate.objects.exists()
    with pytest.raises(PermissionDenied):
        wording_of.save_wording(
            actor=w["intake"], department=w["department"], item_type="01", kind="grant", title="x", body="y"
        )


def test_platform_wording_applies_unless_a_department_overrides_it(world, editors, client):
    w = world
    other_item = PublishedItemFactory(
        department=DepartmentFactory(name="区人力资源和社会保障局"), item_type="01"
    )
    login_verified(client, editors["platform"])
    assert (
        client.post(
            _edit_url(w, kind="acceptance", scope="platform"),
            {
                "action": "save",
                "version": "0",
                "title": "行政许可受理通知书",
                "body": "已受理{{ 事项名称 }}。",
            },
        ).status_code
        == 302
    )
    assert wording_of.wording("01", Kind.ACCEPTANCE, other_item.department).title == "行政许可受理通知书"
    wording_of.save_wording(
        actor=editors["catalogue"],
        department=w["department"],
        item_type="01",
        kind=Kind.ACCEPTANCE,
        title="本局受理通知书",
        body="已受理。",
    )
    assert wording_of.wording("01", Kind.ACCEPTANCE, w["department"]).title == "本局受理通知书"
    assert wording_of.wording("01", Kind.ACCEPTANCE, other_item.department).title == "行政许可受理通知书"
    assert wording_of.wording("05", Kind.ACCEPTANCE, w["department"]).title == "受理通知书"
    with pytest.raises(InvalidInput):
        wording_of.save_wording(
            actor=editors["platform"], department=None, item_type="01", kind="grant", title="", body="y"
        )


@needs_poppler
def test_an_instant_item_has_its_decision_from_the_moment_it_is_accepted(world, tmp_path):
    w = _typed(world, "07", "《社会保险法》第五十八条")
    item = w["item"]
    item.case_kind, item.promised_limit = CaseKind.INSTANT, 0
    item.save(update_fields=["case_kind", "promised_limit"])
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    case.refresh_from_db()
    assert case.status == case.Status.CONCLUDED
    assert [(k.slug, k.title) for k in available_documents(case)] == [
        ("receipt", "受理回执"),
        ("acceptance", "受理通知书"),
        ("decision", "确认决定书"),
    ]
    text = _text(render_case_document(w["applicant"], case.number, "decision")[1], tmp_path)
    assert "予以确认" in text and "《社会保险法》第五十八条" in text and "审核意见：申请材料齐全" in text
