from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from tongban.core.downloads import file_response
from tongban.core.errors import NotFound

from .documents import render_case_document


@login_required
def case_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    try:
        filename, pdf = render_case_document(request.user, number, kind)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return file_response(pdf, filename, "application/pdf")
