"""The form editor's preview: a definition rendered with the apply pages' own fields.

Registered into ``tongban.forms.preview`` by the app config; every step is shown on one page,
conditional fields with their "仅当…时填写" note, nothing can be submitted. Fields the platform
fills from the applicant's account (``x-prefill``) show a made-up sample, as applicants see them.
"""

from django.http import HttpRequest
from django.template.loader import render_to_string

from .forms import SectionForm, steps_of

SAMPLES = {
    "person.name": "张三",
    "person.id_number": "11010519491231002X",
    "person.mobile": "13800000000",
    "enterprise.name": "示例商贸有限公司",
    "enterprise.uscc": "91110000600037341L",
}


def render_preview(request: HttpRequest, schema: dict, layout: dict) -> str:
    props = schema.get("properties") or {}
    saved = {name: SAMPLES[p["x-prefill"]] for name, p in props.items() if p.get("x-prefill") in SAMPLES}
    steps = []
    for step in steps_of(schema, layout):
        form = SectionForm(
            schema=schema, layout=layout, names=step.fields, saved=saved, prefilled=set(saved), show_all=True
        )
        steps.append({"step": step, "form": form})
    return render_to_string("cases/partials/form_preview.html", {"steps": steps}, request=request)
