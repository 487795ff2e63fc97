"""Panels that apps above ``cases`` add to the case pages (the 秒批 decision and its “why”).

Like ``steps``: a higher app registers a ``CasePanel`` from its ``AppConfig.ready``; the
submission's confirmation page (``done``), the applicant's case page (``applicant``) and the
staff case page (``staff``) render every panel's HTML for the case and the viewer, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .models import Case

PAGES = ("done", "applicant", "staff")


@dataclass(frozen=True)
class CasePanel:
    name: str
    # The panel's HTML for this case, viewer and page (one of PAGES), "" for none.
    render: Callable[[HttpRequest, "Case", str], str]


_panels: dict[str, CasePanel] = {}


def register(panel: CasePanel) -> CasePanel:
    if panel.name in _panels:
        raise ValueError(f"case panel {panel.name!r} is already registered")
    _panels[panel.name] = panel
    return panel


def render(request: HttpRequest, case: "Case", page: str) -> list[SafeString]:
    """The registered panels' HTML for ``page`` (each panel escapes what it renders)."""
    if page not in PAGES:
        raise ValueError(page)
    return [mark_safe(html) for panel in _panels.values() if (html := panel.render(request, case, page))]  # noqa: S308 (rendered by the panel's own template)
