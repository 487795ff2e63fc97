"""Files handed to the user to save: one response shape for every app's pages and API."""

from urllib.parse import quote

from django.http import HttpResponse


def file_response(body: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file to save: UTF-8 name, never cached or sniffed."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
