"""Extension point: opening the window-visit rating when a ticket is served.

Ratings come after appointments in the app order, so appointments cannot call them; ratings
registers its opener here from ``AppConfig.ready`` (the model of ``cases.steps``). The opener
takes the clerk, the window's department and the item and returns the visit's token, which
the ticket keeps so that the person finds "评价本次服务" on their ticket and booking pages.
"""

import uuid
from collections.abc import Callable

from tongban.catalog.models import ServiceItem
from tongban.core.types import User
from tongban.departments.models import Department

type VisitOpener = Callable[[User, Department, ServiceItem], uuid.UUID]

_OPENERS: list[VisitOpener] = []


def register_visit_opener(opener: VisitOpener) -> None:
    _OPENERS[:] = [opener]


def open_visit(clerk: User, department: Department, item: ServiceItem) -> uuid.UUID | None:
    """The rating token of the served visit, or None when no rating app is installed."""
    return _OPENERS[0](clerk, department, item) if _OPENERS else None
