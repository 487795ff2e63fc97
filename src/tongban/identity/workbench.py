"""The staff home page (``/staff/``) as an extension point.

Identity owns the address and the sign-in rules of the staff area but cannot read cases or
ratings (they come later in the app order), so the workbench with the department's figures is
registered by the top layer (``web``) from its AppConfig.ready(). Without a registration the
plain list of roles is shown.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_HOME: list[Callable[[HttpRequest], HttpResponse]] = []


def register_home(view: Callable[[HttpRequest], HttpResponse]) -> None:
    _HOME[:] = [view]


def registered_home() -> Callable[[HttpRequest], HttpResponse] | None:
    return _HOME[0] if _HOME else None
