import shutil
import subprocess

import pytest

from tongban.certificates.rendering import render_pdf

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils is installed by make test"
)


def _run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_the_pdf_shows_the_chinese_text_the_seal_and_the_qr_code(issued, world, tmp_path):
    pdf = render_pdf(issued)
    path = tmp_path / "licence.pdf"
    path.write_bytes(pdf)
    text = _run("pdftotext", "-layout", str(path), "-")
    squeezed = "".join(text.split())
    for expected in (
        "食品经营许可证",
        "张三",
        "申请开办餐饮店",
        world["department"].name,
        "电子印章",
        issued.identifier,
    ):
        assert expected in squeezed, expected
    assert "核验真伪" in text
    fonts = _run("pdffonts", str(path))
    assert "CJK" in fonts
    _run("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    _run("pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "gray"))
    gray = next(tmp_path.glob("gray*.pgm")).read_bytes()
    pixels = _pgm_pixels(gray)
    dark = sum(1 for p in pixels if p < 128)
    assert png.stat().st_size > 3000
    # not blank: a good share of dark pixels (text, frame, QR code), and not boxes only
    assert 0.01 < dark / len(pixels) < 0.5


def _pgm_pixels(data: bytes) -> bytes:
    """The pixel bytes of a binary PGM (P5) image."""
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5" and parts[3] == b"255"
    return parts[4]


@needs_poppler
def test_a_revoked_certificate_prints_as_void(issued, world, tmp_path):
    from tongban.certificates import services

    services.revoke_certificate(actor=world["issuer"], certificate=issued, reason="违法经营")
    issued.refresh_from_db()
    path = tmp_path / "void.pdf"
    path.write_bytes(render_pdf(issued))
    assert "已失效" in _run("pdftotext", str(path), "-")
