"""Showing a case's ID and mobile numbers in full to staff (DESIGN §6, issue 19 finding 5).

Staff pages and the staff API show them masked. Whoever needs a number in full says why, in one
action; the read is logged in the data-access log under the case with that purpose, so the
applicant sees it in "谁用了我的数据". A reveal without a purpose is refused.
"""

from django.db import transaction

from tongban.core.errors import InvalidInput
from tongban.core.types import User
from tongban.identity.selectors import log_case_read

from .. import access, selectors
from ..models import Case

REVEALED_FIELDS = ("身份证号码", "手机号码")
PURPOSE_MAX = 200


@transaction.atomic
def reveal_identifiers(*, actor: User, case: Case, purpose: str) -> dict[str, str]:
    """The case's ID and mobile numbers in full, by field; one logged read with ``purpose``."""
    access.check_reveal(actor, case)
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput("请说明查看完整号码的用途。", field="purpose")
    if len(purpose) > PURPOSE_MAX:
        raise InvalidInput(f"用途最多 {PURPOSE_MAX} 个字。", field="purpose")
    log_case_read(actor, case, purpose, REVEALED_FIELDS)
    return selectors.personal_identifiers(case)
