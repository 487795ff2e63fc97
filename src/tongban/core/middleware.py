"""Service errors become pages in one place.

Views call services and let their errors pass: ``NotFound`` is answered as the site's 404
page, ``PermissionDenied`` as a 403 and any other ``ServiceError`` (an ``InvalidInput`` that the
view did not show beside its form, a conflict) as a page with the service's Chinese message and
its status. Views that render a form catch ``InvalidInput`` themselves to show it with the form
again; nothing else needs a ``try``. The API maps the same errors in ``tongban.api``.
"""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import NotFound, ServiceError


class ServiceErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ServiceError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            # Raised here, Django's own handler renders 404.html as for any other missing page.
            raise Http404(exception.message) from exception
        return render(
            request,
            "service_error.html",
            {"message": exception.message, "status": exception.status},
            status=exception.status,
        )
