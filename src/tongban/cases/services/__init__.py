"""Every write on applications and cases: one function per use case, each in a transaction,
each checking who may do it. Views and the API only parse input and call these.

One module per use case (applying, window, processing, correcting, withdrawing); what they
share is in ``_common``. Import from here: ``from tongban.cases import services``; the
errors, ``clock`` and ``audit`` stay reachable as attributes as they were on the old module.
"""

from tongban.core import audit
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError

from .. import clock
from ._common import DRAFT_DAYS, RESULT_BY_END, STATUS_BY_END, STATUS_BY_ROLE, Conflict, FormInvalid
from .applying import (
    attach_file,
    attach_held_materials,
    missing_materials,
    prefilled_fields,
    remove_attachment,
    save_draft,
    start_application,
    submit_application,
)
from .correcting import answer_correction, open_correction, request_correction
from .processing import (
    accept_case,
    claim_case,
    conclude_case,
    decide_case,
    end_special_procedure,
    forward_case,
    records_uscc,
    refuse_case,
    release_case,
    review_case,
    start_special_procedure,
)
from .supervising import SUPERVISION_ACTIONS, record_supervision
from .waiting import continue_waiting
from .window import counter_applicant, start_window_application, submit_at_window
from .withdrawing import WITHDRAWABLE, withdraw_case

__all__ = [
    "DRAFT_DAYS",
    "RESULT_BY_END",
    "SUPERVISION_ACTIONS",
    "STATUS_BY_END",
    "STATUS_BY_ROLE",
    "WITHDRAWABLE",
    "Conflict",
    "FormInvalid",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "ServiceError",
    "accept_case",
    "answer_correction",
    "attach_file",
    "attach_held_materials",
    "audit",
    "claim_case",
    "clock",
    "conclude_case",
    "records_uscc",
    "continue_waiting",
    "counter_applicant",
    "decide_case",
    "end_special_procedure",
    "forward_case",
    "missing_materials",
    "record_supervision",
    "open_correction",
    "prefilled_fields",
    "refuse_case",
    "release_case",
    "remove_attachment",
    "request_correction",
    "review_case",
    "save_draft",
    "start_application",
    "start_special_procedure",
    "start_window_application",
    "submit_application",
    "submit_at_window",
    "withdraw_case",
]
