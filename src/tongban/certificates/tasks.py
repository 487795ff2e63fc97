"""Background work of certificates (django.tasks, run by the worker of ``tongban serve``).

- ``issue_case_certificates``: 出证 for a concluded case, enqueued by ``services.on_case_event``
  after the step committed (never in the staff member's request). A failed attempt is retried
  with back-off (1, 2, 4 … minutes, ``MAX_ATTEMPTS`` in all); ``tongban tick``'s
  ``certificates.issue_pending`` issues whatever is still missing after that.
- ``render_wallet_attachment``: the sealed PDF of a wallet certificate attached as a material
  (免提交, ``reuse``), enqueued in the transaction that wrote the pending attachment row.

Both are idempotent: a task that runs twice finds its work done.
"""

import datetime as dt
import logging

from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@task()
def issue_case_certificates(case_id: int, attempt: int = 1, actor_id: int | None = None) -> int:
    """The staff member who concluded (``actor_id``) is named in the certificates' events."""
    from django.contrib.auth import get_user_model

    from tongban.cases.models import Case

    from .services import issue_for_case

    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return len(issue_for_case(case, actor))
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            raise
        logger.exception("issuing certificates for case %s failed; retrying later", case.number)
        retry = issue_case_certificates.using(
            run_after=timezone.now() + dt.timedelta(minutes=2 ** (attempt - 1))
        )
        if retry.get_backend().supports_defer:
            retry.enqueue(case_id, attempt + 1, actor_id)
        return 0


@task()
def render_wallet_attachment(attachment_id: int) -> bool:
    from .reuse import fill_attachment

    return fill_attachment(attachment_id)
