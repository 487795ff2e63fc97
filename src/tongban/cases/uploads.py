"""Checks on uploaded material files (DESIGN §6).

Size is limited, the type comes from the file's content (never its name or the browser's
claim), names are never trusted (files get random names; the shown name is cleaned), and a
ClamAV daemon scans each file when ``TONGBAN_CLAMAV`` is configured (``unix:/path`` or
``tcp:host:port``).
"""

import hashlib
import os
import re
import socket
import struct
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

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


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    display_name: str
    content_type: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "TONGBAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


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
    scan_for_viruses(data)
    extension = ALLOWED[mime]
    return CheckedFile(
        content=ContentFile(data, name=f"{uuid.uuid4().hex}{extension}"),
        display_name=clean_display_name(upload.name or "", extension),
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


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
