import shutil
import subprocess

import pytest

from tests.cases.test_flow import submitted_case
from tongban.cases import services
from tongban.cases.documents import available_documents, render_case_document
from tongban.core.errors import NotFound

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils is installed by make test"
)


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_decision_letter_is_a_pdf_with_chinese_text_and_embedded_cjk_font(world, tmp_path):
    w = world
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    services.review_case(actor=w["reviewer"], case=case, opinion="符合条件")
    services.decide_case(actor=w["decider"], case=case, grant=True, reason="经营场所与设施符合要求。")
    name, pdf = render_case_document(w["applicant"], case.number, "decision")
    assert pdf.startswith(b"%PDF") and name.endswith("准予行政许可决定书.pdf")
    text = "".join(_text(pdf, tmp_path).split())
    assert "行政许可决定书" in text and "准予行政许可" in text and "经营场所与设施符合要求" in text
    (tmp_path / "d.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "d.pdf")], capture_output=True, text=True).stdout
    assert "CJK" in fonts
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "d.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert len(png) > 2000  # a blank page compresses to a few hundred bytes


def test_letters_exist_only_after_their_step_and_only_for_people_who_may_see_the_case(world):
    w = world
    case = submitted_case(w)
    assert available_documents(case) == []
    with pytest.raises(NotFound):
        render_case_document(w["applicant"], case.number, "acceptance")
    services.request_correction(actor=w["intake"], case=case, notice="请补充地址。", fields=["address"])
    case.refresh_from_db()
    assert [k.slug for k in available_documents(case)] == ["correction"]
    with pytest.raises(NotFound):
        render_case_document(w["other"], case.number, "correction")
    with pytest.raises(NotFound):
        render_case_document(w["outsider"], case.number, "correction")
    with pytest.raises(NotFound):
        render_case_document(w["applicant"], case.number, "no-such-letter")
    _, pdf = render_case_document(w["intake"], case.number, "correction")
    assert pdf.startswith(b"%PDF")


@needs_poppler
def test_refusal_letter_states_the_reason(world, tmp_path):
    w = world
    case = submitted_case(w)
    services.refuse_case(actor=w["intake"], case=case, reason="申请事项不属于本机关职权范围。")
    _, pdf = render_case_document(w["applicant"], case.number, "refusal")
    text = "".join(_text(pdf, tmp_path).split())
    assert "不予受理决定书" in text and "不属于本机关职权范围" in text


def test_download_view_checks_access(world, client):
    w = world
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    url = f"/documents/cases/{case.number}/acceptance.pdf"
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(w["other"])
    assert client.get(url).status_code == 404
    client.force_login(w["applicant"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_staff_reading_a_letter_or_a_material_file_is_in_the_applicants_data_use_log(world, client):
    """Issue 14: staff printing a letter (the applicant's name and ID number) or opening a
    material file read the applicant's data: one log row each, with purpose and case; the
    applicant's own downloads leave none."""
    from tests.factories import login_verified
    from tongban.registries.models import DataAccessLog

    w = world
    case = submitted_case(w)
    services.accept_case(actor=w["intake"], case=case)
    attachment = case.application.attachments.get()
    letter = f"/documents/cases/{case.number}/acceptance.pdf"
    material = f"/files/{attachment.public_id}/"
    client.force_login(w["applicant"])
    assert client.get(letter).status_code == 200
    assert client.get(material).status_code == 200
    assert not DataAccessLog.objects.filter(case_number=case.number).exists()
    login_verified(client, w["intake"])
    assert client.get(letter).status_code == 200
    assert client.get(material).status_code == 200
    rows = DataAccessLog.objects.filter(case_number=case.number).order_by("pk")
    assert [(r.purpose, r.accessor_id, r.subject_id_number, r.channel) for r in rows] == [
        ("出具办件文书", w["intake"].pk, w["applicant"].id_number, "case"),
        ("查阅申请材料", w["intake"].pk, w["applicant"].id_number, "case"),
    ]
    assert rows[1].fields == [w["material"].name]
