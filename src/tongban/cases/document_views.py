from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from tongban.core.errors import NotFound

from .documents import render_case_document


@login_required
def case_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    try:
        filename, pdf = render_case_document(request.user, number, kind)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
