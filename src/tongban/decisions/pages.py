"""The 秒批 panel on the case pages (registered in ``cases.panels``)."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from tongban.cases.models import Case

from . import selectors
from .models import HumanReview


def case_panel(request: HttpRequest, case: Case, page: str) -> str:
    """The decision, the licence it issued and the way to the “why”; staff also see an open
    human review with its deadline."""
    record = selectors.decision_of(case)
    if record is None:
        return ""
    from tongban.certificates.models import Certificate

    certificates = (
        list(Certificate.objects.filter(case=case).select_related("type")) if not case.is_open else []
    )
    open_review = (
        HumanReview.objects.filter(case=case, status=HumanReview.Status.OPEN).first()
        if page == "staff"
        else None
    )
    context = {
        "record": record,
        "case": case,
        "page": page,
        "certificates": certificates,
        "open_review": open_review,
    }
    return render_to_string("decisions/_panel.html", context, request=request)
