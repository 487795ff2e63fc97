"""Reads of the catalogue shared by pages and the API.

Every function returns rows with the relations its callers show already joined or prefetched,
so a list or a guide page costs a fixed number of queries whatever its length.
"""

import functools
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from tongban.core.errors import NotFound
from tongban.departments.models import Department
from tongban.regions.codes import ancestor_codes
from tongban.regions.models import Region

from .bundles import BundlePlan as BundlePlan  # the 一件事 reads live in bundles.py
from .bundles import MergedMaterial as MergedMaterial
from .bundles import PlanEntry as PlanEntry
from .bundles import bundle_plan as bundle_plan
from .bundles import get_bundle as get_bundle
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
    events = LifeEvent.objects.select_related("region").filter(status=LifeEvent.Status.PUBLISHED)
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
        .filter(status=LifeEvent.Status.PUBLISHED)
        .prefetch_related(Prefetch("items", queryset=published_items().order_by("-popularity", "id")))
        .filter(slug=slug)
        .first()
    )
    if event is None:
        raise NotFound(_("找不到“一件事” %(slug)s。") % {"slug": slug})
    return event


@dataclass
class Guide:
    """An item with every element its guide page shows, in display order."""

    item: ServiceItem
    materials: list[MaterialRequirement]
    steps: list[ProcessStep]
    fees: list[FeeItem]
    faqs: list[FAQ]
    themes: list[Theme]
    life_events: list[LifeEvent]


# (model, related table filter, columns, ORDER BY) of each list on a guide, read as JSON arrays
# inside the item's own query: one statement instead of seven (the ORM's cost of building
# a query was most of a cold guide's database time).
_GUIDE_LISTS = {
    "materials": (
        MaterialRequirement,
        "FROM catalog_materialrequirement x WHERE x.item_id = catalog_serviceitem.id",
        (
            "id",
            "order",
            "name",
            "forms",
            "copies",
            "necessity",
            "source",
            "source_note",
            "requirements",
            "blank_form",
            "sample",
        ),
        'x."order", x.id',
    ),
    "steps": (
        ProcessStep,
        "FROM catalog_processstep x WHERE x.item_id = catalog_serviceitem.id",
        ("id", "order", "name", "description", "time_limit"),
        'x."order", x.id',
    ),
    "fees": (
        FeeItem,
        "FROM catalog_feeitem x WHERE x.item_id = catalog_serviceitem.id",
        ("id", "name", "standard", "basis", "may_reduce"),
        "x.id",
    ),
    "faqs": (
        FAQ,
        "FROM catalog_faq x WHERE x.item_id = catalog_serviceitem.id",
        ("id", "order", "question", "answer"),
        'x."order", x.id',
    ),
    "themes": (
        Theme,
        "FROM catalog_theme x JOIN catalog_serviceitem_themes m ON m.theme_id = x.id "
        "WHERE m.serviceitem_id = catalog_serviceitem.id",
        ("id", "audience", "name", "slug", "order"),
        'x.audience, x."order", x.id',
    ),
    "life_events": (
        LifeEvent,
        "FROM catalog_lifeevent x JOIN catalog_lifeevent_items m ON m.lifeevent_id = x.id "
        "WHERE m.serviceitem_id = catalog_serviceitem.id",
        ("id", "slug", "name", "audience", "order"),
        'x."order", x.id',
    ),
}
_JSON_COLUMNS = {"forms"}


def _json_list_sql(source: str, columns: tuple[str, ...], order: str, postgres: bool) -> str:
    if postgres:
        pairs = ", ".join(f"'{c}', x.\"{c}\"" for c in columns)
        return f"SELECT coalesce(json_agg(json_build_object({pairs}) ORDER BY {order}), '[]') {source}"
    pairs = ", ".join(f"'{c}', " + (f'json(x."{c}")' if c in _JSON_COLUMNS else f'x."{c}"') for c in columns)
    # SQLite aggregates in the order the inner query delivers its rows.
    return f"SELECT json_group_array(json_object({pairs})) FROM (SELECT x.* {source} ORDER BY {order}) x"  # noqa: S608 - constants of this module only


@functools.cache
def _guide_list_sql(postgres: bool) -> dict[str, str]:
    """Each list's subquery, built once per database kind (it depends on nothing else)."""
    return {
        name: _json_list_sql(source, columns, order, postgres)
        for name, (_model, source, columns, order) in _GUIDE_LISTS.items()
    }


def get_guide(code: str) -> Guide:
    """A published item and every list of its guide, from one statement."""
    lists = {
        name: RawSQL(sql, [])  # noqa: S611 - constants only
        for name, sql in _guide_list_sql(connection.vendor == "postgresql").items()
    }
    item = (
        published_items()
        .filter(code=code)
        .annotate(**{f"guide_{n}": sql for n, sql in lists.items()})
        .first()
    )
    if item is None:
        raise NotFound(_("找不到事项 %(code)s，或该事项未发布。") % {"code": code})
    found = {}
    for name, (model, _source, _columns, _order) in _GUIDE_LISTS.items():
        rows = getattr(item, f"guide_{name}")
        rows = json.loads(rows) if isinstance(rows, str) else rows
        found[name] = [model(**row) for row in rows or []]
    for child in (*found["materials"], *found["steps"], *found["fees"], *found["faqs"]):
        child.item = item
    for fee in found["fees"]:
        fee.may_reduce = bool(fee.may_reduce)
    return Guide(item=item, **found)


# ---------------------------------------------------------------------------------------------
# Catalogue workspace (事项管理)

CATALOGUE_ROLE = "catalogue"


def managed_departments(user) -> QuerySet[Department]:
    """Departments whose items ``user`` maintains: those where they hold the 事项管理 role.

    Read through the departments' reverse relation to the staff roles (the catalogue sits below
    identity and does not import it); writes are checked again by the services' permission.
    """
    return (
        Department.objects.filter(pk__in=_managed_ids(user))
        .select_related("region")
        .order_by("region__code", "name")
    )


def _managed_ids(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "staff":
        return Department.objects.none().values("pk")
    return Department.objects.filter(
        staff_memberships__user=user, staff_memberships__role=CATALOGUE_ROLE
    ).values("pk")


def workspace_items(
    user,
    *,
    query: str = "",
    status: str = "",
    item_type: str = "",
    department: int | None = None,
) -> QuerySet[ServiceItem]:
    """Every item (draft, published, withdrawn) of the departments ``user`` maintains."""
    items = ServiceItem.objects.filter(department__in=_managed_ids(user))
    if department:
        items = items.filter(department_id=department)
    items = items.select_related("department", "region")
    query = (query or "").strip()
    if query:
        items = items.filter(
            Q(name__icontains=query) | Q(code__icontains=query) | Q(keywords__icontains=query)
        )
    if status in ServiceItem.Status.values:
        items = items.filter(status=status)
    if item_type:
        items = items.filter(item_type=item_type)
    return items.order_by("name", "id")


def workspace_item(user, pk: int) -> ServiceItem:
    """One item ``user`` maintains, with its child rows; ``NotFound`` for anything else."""
    item = (
        ServiceItem.objects.select_related("department", "region")
        .prefetch_related(
            Prefetch("materials", queryset=MaterialRequirement.objects.order_by("order", "id")),
            Prefetch("steps", queryset=ProcessStep.objects.order_by("order", "id")),
            Prefetch("fees", queryset=FeeItem.objects.order_by("id")),
            Prefetch("faqs", queryset=FAQ.objects.order_by("order", "id")),
        )
        .filter(pk=pk)
        .first()
    )
    if item is None or not user.has_perm("catalog.change_serviceitem", item.department):
        raise NotFound()
    return item


def workspace_bundles(user) -> QuerySet[LifeEvent]:
    """Bundles ``user`` maintains: those led by a department where they hold 事项管理."""
    return (
        LifeEvent.objects.filter(lead_department_id__in=_managed_ids(user))
        .select_related("region", "lead_department")
        .order_by("region__code", "order", "id")
    )


def workspace_bundle(user, pk: int) -> LifeEvent:
    """One bundle of the workspace with entries and questions; another department's is NotFound."""
    from .bundles import bundle_queryset

    bundle = bundle_queryset().filter(pk=pk, lead_department_id__in=_managed_ids(user)).first()
    if bundle is None:
        raise NotFound(_("找不到该“一件事”。"))
    return bundle
