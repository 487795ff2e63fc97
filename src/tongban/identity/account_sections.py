"""Extra sections of the "my account" page contributed by other parts of identity.

Single sign-on registers "connected department systems" here from its AppConfig.ready():
``register_section("oidc/connected_apps.html", lambda request: {...})``. A section whose
context function returns None is left out.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

_SECTIONS: list[tuple[str, Callable[[HttpRequest], dict[str, Any] | None]]] = []


def register_section(template_name: str, get_context: Callable[[HttpRequest], dict[str, Any] | None]) -> None:
    if all(existing != template_name for existing, _ in _SECTIONS):
        _SECTIONS.append((template_name, get_context))


def render_sections(request: HttpRequest) -> list[str]:
    rendered = []
    for template_name, get_context in _SECTIONS:
        context = get_context(request)
        if context is not None:
            rendered.append(render_to_string(template_name, context, request=request))
    return rendered
