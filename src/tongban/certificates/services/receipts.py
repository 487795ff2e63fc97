"""电子票据: the fiscal receipt of a non-tax payment, issued into the payer's wallet.

``payments`` (above ``certificates``) calls ``issue_receipt`` once an order is paid; the
receipt is a certificate of the department's receipt type (created on first use), sealed and
numbered like any other, so the wallet, the PDF and verification treat it the same way.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongban.core.types import User
from tongban.departments.models import Department

from ..models import Certificate, CertificateType, HolderKind
from .issuing import Holder, _issue

RECEIPT_PREFIX = "FSPJ"  # 财政票据
RECEIPT_FIELDS = {
    "type": "object",
    "properties": {
        "payment_code": {"title": "缴款码"},
        "order_number": {"title": "缴款单号"},
        "payer": {"title": "缴款人"},
        "subject": {"title": "收费项目"},
        "amount": {"title": "金额（元）"},
        "channel": {"title": "缴款渠道"},
        "paid_at": {"title": "缴款时间"},
        "collector": {"title": "收款单位"},
    },
    "required": ["payment_code", "amount"],
}


def receipt_type(department: Department) -> CertificateType:
    ctype, _created = CertificateType.objects.get_or_create(
        code=f"{RECEIPT_PREFIX}{department.uscc}",
        defaults={
            "name": "非税收入电子票据",
            "department": department,
            "holder_kind": HolderKind.PERSON,
            "field_schema": RECEIPT_FIELDS,
            "template": CertificateType.Template.PROOF,
        },
    )
    return ctype


@transaction.atomic
def issue_receipt(
    *, department: Department, payer: User, holder_name: str, fields: dict, actor: User | None = None
) -> Certificate:
    """One receipt, held by ``payer``; the caller makes sure it is issued once per payment."""
    ctype = receipt_type(department)
    today: dt.date = timezone.localdate()
    return _issue(
        ctype=ctype,
        holder=Holder(HolderKind.PERSON, holder_name, payer.id_number or "", user=payer),
        fields=fields,
        valid_from=today,
        valid_until=None,
        origin=Certificate.Origin.RECEIPT,
        actor=actor,
    )
