"""Template helpers for the public pages: code lists shown as their national labels."""

from django import template
from django.utils.translation import gettext as _

from tongban.catalog.models import Channel, MaterialRequirement, ServiceObject

register = template.Library()

_CHOICES = {
    "service_object": ServiceObject,
    "channel": Channel,
    "material_form": MaterialRequirement.Form,
}


@register.filter
def labels(values: list | None, kind: str) -> str:
    """``["1", "2"]|labels:"service_object"`` → "自然人、企业法人"; unknown codes are shown as they are."""
    choices = dict(_CHOICES[kind].choices)
    # Translators: separator between items of an inline list.
    separator = _("、")
    return separator.join(str(choices.get(str(value), value)) for value in values or [])
