"""Every write on certificates, one module per use case; this package re-exports them all.

- ``issuing``: a licence's content from its type's fields, sealed and numbered; 出证 from a case
  (``on_case_event`` enqueues a task after commit) and the sweep of what is still missing;
- ``proofs``: 网上开证明 from registry data;
- ``lifecycle``: 吊销 / 注销, 换发 / 补发 and expiry, for the issuing department;
- ``wallet``: 亮证 and 用证 for the holder, and what a third party sees;
- ``certificate_types``: types and their fields for 事项管理;
- ``events``: the hash-chained history every write appends to.

Each function runs in a transaction and checks who may call it with ``certificates.access``
(the rules the pages ask before they offer a button); each change appends a hash-chained
``CertificateEvent``, and verification reads the same rows, so a revocation or a replacement
shows in the very next verification.
"""

from ..access import LIFECYCLE_ROLES, holds, manageable_departments
from ..selectors import online_proof_type as proof_type_for
from .certificate_types import (
    FIELD_KEY_RE,
    SOURCE_KINDS,
    SOURCE_RE,
    FieldSpec,
    field_schema,
    save_certificate_type,
)
from .events import GENESIS, Gone, _lock, log_event, verify_url
from .issuing import (
    Holder,
    _issue,
    build_fields,
    issue_for_case,
    issue_pending,
    next_serial,
    on_case_event,
)
from .lifecycle import expire_due, replace_certificate, revoke_certificate
from .proofs import issue_online_proof
from .receipts import issue_receipt, receipt_type
from .wallet import (
    PRESENT_SALT,
    Presentation,
    open_presentation,
    open_share,
    present_certificate,
    present_seconds,
    revoke_share,
    share_certificate,
    share_max_days,
)

__all__ = [
    "issue_receipt",
    "receipt_type",
    "FIELD_KEY_RE",
    "GENESIS",
    "LIFECYCLE_ROLES",
    "PRESENT_SALT",
    "SOURCE_KINDS",
    "SOURCE_RE",
    "FieldSpec",
    "Gone",
    "Holder",
    "Presentation",
    "_issue",
    "_lock",
    "build_fields",
    "expire_due",
    "field_schema",
    "holds",
    "issue_for_case",
    "issue_online_proof",
    "issue_pending",
    "log_event",
    "manageable_departments",
    "next_serial",
    "on_case_event",
    "open_presentation",
    "open_share",
    "present_certificate",
    "present_seconds",
    "proof_type_for",
    "replace_certificate",
    "revoke_certificate",
    "revoke_share",
    "save_certificate_type",
    "share_certificate",
    "share_max_days",
    "verify_url",
]
