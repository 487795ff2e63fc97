"""Rating fragments that other apps' pages include: a department's shop figures, an item's
rating on its guide, and the 评价 box on the applicant's case page."""

from django import template

from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.departments.models import Department
from tongban.ratings import access, selectors
from tongban.ratings.models import Level

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
def department_ratings(department: Department) -> dict:
    """The 好差评 section of a department's public (shop) page."""
    figures = selectors.department_figures(department)
    return {
        "department": department,
        "figures": figures,
        "distribution": _distribution(figures),
        "comments": selectors.recent_public_comments(department, limit=5) if figures.total else [],
    }


@register.inclusion_tag("ratings/_item_summary.html")
def item_ratings(item: ServiceItem) -> dict:
    """The rating line of an item's guide."""
    figures = selectors.item_figures(item)
    return {"item": item, "figures": figures, "distribution": _distribution(figures)}


@register.inclusion_tag("ratings/_case_box.html", takes_context=True)
def case_rating(context: template.Context, case: Case) -> dict:
    """On the applicant's case page: the rating given, or an invitation exactly when the service
    would take one (never required)."""
    if case.status not in access.RATEABLE:
        return {"show": False}
    rating = selectors.rating_of_case(case)
    user = getattr(context.get("request"), "user", None)
    if rating is None and not access.can_rate_case(user, case):
        return {"show": False}
    return {"show": True, "case": case, "rating": rating}
