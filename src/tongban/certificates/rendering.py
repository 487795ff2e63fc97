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
