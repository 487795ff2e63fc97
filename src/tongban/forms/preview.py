"""How the form editor shows a definition as applicants see it.

The apply pages (the cases app, above this one) own the rendering of a definition's fields;
they register it here, so the editor's preview is those very pages' widgets without this app
importing them. Until one registers, the preview lists the fields as plain text.
"""

from collections.abc import Callable

from django.http import HttpRequest

# (request, schema, layout) -> HTML of every step of the form, as the applicant sees it
Renderer = Callable[[HttpRequest, dict, dict], str]
_renderer: Renderer | None = None


def register(renderer: Renderer) -> None:
    global _renderer
    _renderer = renderer


def render(request: HttpRequest, schema: dict, layout: dict) -> str | None:
    return _renderer(request, schema, layout) if _renderer is not None else None
