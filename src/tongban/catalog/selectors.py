"""Reads of the catalogue shared by pages and the API.

Every function returns rows with the relations its callers show already joined or prefetched,
so a list or a guide page costs a fixed number of queries whatever its length.
"""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound
from tongban.departments.models import Department
from tongban.regions.codes import ancestor_codes
from tongban.regions.models import Region

from .models import FAQ, Audience, FeeItem, LifeEvent, MaterialRequirement, ProcessStep, ServiceItem, Theme

PUBLISHED = ServiceItem.Status.PUBLISHED


def published_items() -> QuerySet[ServiceItem]:
    """Published items with their department and region joined (what every list shows)."""
    return ServiceItem.objects.published().select_related("department", "region")


def themes_by_slug(slug: str, audience: str | None = None) -> list[Theme]:
    """The themes called ``slug`` (one per audience unless ``audience`` narrows it)."""
    themes = Theme.objects.filter(slug=slug)
    if audience:
        themes = themes.filter(audience=audience)
    found = list(themes)
    if not found:
        raise NotFound(_("找不到主题 %(slug)s。") % {"slug": slug}, field="theme")
    return found


def filter_items(
    items: QuerySet[ServiceItem],
    *,
    region: Region | None = None,
    department: Department | None = None,
    themes: list[Theme] | None = None,
    audience: str | None = None,
    item_type: str | None = None,
) -> QuerySet[ServiceItem]:
    """Narrow ``items``: region includes the regions below it; themes match any of the list."""
    if region is not None:
        items = items.in_region(region)
    if department is not None:
        items = items.filter(department=department)
    if themes:
        through = ServiceItem.themes.through
        items = items.filter(
            Exists(through.objects.filter(serviceitem_id=OuterRef("pk"), theme_id__in=[t.pk for t in themes]))
        )
    if audience == Audience.PERSON:
        items = items.filter(for_person=True)
    elif audience == Audience.ENTERPRISE:
        items = items.filter(for_enterprise=True)
    if item_type:
        items = items.filter(item_type=item_type)
    return items


def get_published_item(code: str) -> ServiceItem:
    """A published item by implementation code with every element of its guide prefetched."""
    item = (
        published_items()
        .prefetch_related(
            # Ordered within the item only: the models' default ordering starts with the item,
            # which made every one of these queries join the (wide) item table to sort.
            Prefetch("materials", queryset=MaterialRequirement.objects.order_by("order", "id")),
            Prefetch("steps", queryset=ProcessStep.objects.order_by("order", "id")),
            Prefetch("fees", queryset=FeeItem.objects.order_by("id")),
            Prefetch("faqs", queryset=FAQ.objects.order_by("order", "id")),
            "themes",
            Prefetch("life_events", queryset=LifeEvent.objects.only("id", "slug", "name", "audience")),
        )
        .filter(code=code)
        .first()
    )
    if item is None:
        raise NotFound(_("找不到事项 %(code)s，或该事项未发布。") % {"code": code})
    return item


def themes_with_counts(audience: str | None = None, region: Region | None = None) -> list[Theme]:
    """Themes in display order, each with ``item_count`` published items (in ``region`` and below)."""
    themes = Theme.objects.all()
    if audience:
        themes = themes.filter(audience=audience)
    published = Q(items__status=PUBLISHED)
    if region is not None:
        published &= Q(items__region_code__startswith=region.code)
    return list(
        themes.annotate(item_count=Count("items", filter=published)).order_by("audience", "order", "id")
    )


def themes_in_order(audience: str | None = None) -> list[Theme]:
    """Themes without counts (cheap: no join with the items), individuals' first, in display order."""
    themes = Theme.objects.all()
    if audience:
        themes = themes.filter(audience=audience)
    ranked = {Audience.PERSON: 0, Audience.ENTERPRISE: 1}
    return sorted(themes.order_by("order", "id"), key=lambda t: ranked.get(t.audience, 2))


def popular_items(region: Region | None = None, limit: int = 10) -> list[ServiceItem]:
    """The most used published items in ``region`` and below."""
    return list(filter_items(published_items(), region=region).order_by("-popularity", "id")[:limit])


def life_events_for(audience: str | None = None, region: Region | None = None) -> QuerySet[LifeEvent]:
    """Life events that apply in ``region``: national ones, those of its ancestors and those below it."""
    events = LifeEvent.objects.select_related("region")
    if audience:
        events = events.filter(audience=audience)
    if region is not None:
        events = events.filter(
            Q(region__isnull=True)
            | Q(region__code__in=ancestor_codes(region.code))
            | Q(region__code__startswith=region.code)
        )
    return events.annotate(
        item_count=Count("items", filter=Q(items__status=PUBLISHED), distinct=True)
    ).order_by("order", "id")


def get_life_event(slug: str) -> LifeEvent:
    """A life event with its published items (department and region joined) prefetched."""
    event = (
        LifeEvent.objects.select_related("region")
        .prefetch_related(Prefetch("items", queryset=published_items().order_by("-popularity", "id")))
        .filter(slug=slug)
        .first()
    )
    if event is None:
        raise NotFound(_("找不到“一件事” %(slug)s。") % {"slug": slug})
    return event
