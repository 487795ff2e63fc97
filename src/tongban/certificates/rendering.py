"""Printable certificates: a PDF (WeasyPrint, Noto CJK fonts) with the seal and a QR code.

The QR code carries the verification page address, which contains the identifier, so a phone
camera opens the verification at once and a reader can still type the identifier printed below.
Everything shown comes from the signed content, not from editable columns.
"""

import json

import segno
from django.template.loader import render_to_string

from .models import Certificate, CertificateType
from .selectors import _status_of

TEMPLATES = {
    CertificateType.Template.LICENCE: "certificates/documents/licence.html",
    CertificateType.Template.PROOF: "certificates/documents/proof.html",
}


def qr_data_uri(text: str) -> str:
    return segno.make_qr(text, error="m", mask=3).svg_data_uri(scale=4, border=2, dark="#000")


def field_rows(certificate: Certificate, content: dict) -> list[tuple[str, str]]:
    values = content.get("fields") or {}
    titles = dict((name, prop.get("title", name)) for name, prop in certificate.type.fields)
    return [(titles.get(name, name), values[name]) for name in titles if name in values] + [
        (name, value) for name, value in values.items() if name not in titles
    ]


def render_pdf(certificate: Certificate) -> bytes:
    from django.utils import timezone
    from weasyprint import HTML

    content = json.loads(certificate.payload)
    status, reason, _ = _status_of(certificate, timezone.localdate())
    html = render_to_string(
        TEMPLATES.get(certificate.type.template, TEMPLATES[CertificateType.Template.LICENCE]),
        {
            "certificate": certificate,
            "content": content,
            "rows": field_rows(certificate, content),
            "qr": qr_data_uri(content["verify_url"]),
            "kid": certificate.seal_key.kid,
            "fingerprint": certificate.signature[:16],
            "status": status,
            "reason": reason,
        },
    )
    return HTML(string=html).write_pdf()


SAMPLE_HOLDERS = {
    "person": ("张三（样本）", "110101********1234"),
    "enterprise": ("示例科技有限公司（样本）", "91510000MA6********"),
}


def sample_content(ctype: CertificateType) -> dict:
    """What a licence of this type would carry, filled with sample values, for the type's preview."""
    from django.utils import timezone

    today = timezone.localdate()
    until = ctype.valid_until(today)
    # Never a real identifier or verification address: a sample must not verify as a licence.
    identifier = f"1.2.156.3005.2.{ctype.code}.{ctype.department.uscc}.（样本）"
    name, number = SAMPLE_HOLDERS.get(ctype.holder_kind, SAMPLE_HOLDERS["person"])
    return {
        "identifier": identifier,
        "version": 1,
        "type": {"code": ctype.code, "name": ctype.name},
        "issuer": {"name": ctype.department.name, "uscc": ctype.department.uscc},
        "holder": {"kind": ctype.holder_kind, "name": name, "number": number},
        "fields": {key: f"（{prop.get('title', key)}）" for key, prop in ctype.fields},
        "valid_from": today.isoformat(),
        "valid_until": until.isoformat() if until else None,
        "issued_at": timezone.localtime().isoformat(timespec="seconds"),
        "replaces": None,
        "verify_url": "样本 · 仅供预览，不可核验",
    }


def preview_html(ctype: CertificateType) -> str:
    """The type's printable document with sample values and a 样本 mark (same template as issuing)."""
    content = sample_content(ctype)
    titles = [(prop.get("title", key), content["fields"][key]) for key, prop in ctype.fields]
    return render_to_string(
        TEMPLATES.get(ctype.template, TEMPLATES[CertificateType.Template.LICENCE]),
        {
            "content": content,
            "rows": titles,
            "qr": qr_data_uri(content["verify_url"]),
            "kid": "样本",
            "fingerprint": "样本",
            "status": "valid",
            "reason": "",
            "preview": True,
        },
    )


def preview_pdf(ctype: CertificateType) -> bytes:
    from weasyprint import HTML

    return HTML(string=preview_html(ctype)).write_pdf()
