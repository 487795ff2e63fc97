"""The public 一件事 page's 一次告知: guidance questions (a GET form) and the merged notice.

``notice_context`` is added to the life-event page (web): it reads the bundle, the answers and
the chosen 办理地 from the query string and returns the plan the template shows. Without
answers the questions' defaults apply, so the page is complete before anything is chosen.
"""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from tongban.regions.models import Region

from . import selectors
from .bundles import answers_from
from .models import LifeEvent

APPLY_PATH = "/yijianshi/{slug}/apply/"  # served by cases (issue 13, engineer F1)


def region_choices(bundle: LifeEvent) -> list[Region]:
    """Where the bundle can be looked at: its own region and its siblings (other counties)."""
    if bundle.region_id is None:
        return []
    region = bundle.region
    if region.parent_id is None:
        return [region]
    return list(Region.objects.filter(parent_id=region.parent_id, level=region.level).order_by("code"))


def notice_context(request: HttpRequest, slug: str) -> dict[str, Any]:
    bundle = selectors.get_bundle(slug)
    questions = list(bundle.questions.all())
    answers = answers_from(request.GET, questions)
    regions = region_choices(bundle)
    codes = {r.code for r in regions}
    chosen = request.GET.get("region", "")
    region_code = chosen if chosen in codes else (bundle.region.code if bundle.region_id else None)
    plan = selectors.bundle_plan(bundle, answers, region_code=region_code)
    query = {
        f"q{q.pk}": "yes" if answer else "no"
        for q, answer in ((a.question, a.answer) for a in plan.questions)
    }
    if region_code:
        query["region"] = region_code
    separate = plan.separate_material_count
    return {
        "bundle": bundle,
        "plan": plan,
        "regions": regions,
        "region_code": region_code,
        "answered": bool(answers),
        "apply_url": APPLY_PATH.format(slug=bundle.slug) + "?" + urlencode(query),
        "material_count": len(plan.upload_materials),
        "separate_material_count": separate,
    }
