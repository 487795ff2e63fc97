"""The labels of the catalogue's national codes, by kind, for the API and the public pages.

Built once: a ``get_FOO_display()`` call rebuilds and translates the field's whole choice list.
Labels stay lazy, so each is translated into the active language when it is shown.
"""

from .models import (
    Audience,
    CaseKind,
    Channel,
    ItemType,
    LimitUnit,
    MaterialRequirement,
    OnlineDepth,
    ServiceItem,
    ServiceObject,
)

LABELS = {
    kind: {str(value): label for value, label in choices.choices}
    for kind, choices in {
        "service_object": ServiceObject,
        "channel": Channel,
        "material_form": MaterialRequirement.Form,
        "necessity": MaterialRequirement.Necessity,
        "source": MaterialRequirement.Source,
        "item_type": ItemType,
        "case_kind": CaseKind,
        "limit_unit": LimitUnit,
        "online_depth": OnlineDepth,
        "result_type": ServiceItem.ResultType,
        "audience": Audience,
    }.items()
}


def code_label(kind: str, value: object) -> str | None:
    """The label of ``value`` among the codes of ``kind``, in the active language; None if unknown."""
    found = LABELS[kind].get(str(value))
    return str(found) if found is not None else None
