"""Uploads are checked as the whole type they claim (issue 19, finding 10 and Build point 8).

Every hostile file the outside test got accepted is made here in code (no binaries in git):
a PDF whose /OpenAction runs JavaScript, a JPEG header followed by a Windows program, a
40000×40000 PNG decompression bomb, a PDF with a 300 MB Flate stream; and the variants around
them (a program after a real PNG or JPEG, launch actions, attachments, encrypted PDFs, damaged
files). Ordinary files still pass, and an image is stored re-encoded: its size and SHA-256 are
those of the stored bytes.
"""

import hashlib
import io
import socket
import threading
import tracemalloc
import zlib

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from tests.cases.conftest import PDF, PNG, fill
from tests.cases.test_api import create, login
from tongban.cases import services
from tongban.cases.models import Application, Attachment
from tongban.cases.uploads import check_upload
from tongban.core.errors import InvalidInput

# A stand-in Windows program: the DOS stub and PE header every .exe starts with, then code bytes.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    + b"\x00" * 7
    + b"PE\x00\x00\x4c\x01\x03\x00"
    + bytes(range(256)) * 16
)
EXE_MARK = b"This program cannot be run in DOS mode"


def upload(content: bytes, name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refused(content: bytes, name: str = "材料.pdf") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_upload(upload(content, name))
    assert caught.value.field == "file"
    return caught.value


def deflate_zeros(chunk: int, count: int) -> bytes:
    """A valid zlib stream of chunk × count zero bytes, made without compressing them all:
    after a full flush each chunk compresses to the same block, so it is repeated."""
    compressor = zlib.compressobj(9)
    zeros = bytes(chunk)
    head = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(count):
        checksum = zlib.adler32(zeros, checksum)
    return head + block * (count - 1) + b"\x03\x00" + checksum.to_bytes(4, "big")


def stream(data: bytes, entries: bytes = b"/Filter/FlateDecode") -> bytes:
    return b"<</Length %d%s>>\nstream\n%s\nendstream" % (len(data), entries, data)


def build_pdf(catalog: bytes = b"", page: bytes = b"", objects: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF with a correct cross-reference table; extra objects are numbered from 4."""
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + page + b">>",
        *objects,
    ]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, start)
    return out


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def picture(fmt: str, size=(24, 16), mode="RGB", **options) -> bytes:
    image = Image.new(mode, size, "#3366cc" if mode == "RGB" else 128)
    image.putpixel((0, 0), (255, 0, 0) if mode == "RGB" else 0)
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def stored_bytes(checked) -> bytes:
    checked.content.seek(0)
    return checked.content.read()


# ---------------------------------------------------------------- the outside test's files


def test_finding_a_pdf_whose_open_action_runs_javascript_is_refused():
    hostile = build_pdf(b"/OpenAction 4 0 R", objects=(b"<</S/JavaScript/JS(app.alert('pwned'))>>",))
    assert pypdf.PdfReader(io.BytesIO(hostile)).pages  # a well-formed PDF: only its content is wrong
    error = refused(hostile)
    assert "JavaScript" in error.message and "不能接收" in error.message and error.code == "unsafe_pdf"


def test_finding_a_jpeg_header_followed_by_a_windows_program_is_refused():
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    error = refused(header + EXE, "照片.jpg")
    assert "无法作为JPG 图片打开" in error.message and error.code == "damaged"


def test_finding_a_40000_by_40000_png_bomb_is_refused_before_any_pixel_is_decoded():
    row = 1 + 40000 // 8  # filter byte + one bit per pixel
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", (40000).to_bytes(4, "big") * 2 + b"\x01\x00\x00\x00\x00")
        + png_chunk(b"IDAT", deflate_zeros(row * 200, 200))
        + png_chunk(b"IEND", b"")
    )
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        error = refused(bomb, "身份证.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "图片尺寸过大" in error.message and "50 百万像素" in error.message
    assert peak < 20 * 1024 * 1024  # 1.6 gigapixels were never decoded


def test_finding_a_pdf_with_a_300_mb_flate_stream_is_refused_with_bounded_memory(settings):
    bomb_stream = deflate_zeros(1 << 20, 300)
    hostile = build_pdf(b"", b"/Contents 4 0 R", objects=(stream(bomb_stream),))
    assert len(hostile) < 320_000
    error = refused(hostile)
    assert "解压后过大的数据流" in error.message and error.code == "unsafe_pdf"
    settings.TONGBAN_UPLOAD_PDF_MAX_STREAM_BYTES = 4 * 1024 * 1024
    tracemalloc.start()
    try:
        refused(hostile)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # the reader stopped near the limit, never held 300 MB


def test_finding_a_program_after_a_real_png_does_not_survive():
    original = picture("PNG")
    checked = check_upload(upload(original + EXE, "图.png"))
    stored = stored_bytes(checked)
    assert EXE_MARK not in stored and b"MZ\x90" not in stored
    assert stored.endswith(png_chunk(b"IEND", b""))
    assert checked.content_type == "image/png" and checked.content.name.endswith(".png")
    assert checked.size == len(stored) and checked.sha256 == hashlib.sha256(stored).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (24, 16) and image.getpixel((0, 0)) == (255, 0, 0)


def test_a_program_after_a_real_jpeg_does_not_survive():
    checked = check_upload(upload(picture("JPEG") + EXE, "照片.jpg"))
    stored = stored_bytes(checked)
    assert EXE_MARK not in stored and stored.endswith(b"\xff\xd9")
    assert checked.content_type == "image/jpeg" and checked.content.name.endswith(".jpg")
    assert checked.size == len(stored) and checked.sha256 == hashlib.sha256(stored).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (24, 16)


def test_a_program_after_a_whole_pdf_is_refused():
    error = refused(PDF + EXE)
    assert "%%EOF" in error.message and "附加了其他数据" in error.message and error.code == "trailing_data"
    assert check_upload(upload(PDF + b"\r\n\x00\x00")).content_type == "application/pdf"  # padding is fine


# ---------------------------------------------------------------- PDFs: active content


@pytest.mark.parametrize(
    ("catalog", "page", "objects", "named"),
    [
        pytest.param(
            b"/Names<</JavaScript 4 0 R>>",
            b"",
            (b"<</Names[(start) 5 0 R]>>", b"<</S/JavaScript/JS 6 0 R>>", stream(b"app.alert(1)", b"")),
            "JavaScript",
            id="javascript-name-tree",
        ),
        pytest.param(b"", b"/AA<</O<</S/JavaScript/JS(this.print())>>>>", (), "JavaScript", id="page-aa"),
        pytest.param(
            b"/OpenAction<</S/Launch/F(cmd.exe)/Win<</F(cmd.exe)/P(/c calc)>>>>",
            b"",
            (),
            "/Launch",
            id="launch",
        ),
        pytest.param(
            b"/Names<</EmbeddedFiles<</Names[(setup.exe) 4 0 R]>>>>",
            b"",
            (b"<</Type/Filespec/F(setup.exe)/EF<</F 5 0 R>>>>", stream(b"MZ", b"/Type/EmbeddedFile")),
            "嵌入的附件文件",
            id="embedded-files",
        ),
        pytest.param(
            b"",
            b"/Annots[4 0 R]",
            (
                b"<</Type/Annot/Subtype/FileAttachment/Rect[0 0 20 20]/FS 5 0 R>>",
                b"<</Type/Filespec/F(a.exe)/EF<</F 6 0 R>>>>",
                stream(b"MZ", b"/Type/EmbeddedFile"),
            ),
            "嵌入的附件文件",
            id="file-attachment-annotation",
        ),
        pytest.param(
            b"/AcroForm<</Fields[]/XFA 4 0 R>>", b"", (stream(b"<xdp:xdp/>", b""),), "XFA", id="xfa-form"
        ),
        pytest.param(
            b"",
            b"/AA<</O<</S 4 0 R/F(calc.exe)>>>>",
            (b"/Launch",),
            "/Launch",
            id="action-type-behind-a-reference",
        ),
        pytest.param(
            b"",
            b"",
            (b"<</S/JavaScript/JS(app.alert(1))>>",),
            "JavaScript",
            id="javascript-in-an-object-nothing-points-to",
        ),
    ],
)
def test_pdfs_with_scripts_launch_actions_or_attachments_are_refused_naming_what_was_found(
    catalog, page, objects, named
):
    error = refused(build_pdf(catalog, page, objects))
    assert named in error.message and error.code == "unsafe_pdf"
    assert "请另存为或打印为普通 PDF" in error.message


def test_javascript_hidden_in_a_compressed_object_stream_is_found():
    import pydyf  # WeasyPrint's PDF writer, which puts objects in compressed object streams

    pdf = pydyf.PDF()
    action = pydyf.Dictionary({"S": "/JavaScript", "JS": pydyf.String("app.alert(1)")})
    pdf.add_object(action)
    pdf.catalog["OpenAction"] = action.reference
    pdf.add_page(
        pydyf.Dictionary(
            {"Type": "/Page", "Parent": pdf.pages.reference, "MediaBox": pydyf.Array([0, 0, 595, 842])}
        )
    )
    out = io.BytesIO()
    pdf.write(out, version=b"1.7", compress=True)
    hostile = out.getvalue()
    assert b"/ObjStm" in hostile and b"JavaScript" not in hostile  # invisible to a byte search
    assert "JavaScript" in refused(hostile).message


def test_a_pdf_with_several_findings_names_each():
    hostile = build_pdf(
        b"/OpenAction<</S/JavaScript/JS(1)/Next<</S/Launch/F(x.exe)>>>>",
        objects=(b"<</Type/Filespec/F(a.exe)/EF<</F 5 0 R>>>>", stream(b"MZ", b"/Type/EmbeddedFile")),
    )
    message = refused(hostile).message
    assert "JavaScript 脚本、启动外部程序的动作（/Launch）、嵌入的附件文件" in message


def test_many_streams_each_under_the_limit_are_refused_past_the_total(settings):
    settings.TONGBAN_UPLOAD_PDF_MAX_STREAM_BYTES = 1024 * 1024
    settings.TONGBAN_UPLOAD_PDF_MAX_TOTAL_BYTES = 3 * 1024 * 1024
    one = stream(deflate_zeros(900 * 1024, 1))
    hostile = build_pdf(b"", b"/Contents[4 0 R 5 0 R 6 0 R 7 0 R]", objects=(one, one, one, one))
    assert "解压后过大的数据流" in refused(hostile).message
    settings.TONGBAN_UPLOAD_PDF_MAX_TOTAL_BYTES = 4 * 1024 * 1024
    assert check_upload(upload(hostile)).content_type == "application/pdf"


@pytest.mark.parametrize("user_password", ["1234", ""], ids=["open-password", "permissions-only"])
def test_encrypted_pdfs_are_refused(user_password):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    error = refused(out.getvalue())
    assert "PDF 文件已加密" in error.message and error.code == "encrypted"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"%PDF-1.7\n" + EXE, id="pdf-header-then-a-program"),
        pytest.param(PDF[:120], id="cut-short"),
        pytest.param(
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
            b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
            id="no-page",
        ),
    ],
)
def test_a_file_that_is_not_a_whole_pdf_is_refused(content):
    error = refused(content)
    assert "无法作为PDF打开" in error.message and error.code == "damaged"


def test_an_ordinary_pdf_from_the_projects_renderer_passes_and_is_stored_as_sent():
    from weasyprint import HTML

    original = HTML(string="<h1>营业执照</h1><p>统一社会信用代码：91110000MA00000000</p>").write_pdf()
    checked = check_upload(upload(original, "营业执照.pdf"))
    assert stored_bytes(checked) == original
    assert checked.size == len(original) and checked.sha256 == hashlib.sha256(original).hexdigest()
    assert checked.content_type == "application/pdf" and checked.display_name == "营业执照.pdf"


def test_an_ordinary_pdf_with_a_link_and_compressed_objects_passes():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_uri(0, "https://example.org/", [10, 10, 100, 30])
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    assert check_upload(upload(out.getvalue())).content_type == "application/pdf"


# ---------------------------------------------------------------- images


def test_the_pixel_limit_is_checked_from_the_header_and_is_configurable(settings):
    header_only = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", (8000).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00")
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 8001))
        + png_chunk(b"IEND", b"")
    )
    assert "图片尺寸过大" in refused(header_only, "a.png").message  # 64 MP, under Pillow's own limit
    settings.TONGBAN_UPLOAD_MAX_PIXELS = 300
    assert "图片尺寸过大" in refused(picture("PNG", size=(20, 20)), "a.png").message
    assert check_upload(upload(picture("PNG", size=(20, 15)), "a.png")).content_type == "image/png"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        pytest.param(picture("PNG", size=(200, 200))[:-40], "PNG", id="png-cut-short"),
        pytest.param(PNG[:33] + PNG[33:45].replace(b"IDAT", b"IDAU") + PNG[45:], "PNG", id="png-bad-chunk"),
        pytest.param(PNG[:-5] + b"\x00\x00\x00\x00\x00", "PNG", id="png-bad-crc"),
        pytest.param(picture("JPEG", size=(200, 200))[:300], "JPG", id="jpeg-cut-short"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + picture("JPEG"), "PNG", id="png-signature-on-a-jpeg"),
    ],
)
def test_an_image_that_does_not_decode_fully_is_refused(content, kind):
    error = refused(content, "图.png")
    assert f"无法作为{kind} 图片打开" in error.message and error.code == "damaged"


def test_exif_orientation_is_applied_and_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "定位相机"  # Make
    original = picture("JPEG", size=(40, 20), exif=exif.tobytes(), comment=b"secret note")
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif()[0x0112] == 6 and before.info.get("comment") == b"secret note"
    stored = stored_bytes(check_upload(upload(original, "照片.jpg")))
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (20, 40)
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    assert b"secret note" not in stored


def test_png_text_is_stripped_and_the_colour_profile_and_transparency_kept():
    info = PngInfo()
    info.add_text("Author", "张三 13800000000")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, icc_profile=profile)
    stored = stored_bytes(check_upload(upload(out.getvalue(), "图.png")))
    with Image.open(io.BytesIO(stored)) as clean:
        assert "Author" not in clean.info and clean.info.get("icc_profile") == profile
        assert clean.mode == "RGBA" and clean.getpixel((5, 5)) == (0, 0, 0, 0)


def test_ordinary_images_pass_with_their_type_and_extension():
    for fmt, mime, ext in (("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png")):
        checked = check_upload(upload(picture(fmt), f"照片{ext}"))
        assert checked.content_type == mime and checked.content.name.endswith(ext)
        assert checked.display_name == f"照片{ext}"
    greyscale = check_upload(upload(picture("JPEG", mode="L"), "a.jpg"))
    with Image.open(io.BytesIO(stored_bytes(greyscale))) as image:
        assert image.mode == "L"


# ---------------------------------------------------------------- through the service, the API and ClamAV


def test_the_attachment_records_the_stored_bytes_and_staff_never_get_the_program(world, client):
    w = world
    draft = services.start_application(user=w["applicant"], item=w["item"])
    attachment = services.attach_file(
        user=w["applicant"],
        application=draft,
        requirement=w["material"],
        upload=upload(picture("JPEG") + EXE, "营业执照.jpg"),
    )
    attachment.file.open("rb")
    stored = attachment.file.read()
    attachment.file.close()
    assert EXE_MARK not in stored
    assert attachment.size == len(stored) and attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.content_type == "image/jpeg" and attachment.file.name.endswith(".jpg")
    with pytest.raises(InvalidInput, match="JavaScript"):
        services.attach_file(
            user=w["applicant"],
            application=draft,
            requirement=w["material"],
            upload=upload(build_pdf(b"/OpenAction<</S/JavaScript/JS(1)>>")),
        )
    assert list(Attachment.objects.filter(application=draft)) == [attachment]


def test_the_api_refuses_a_hostile_upload_with_the_chinese_reason(client, world):
    login(client, world["applicant"])
    body = create(client, world["item"])
    application = Application.objects.get(public_id=body["id"])
    client.patch(
        f"/api/v1/applications/{body['id']}",
        {"data": fill(application), "step": 1},
        content_type="application/json",
    )
    url = f"/api/v1/applications/{body['id']}/materials/{world['material'].pk}"
    response = client.post(url, {"file": upload(build_pdf(b"/OpenAction<</S/Launch/F(cmd.exe)>>"))})
    assert 400 <= response.status_code < 500
    assert "启动外部程序的动作" in response.content.decode()
    assert not application.attachments.exists()
    assert client.post(url, {"file": upload(PDF)}).status_code == 201


class FakeClamd:
    """A clamd that answers INSTREAM with a fixed verdict and keeps what it was sent."""

    def __init__(self, path, verdict: bytes):
        self.received = b""
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.verdict = verdict
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.server.accept()
        with conn:
            data = b""
            while not data.endswith(b"\x00\x00\x00\x00"):
                part = conn.recv(65536)
                if not part:
                    break
                data += part
            self.received = data
            conn.sendall(b"stream: " + self.verdict + b"\0")
        self.server.close()


@pytest.mark.parametrize(("verdict", "accepted"), [(b"OK", True), (b"Win.Test.EICAR_HDB-1 FOUND", False)])
def test_clamav_still_scans_when_configured(settings, tmp_path, verdict, accepted):
    clamd = FakeClamd(tmp_path / "clamd.sock", verdict)
    settings.TONGBAN_CLAMAV = f"unix:{tmp_path / 'clamd.sock'}"
    if accepted:
        assert check_upload(upload(PDF)).content_type == "application/pdf"
    else:
        assert refused(PDF).code == "infected"
    clamd.thread.join(5)
    assert clamd.received.startswith(b"zINSTREAM\0") and PDF in clamd.received
