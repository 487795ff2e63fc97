"""Checks on uploaded material files (DESIGN §6).

Size is limited, the type comes from the file's content (never its name or the browser's
claim), names are never trusted (files get random names; the shown name is cleaned), and a
ClamAV daemon scans each file when ``TONGBAN_CLAMAV`` is configured (``unix:/path`` or
``tcp:host:port``).

A file must also be whole and harmless as the type it claims (issue 19): images are decoded
under a pixel limit and re-encoded, so what is stored is only the picture (EXIF orientation
applied; EXIF, XMP, comments and any bytes after the image are dropped; the colour profile is
kept); PDFs are parsed with pypdf and refused when they carry JavaScript, launch actions,
embedded files or a stream that decompresses past a limit, when anything follows their last
``%%EOF``, or when they are encrypted (staff must be able to open every page, and an encrypted
file cannot be looked into). A PDF is stored as sent: nothing in it is rewritten.
"""

import hashlib
import io
import os
import re
import socket
import struct
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pypdf
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from tongban.core.errors import InvalidInput

ALLOWED = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]
_UNSAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff（）()\-. ]+")
# The one Pillow decoder each image type may be opened with (a phone's JPEG with a second
# picture opens as MPO through the JPEG decoder; only the first picture is kept).
_DECODER = {"image/jpeg": "JPEG", "image/png": "PNG"}
_NOT_WHOLE = "文件已损坏或不完整，无法作为{kind}打开，请重新导出或重新扫描后上传。"


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    display_name: str
    content_type: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "TONGBAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def max_image_pixels() -> int:
    return int(getattr(settings, "TONGBAN_UPLOAD_MAX_PIXELS", 50_000_000))


def max_pdf_stream_bytes() -> int:
    """Largest decompressed size of one PDF stream (a scanned A4 page at 600 dpi fits)."""
    return int(getattr(settings, "TONGBAN_UPLOAD_PDF_MAX_STREAM_BYTES", 100 * 1024 * 1024))


def max_pdf_total_bytes() -> int:
    """Largest decompressed size of all a PDF's streams together: bounds the work per upload."""
    return int(getattr(settings, "TONGBAN_UPLOAD_PDF_MAX_TOTAL_BYTES", 400 * 1024 * 1024))


def sniff_type(head: bytes) -> str | None:
    for magic, mime in SIGNATURES:
        if head.startswith(magic):
            return mime
    return None


def clean_display_name(name: str, extension: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._")[:60] or "材料"
    return f"{stem}{extension}"


def check_upload(upload: UploadedFile) -> CheckedFile:
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise InvalidInput(f"文件过大：单个文件不能超过 {limit // (1024 * 1024)} MB。", field="file")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"文件过大：单个文件不能超过 {limit // (1024 * 1024)} MB。", field="file")
    if not data:
        raise InvalidInput("文件是空的，请重新选择。", field="file")
    mime = sniff_type(data[:16])
    if mime is None:
        raise InvalidInput("只能上传 PDF、JPG 或 PNG 文件（按文件内容判断，改扩展名无效）。", field="file")
    if mime == "application/pdf":
        check_pdf(data)
        stored = data
    else:
        stored = reencode_image(data, mime)
    scan_for_viruses(data)
    extension = ALLOWED[mime]
    return CheckedFile(
        content=ContentFile(stored, name=f"{uuid.uuid4().hex}{extension}"),
        display_name=clean_display_name(upload.name or "", extension),
        content_type=mime,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
    )


# ---------------------------------------------------------------- images


def reencode_image(data: bytes, mime: str) -> bytes:
    """Decode the whole image under the pixel limit and return it freshly encoded.

    The size is checked from the header before any pixel is decoded, so a small file that
    claims a huge canvas (a decompression bomb) costs nothing. Re-encoding keeps only the
    picture: whatever followed it in the file (an appended program) and its metadata are gone.
    """
    kind = "JPG 图片" if mime == "image/jpeg" else "PNG 图片"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_DECODER[mime]]) as probe:
                _check_pixels(probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[_DECODER[mime]]) as image:
                _check_pixels(image.size)
                image.load()
                picture = ImageOps.exif_transpose(image)
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInput(_NOT_WHOLE.format(kind=kind), field="file", code="damaged") from exc
    return _encode(picture, mime, icc_profile=image.info.get("icc_profile"))


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidInput(_NOT_WHOLE.format(kind="图片"), field="file", code="damaged")
    if width * height > max_image_pixels():
        raise _too_many_pixels()


def _too_many_pixels() -> InvalidInput:
    megapixels = max_image_pixels() // 1_000_000
    return InvalidInput(
        f"图片尺寸过大：不能超过 {megapixels} 百万像素，请缩小后再上传。",
        field="file",
        code="too_many_pixels",
    )


def _encode(picture: Image.Image, mime: str, icc_profile: bytes | None) -> bytes:
    """Write only the pixels (and the colour profile) in the same format."""
    transparency = picture.info.get("transparency")
    clean = picture.copy()
    clean.info = {}
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    if mime == "image/jpeg":
        if clean.mode not in {"L", "RGB", "CMYK"}:
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=90, optimize=True, **options)
    else:
        if transparency is not None and clean.mode in {"P", "L", "RGB"}:
            options["transparency"] = transparency
        clean.save(out, format="PNG", **options)
    return out.getvalue()


# ---------------------------------------------------------------- PDFs

_PDF_FINDINGS = {
    "javascript": "JavaScript 脚本",
    "launch": "启动外部程序的动作（/Launch）",
    "embedded": "嵌入的附件文件",
    "xfa": "XFA 动态表单（可含脚本）",
    "oversized": "解压后过大的数据流（疑似压缩炸弹）",
}


def check_pdf(data: bytes) -> None:
    """Parse the whole PDF and refuse active content, attachments and oversized streams.

    pypdf is pure Python (no native parser meets hostile bytes) and bounds every decoder it
    has (Flate, LZW, run-length, object streams) through its configuration, which is set here
    per call (a context variable, so requests do not share it). Each stream is decoded once,
    without caching, and its size counted against a per-stream and a per-file limit.
    """
    stream_limit = max_pdf_stream_bytes()
    limits = {
        "zlib_maximum_output_length": stream_limit,
        "lzw_maximum_output_length": stream_limit,
        "run_length_maximum_output_length": stream_limit,
        "jbig2_maximum_output_length": stream_limit,
        "brotli_maximum_output_length": stream_limit,
        "image_maximum_buffer_size": stream_limit,
        "stream_decoding_work_maximum_length": stream_limit,
        "maximum_declared_stream_length": min(stream_limit, max_upload_bytes()),
        "jbig2dec_binary": None,
    }
    found: set[str] = set()
    try:
        with pypdf.apply_configuration(**limits), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise InvalidInput(
                    "PDF 文件已加密（设有打开密码或权限限制），工作人员无法查看。请去掉密码后再上传。",
                    field="file",
                    code="encrypted",
                )
            if len(reader.pages) < 1:
                raise InvalidInput(_NOT_WHOLE.format(kind="PDF"), field="file", code="damaged")
            decoded_total = 0
            for obj in _all_objects(reader):
                found |= _active_content(obj)
                if isinstance(obj, StreamObject):
                    decoded_total += _decoded_size(obj)
                    if decoded_total > max_pdf_total_bytes():
                        found.add("oversized")
                        break
    except InvalidInput:
        raise
    except LimitReachedError:
        found.add("oversized")
    except Exception as exc:  # hostile bytes can fail the parser in many ways: each is a refusal
        raise InvalidInput(_NOT_WHOLE.format(kind="PDF"), field="file", code="damaged") from exc
    if found:
        what = "、".join(_PDF_FINDINGS[key] for key in _PDF_FINDINGS if key in found)
        raise InvalidInput(
            f"PDF 文件含有{what}，出于安全原因不能接收。请另存为或打印为普通 PDF（不含脚本和附件）后再上传。",
            field="file",
            code="unsafe_pdf",
        )
    if not data.rstrip(b"\r\n\t\f \x00").endswith(b"%%EOF"):
        raise InvalidInput(
            "PDF 文件结尾（%%EOF）之后还附加了其他数据，不是完整的 PDF，不能接收。请重新导出后上传。",
            field="file",
            code="trailing_data",
        )


def _all_objects(reader: pypdf.PdfReader) -> Iterator[object]:
    """Every object the file holds (through its cross-reference tables, reachable or not),
    then every dictionary and array nested directly inside them."""
    numbers = {(num, gen) for gen, entries in reader.xref.items() for num in entries}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    for num, gen in sorted(numbers):
        if num == 0:
            continue
        pending = [reader.get_object(IndirectObject(num, gen, reader))]
        while pending:
            obj = pending.pop()
            yield obj
            if isinstance(obj, DictionaryObject):
                pending.extend(v for v in obj.values() if isinstance(v, DictionaryObject | ArrayObject))
            elif isinstance(obj, ArrayObject):
                pending.extend(v for v in obj if isinstance(v, DictionaryObject | ArrayObject))


def _active_content(obj: object) -> set[str]:
    if not isinstance(obj, DictionaryObject):
        return set()
    found = set()
    keys = set(obj.keys())
    action, subtype, kind = (_resolved(obj, key) for key in ("/S", "/Subtype", "/Type"))
    if "/JS" in keys or "/JavaScript" in keys or action == NameObject("/JavaScript"):
        found.add("javascript")
    if action == NameObject("/Launch") or "/Launch" in keys:
        found.add("launch")
    if (
        "/EmbeddedFiles" in keys
        or "/EF" in keys
        or subtype == NameObject("/FileAttachment")
        or kind == NameObject("/EmbeddedFile")
        or action == NameObject("/GoToE")
    ):
        found.add("embedded")
    if "/XFA" in keys:
        found.add("xfa")
    return found


def _resolved(obj: DictionaryObject, key: str) -> object:
    """The value under key, followed if it is a reference (a hostile file may write /S 7 0 R)."""
    value = obj.get(key)
    return value.get_object() if isinstance(value, IndirectObject) else value


def _decoded_size(stream: StreamObject) -> int:
    """Decode one stream under the configured limits (a bomb stops at the limit)."""
    try:
        size = len(decode_stream_data(stream))
    except (DependencyError, NotImplementedError):
        size = len(stream._data)  # a filter pypdf does not run here (JBIG2): count the stored bytes
    if size > max_pdf_stream_bytes():
        raise LimitReachedError(f"stream of {size} bytes")
    return size


def scan_for_viruses(data: bytes) -> None:
    """Scan with clamd's INSTREAM command when configured; refuse infected files."""
    target = getattr(settings, "TONGBAN_CLAMAV", "") or os.environ.get("TONGBAN_CLAMAV", "")
    if not target:
        return
    kind, _, address = target.partition(":")
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connect_to: object = address
    else:
        host, _, port = address.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connect_to = (host, int(port))
    sock.settimeout(30)
    try:
        sock.connect(connect_to)
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(data), 65536):
            chunk = data[start : start + 65536]
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    except OSError as exc:
        raise InvalidInput(
            "病毒扫描服务暂不可用，请稍后再上传。", field="file", code="scan_unavailable"
        ) from exc
    finally:
        sock.close()
    if b"FOUND" in reply:
        raise InvalidInput("文件未通过病毒扫描，已拒收。", field="file", code="infected")
