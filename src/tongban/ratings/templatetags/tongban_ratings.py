"""Rating fragments that other apps' pages include: a department's shop figures, an item's
rating on its guide, and the 评价 box on the applicant's case page."""

from typing import Any

from django import template

from tongban.ratings import selectors, services
from tongban.ratings.models import Level, Rating

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """0.9 → "90.0%"; no value (nothing to divide by) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def stars(level: int | None) -> str:
    """Decoration beside the level's name (never shown alone): 2 → "★★☆☆☆"."""
    level = int(level or 0)
    return "★" * level + "☆" * (5 - level)


@register.filter
def share(count: int, total: int) -> str:
    return pct(count / total) if total else "—"


def _distribution(figures: selectors.Figures) -> list[dict]:
    return [{"level": lv.value, "label": lv.label, "count": figures.distribution[lv.value]} for lv in Level]


@register.inclusion_tag("ratings/_department_summary.html")
def department_ratings(department: Any) -> dict:  # noqa: ANN401
    """The 好差评 section of a department's public (shop) page."""
    figures = selectors.department_figures(department)
    return {
        "department": department,
        "figures": figures,
        "distribution": _distribution(figures),
        "comments": selectors.recent_public_comments(department, limit=5) if figures.total else [],
    }


@register.inclusion_tag("ratings/_item_summary.html")
def item_ratings(item: Any) -> dict:  # noqa: ANN401
    """The rating line of an item's guide."""
    figures = selectors.item_figures(item)
    return {"item": item, "figures": figures, "distribution": _distribution(figures)}


@register.inclusion_tag("ratings/_case_box.html", takes_context=True)
def case_rating(context: template.Context, case: Any) -> dict:  # noqa: ANN401
    """On the applicant's case page: invite a rating once the case has ended (never required)."""
    if case.status not in services.RATEABLE:
        return {"show": False}
    rating = Rating.objects.filter(case=case).only("pk", "level", "is_default", "rater_id").first()
    return {"show": True, "case": case, "rating": rating}
