"""A case's letter as PDF, for whoever may see the case (``documents.render_case_document``
checks; an outsider's NotFound becomes the 404 page in ``core.middleware``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from tongban.core.downloads import file_response

from .documents import render_case_document


@login_required
def case_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    filename, pdf = render_case_document(request.user, number, kind)
    return file_response(pdf, filename, "application/pdf")
