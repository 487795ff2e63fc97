"""好差评 pages: thin — parse, call a service or selector, render.

Citizens rate a finished case once, add one 追评 and rate again after a rectification
(``rating``); a person at the window rates a visit through its QR code without signing in
(``window``); department staff call back and rectify bad ratings (``follow_up``) and appeal
malicious ones, which supervisors decide (``appeals``); supervisors see overdue follow-ups and
export (``supervision``); everyone sees the rankings (``public``). Who may do what is asked of
``ratings.access``, the rules the services check; outsiders get 404 (they learn nothing).
No JavaScript is needed.
"""

from .appeals import appeal_decide, staff_appeal, staff_received
from .common import Due, RateForm, due_state, level_choices, scores_shown, task_row
from .follow_up import TASK_FILTERS, staff_task, staff_tasks
from .public import Period, parse_period, period_choices, rankings
from .rating import my_rating, rate_case, re_rate
from .supervision import export, supervision
from .window import visit_rate, window_open, window_visit

__all__ = [
    "TASK_FILTERS",
    "Due",
    "Period",
    "RateForm",
    "appeal_decide",
    "due_state",
    "export",
    "level_choices",
    "my_rating",
    "parse_period",
    "period_choices",
    "rankings",
    "rate_case",
    "re_rate",
    "scores_shown",
    "staff_appeal",
    "staff_received",
    "staff_task",
    "staff_tasks",
    "supervision",
    "task_row",
    "visit_rate",
    "window_open",
    "window_visit",
]
