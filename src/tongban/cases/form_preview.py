"""The form editor's preview: a definition rendered with the apply pages' own fields.

Registered into ``tongban.forms.preview`` by the app config; every step is shown on one page,
conditional fields with their "仅当…时填写" note, nothing can be submitted.
"""

from django.http import HttpRequest
from django.template.loader import render_to_string

from .forms import SectionForm, steps_of


def render_preview(request: HttpRequest, schema: dict, layout: dict) -> str:
    steps = []
    for step in steps_of(schema, layout):
        form = SectionForm(schema=schema, layout=layout, names=step.fields, saved={}, show_all=True)
        steps.append({"step": step, "form": form})
    return render_to_string("cases/partials/form_preview.html", {"steps": steps}, request=request)
