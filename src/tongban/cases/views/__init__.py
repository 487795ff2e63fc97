"""Pages of applying and processing, one module per use case: thin — parse, call a service
or selector, render. Service errors become pages in ``core.middleware`` (NotFound → 404).

- ``applying``: one-time notice, form steps, materials, check, confirmation (online and window)
- ``mine``: my cases, a case's timeline, correction, withdrawal
- ``processing``: the staff queue, the case page and its actions, claim and release
- ``counter``: 一窗受理's start
- ``downloads``: material files through the permission check
"""

from .applying import Flow, apply_check, apply_done, apply_materials, apply_notice, apply_step
from .counter import window
from .downloads import attachment_file
from .mine import my_case, my_case_correct, my_case_withdraw, my_cases
from .processing import staff_act, staff_case, staff_claim, staff_queue, staff_release

__all__ = [
    "Flow",
    "apply_check",
    "apply_done",
    "apply_materials",
    "apply_notice",
    "apply_step",
    "attachment_file",
    "my_case",
    "my_case_correct",
    "my_case_withdraw",
    "my_cases",
    "staff_act",
    "staff_case",
    "staff_claim",
    "staff_queue",
    "staff_release",
    "window",
]
