"""Public pages: home, browsing, search, the guide of an item and the visitor's preferences.

Views stay thin: read through the selectors and the search module, render a template.
Unknown themes, departments, regions and items are 404; bad page numbers fall back to a
valid page; bad filter values are ignored rather than failing the page.
"""

import functools
import math
import re
from collections.abc import Callable

from django.core.cache import caches
from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongban.catalog import search_log
from tongban.catalog import selectors as catalog
from tongban.catalog.bundle_views import notice_context
from tongban.catalog.models import Audience, ItemType, ServiceItem, Theme
from tongban.consult.selectors import published_answers
from tongban.core import tasks_queue
from tongban.core.errors import ServiceError
from tongban.core.public import public_reverse
from tongban.core.qr import qr_svg
from tongban.departments import selectors as departments
from tongban.departments.models import Department
from tongban.ratings.selectors import counted
from tongban.regions.models import Region
from tongban.regions.selectors import ancestors_of, children_of, region_by_code

from . import pagecache
from .middleware import ELDERLY_COOKIE, REGION_COOKIE, clean_region_code
from .preferences import current_region, safe_next, set_preference_cookie
from .selectors import service_flags

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 100
AGGREGATE_TTL = 300


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe and the benchmarks' bare view: no database, no template."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer: 200 while the database answers, 503 when it does not.
    The queue's figures are for operators; a slow queue does not take a web node out."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        queue = tasks_queue.health()
    except DatabaseError as exc:
        body = {"status": "unavailable", "database": {"ok": False, "error": type(exc).__name__}}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "database": {"ok": True}, "queue": queue})


def parse_page(value: str | None) -> int:
    try:
        page = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def paginate(request: HttpRequest, items: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """A page of ``items``; a missing, malformed or too large page number gives a valid page."""
    return Paginator(items, per_page).get_page(parse_page(request.GET.get("page")))


def _popular(items: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return items.order_by("-popularity", "id")


def _audience_or_404(audience: str) -> str:
    if audience not in Audience.values:
        raise Http404(_("没有这类服务对象。"))
    return audience


def _region_key(region: Region | None) -> str:
    return region.code if region else "all"


def cached[T](key: str, compute: Callable[[], T]) -> T:
    """Aggregates shown for orientation (counts, most popular) may be a few minutes old.

    Counting over the whole catalogue costs hundreds of milliseconds at province scale; the
    shared cache (the database by default) keeps that off every page view.
    """
    return caches["default"].get_or_set(key, compute, AGGREGATE_TTL)


def _themes_with_counts(region: Region | None, audience: str | None = None) -> list[Theme]:
    return cached(
        f"web:themes:{audience or 'all'}:{_region_key(region)}",
        lambda: catalog.themes_with_counts(audience=audience, region=region),
    )


def _popular_items(region: Region | None) -> list[ServiceItem]:
    return cached(f"web:popular:{_region_key(region)}", lambda: catalog.popular_items(region, limit=10))


def _shops(region: Region | None) -> list[Department]:
    return cached(
        f"web:shops:{_region_key(region)}",
        lambda: list(departments.departments_with_item_counts(region)[:12]),
    )


def home(request: HttpRequest) -> HttpResponse:
    region = current_region(request)
    themes = _themes_with_counts(region)
    context = {
        "region": region,
        "person_themes": [t for t in themes if t.audience == Audience.PERSON],
        "enterprise_themes": [t for t in themes if t.audience == Audience.ENTERPRISE],
        "life_events": list(catalog.life_events_for(region=region)[:8]),
        "popular_items": _popular_items(region),
        "shops": _shops(region),
    }
    return render(request, "web/home.html", context)


def theme_list(request: HttpRequest) -> HttpResponse:
    region = current_region(request)
    themes = _themes_with_counts(region)
    return render(
        request,
        "web/theme_list.html",
        {
            "region": region,
            "person_themes": [t for t in themes if t.audience == Audience.PERSON],
            "enterprise_themes": [t for t in themes if t.audience == Audience.ENTERPRISE],
        },
    )


def theme_detail(request: HttpRequest, audience: str, slug: str) -> HttpResponse:
    _audience_or_404(audience)
    theme: Theme = catalog.themes_by_slug(slug, audience)[0]
    region = current_region(request)
    items = _popular(catalog.filter_items(catalog.published_items(), region=region, themes=[theme]))
    return render(
        request,
        "web/theme_detail.html",
        {"theme": theme, "region": region, "page_obj": paginate(request, items)},
    )


def audience_detail(request: HttpRequest, audience: str) -> HttpResponse:
    _audience_or_404(audience)
    region = current_region(request)
    items = _popular(catalog.filter_items(catalog.published_items(), region=region, audience=audience))
    return render(
        request,
        "web/audience_detail.html",
        {
            "audience": audience,
            "audience_label": Audience(audience).label,
            "region": region,
            "themes": _themes_with_counts(region, audience),
            "page_obj": paginate(request, items),
        },
    )


def department_list(request: HttpRequest) -> HttpResponse:
    region = current_region(request)
    shops = departments.departments_with_item_counts(region)
    return render(
        request, "web/department_list.html", {"region": region, "page_obj": paginate(request, shops, 30)}
    )


def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department: Department = departments.get_department(pk)
    items = _popular(catalog.filter_items(catalog.published_items(), department=department))
    return render(
        request,
        "web/department_detail.html",
        {"department": department, "page_obj": paginate(request, items)},
    )


def region_index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/region_index.html", {"provinces": list(children_of(None).order_by("code"))})


def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = region_by_code(code)
    if region is None:
        raise Http404(_("找不到该行政区划。"))
    items = _popular(catalog.filter_items(catalog.published_items(), region=region))
    return render(
        request,
        "web/region_detail.html",
        {
            "region": region,
            "ancestors": ancestors_of(region),
            "children": list(children_of(region).order_by("code")),
            "shops": _shops(region),
            "page_obj": paginate(request, items),
            "is_current": region.code == getattr(current_region(request), "code", None),
        },
    )


def life_event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = catalog.get_life_event(slug)
    context = {"event": event, "items": list(event.items.all()), **notice_context(request, slug)}
    return render(request, "web/life_event_detail.html", context)


# The newest reviewed 12345 answers about an item, shown on its guide (issue 17).
PUBLISHED_ANSWERS_SHOWN = 10
_STAMP_CODE = "\x00code\x00"  # stands for the item's code in the compiled stamp statement


@functools.cache
def _item_stamp_statement(alias: str) -> tuple[str, tuple, int]:
    """The stamp statement's SQL and parameters, and where the code goes in them.

    Per-process memo, immutable by its key (the database alias): the statement is composed by
    the ORM from the catalogue's and the ratings app's own querysets once, because composing it
    costs more CPU than running it on a kept guide. Only ``code`` in the WHERE clause: given
    ``status`` too, SQLite may prefer the status index over the unique one.
    """
    rated = Exists(counted().filter(item_id=OuterRef("pk")))
    about_item = published_answers().filter(item_id=OuterRef("pk")).order_by().values("item_id")
    answered = Subquery(about_item.annotate(n=Count("pk"), last=Max("published_at")).values("last")[:1])
    answers = Subquery(about_item.annotate(n=Count("pk")).values("n")[:1])
    rows = (
        ServiceItem.objects.using(alias)
        .filter(code=_STAMP_CODE)
        .annotate(rated=rated, answered=answered, answers=answers)
        .values_list("status", "id", "version", "updated_at", "answered", "answers", "rated")
    )
    sql, params = rows.query.get_compiler(using=alias).as_sql()
    return sql, tuple(params), list(params).index(_STAMP_CODE)


def _item_stamp(code: str) -> str | None:
    """The guide's stamp, read on every answer (also a kept one), in one statement.

    A queryset update that sends no signal (a withdrawal, a new version) still ends the kept
    page; so does a 12345 answer published about the item, or one taken down (their number and
    the newest's time are in the stamp). The last field says whether the item has counted
    ratings (the ratings line is a live fragment; most items have none), so a kept guide costs
    this statement and the page cache's one read; an item's first rating, or the exclusion of
    its last, renders its guide once more.
    """
    sql, params, at = _item_stamp_statement(DEFAULT_DB_ALIAS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params[:at], code, *params[at + 1 :]])
        row = cursor.fetchone()
    if row is None:
        return None
    status, pk, version, updated_at, answered, answers, has_ratings = row
    return f"{status}:{pk}:{version}:{updated_at}:{answered or ''}:{answers or 0}:{int(bool(has_ratings))}"


# Per-process memo, immutable by its key (the language): the ratings line of an item without
# counted ratings is the same for every item and changes only with a release (its template).
_NO_RATINGS: dict[str, str] = {}


def _published_stamp(stamp: str | None) -> bool:
    return stamp is not None and stamp.startswith(f"{ServiceItem.Status.PUBLISHED}:")


def _ratings_html(item: ServiceItem) -> str:
    from tongban.ratings.templatetags.tongban_ratings import item_ratings

    return render_to_string("ratings/_item_summary.html", item_ratings(item))


def _live_ratings(stamp: str) -> str:
    """The guide's ratings, rendered for every answer: they change without the catalogue.

    Without counted ratings (the stamp's last field says so) the fragment is the same for
    every item: rendered once per language by the ratings app itself, then repeated.
    """
    pk = int(stamp.split(":")[1])
    if stamp.endswith(":1"):
        return _ratings_html(ServiceItem(pk=pk))
    language = translation.get_language() or ""
    if language not in _NO_RATINGS:
        _NO_RATINGS[language] = _ratings_html(ServiceItem(pk=pk))
    return _NO_RATINGS[language]


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return pagecache.render_page(
            request,
            "guide",
            lambda: _guide_page(request, code),
            stamp=lambda: _item_stamp(code),
            stamp_ok=_published_stamp,
            live={"ratings": _live_ratings},
        )
    except pagecache.Gone as exc:
        raise Http404(_("找不到事项 %(code)s，或该事项未发布。") % {"code": code}) from exc


def _guide_page(request: HttpRequest, code: str) -> tuple[str, dict, int]:
    guide = catalog.get_guide(code)
    item = guide.item
    own_url = public_reverse("web:item", item.code)
    context = {
        "item": item,
        "materials": guide.materials,
        "steps": guide.steps,
        "fees": guide.fees,
        "faqs": guide.faqs,
        "published_answers": list(published_answers(item.pk)[:PUBLISHED_ANSWERS_SHOWN]),
        "themes": guide.themes,
        "life_events": guide.life_events,
        "own_url": own_url,
        "qr_code": qr_svg(own_url, _("本页二维码：用手机扫码查看此办事指南")),
        "service_flags": service_flags(item),
    }
    return "web/item_detail.html", context, 200


def _search_filters(request: HttpRequest) -> dict:
    """The search filters from the query string; values that name nothing are dropped."""
    params = request.GET
    if "region" in params:
        region = region_by_code(clean_region_code(params.get("region")))
    else:
        region = current_region(request)
    audience = params.get("audience") or None
    if audience not in Audience.values:
        audience = None
    item_type = params.get("type") or None
    if item_type not in ItemType.values:
        item_type = None
    department = None
    raw_department = params.get("department", "")
    if raw_department.isdigit():
        department = Department.objects.filter(pk=int(raw_department), is_active=True).first()
    theme_slug = (params.get("theme") or "")[:64] or None
    if theme_slug and not Theme.objects.filter(slug=theme_slug).exists():
        theme_slug = None
    return {
        "region": region,
        "audience": audience,
        "item_type": item_type,
        "department": department,
        "theme_slug": theme_slug,
    }


def _filter_options(region: Region | None, department: Department | None) -> dict:
    """Choices for the filter selects: nearby regions, the region's departments, every theme."""
    regions: list[Region] = []
    if region is not None:
        regions = [*ancestors_of(region), region, *children_of(region).order_by("code")]
    else:
        regions = list(children_of(None).order_by("code"))
    shops: list[Department] = []
    if region is not None and region.level >= Region.Level.CITY:
        shops = list(
            departments.departments_in_region(
                region, include_below=region.level >= Region.Level.COUNTY
            ).order_by("name")
        )
    if department is not None and department not in shops:
        shops.insert(0, department)
    return {
        "region_options": regions,
        "department_options": shops,
        "themes_by_audience": catalog.themes_in_order(),
        "audience_options": Audience.choices,
        "type_options": ItemType.choices,
    }


def search(request: HttpRequest) -> HttpResponse:
    """The search page; anonymous visitors asking the same thing share one rendered copy."""
    response = pagecache.render_page(request, "search", lambda: _search_page(request))
    return _logged_search(request, response)


# Rendered into a results page (also the cached copy) where its signed search-log key goes:
# ``SEARCH_LOG_MARK`` + result count + ":" + region filter + ":".
SEARCH_LOG_MARK = "tbsearchlog4d9a7c:"
_SEARCH_LOG_TAIL = re.compile(rb"(\d{1,9}):(\d{0,12}):")


def _logged_search(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Log the search (a cached answer too, so outside the page cache) and put its signed key
    into the result links; the count and the region filter are read from the page's own mark."""
    body = response.content
    mark = SEARCH_LOG_MARK.encode()
    at = body.find(mark)
    if at < 0:
        return response
    tail = _SEARCH_LOG_TAIL.match(body, at + len(mark))
    if tail is None:
        return response
    signed = search_log.record_search(
        (request.GET.get("q") or "").strip()[:MAX_QUERY_LENGTH],
        region_code=tail[2].decode(),
        result_count=int(tail[1]),
        count=parse_page(request.GET.get("page")) == 1,
    )
    response.content = body.replace(body[at : tail.end()], (signed or "").encode())
    return response


CODE_MAX_LENGTH = ServiceItem._meta.get_field("code").max_length


@require_GET
def search_go(request: HttpRequest) -> HttpResponse:
    """A result link: count that it was opened for its logged query, then go to the guide.

    Plain links, so counting works without JavaScript; an unsigned or forged key is not
    counted, an unknown or unpublished item is 404.
    """
    code = request.GET.get("item") or ""
    published = ServiceItem.objects.published()
    if not code or len(code) > CODE_MAX_LENGTH or not published.filter(code=code).exists():
        raise Http404(_("找不到该事项，或该事项未发布。"))
    search_log.record_click(request.GET.get("s"), code)
    return HttpResponseRedirect(reverse("web:item", args=[code]))


def _search_page(request: HttpRequest) -> tuple[str, dict, int]:
    from tongban.catalog.search import search_items

    query = (request.GET.get("q") or "").strip()
    filters = _search_filters(request)
    region: Region | None = filters["region"]
    department: Department | None = filters["department"]
    page_number = parse_page(request.GET.get("page"))
    context = {
        "query": query,
        "filters": filters,
        "selected_region": region.code if region else "",
        **_filter_options(region, department),
    }
    status = 200
    result = None
    if query:
        arguments = {
            "region_code": region.code if region else None,
            "audience": filters["audience"],
            "department_id": department.pk if department else None,
            "theme_slug": filters["theme_slug"],
            "item_type": filters["item_type"],
            "page_size": PAGE_SIZE,
            # One result per service: the visitor's region's implementation, the others under 其他地区.
            "group_regions": True,
            "prefer_region": getattr(request, "region_code", "") or None,
        }
        try:
            result = search_items(query, page=page_number, **arguments)
            last_page = max(1, math.ceil(result.total / PAGE_SIZE))
            if page_number > last_page:
                result = search_items(query, page=last_page, **arguments)
        except ServiceError as exc:
            context["error"] = exc.message
            status = 400
    if result is not None:
        last_page = max(1, math.ceil(result.total / PAGE_SIZE))
        log_mark = f"{SEARCH_LOG_MARK}{result.total}:{region.code if region else ''}:"
        context.update(
            {
                "result": result,
                "page_number": result.page,
                "num_pages": last_page,
                "page_range": _page_window(result.page, last_page),
                "first_index": (result.page - 1) * PAGE_SIZE + 1,
                "log_mark": log_mark,
                "go_prefix": f"{reverse('web:search_go')}?s={log_mark}&item=",
            }
        )
        if not result.hits:
            context.update(_no_results_help(result, region, filters))
    else:
        context["popular_items"] = _popular_items(region)
    return "web/search.html", context, status


def _no_results_help(result: object, region: Region | None, filters: dict) -> dict:
    """What a search that found nothing offers instead of an empty list: the nearest items
    (when the engine has some), the themes, and whether filters may be hiding results."""
    themes = [t for t in _themes_with_counts(region) if getattr(t, "item_count", 1)]
    return {
        "nearest": list(getattr(result, "nearest", None) or []),
        "fallback_person_themes": [t for t in themes if t.audience == Audience.PERSON],
        "fallback_enterprise_themes": [t for t in themes if t.audience == Audience.ENTERPRISE],
        "narrowed": any(filters[name] for name in ("audience", "item_type", "department", "theme_slug")),
    }


def _page_window(current: int, last: int, width: int = 2) -> list[int]:
    return list(range(max(1, current - width), min(last, current + width) + 1))


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """As-you-type suggestions: a small HTML fragment of links, for htmx to put under the box."""
    from tongban.catalog.search import suggest as suggest_items

    prefix = (request.GET.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    region = current_region(request)
    suggestions = (
        suggest_items(prefix, region_code=region.code if region else None, limit=8) if prefix else []
    )
    return render(request, "web/partials/suggestions.html", {"suggestions": suggestions, "prefix": prefix})


def region_choose(request: HttpRequest) -> HttpResponse:
    """Province → city → county selects; plain GET reloads the lower level, POST remembers."""
    chosen = current_region(request)
    chain = [*ancestors_of(chosen), chosen] if chosen is not None and "province" not in request.GET else []
    levels = {"province": None, "city": None, "county": None}
    for level_name, region in zip(levels, chain, strict=False):
        levels[level_name] = region
    if "province" in request.GET:
        parent = None
        for level_name in levels:
            region = region_by_code(clean_region_code(request.GET.get(level_name)))
            expected_parent = parent.code if parent else None
            if region is None or (region.parent.code if region.parent else None) != expected_parent:
                break
            levels[level_name] = region
            parent = region
    province, city = levels["province"], levels["city"]
    context = {
        "provinces": list(children_of(None).order_by("code")),
        "cities": list(children_of(province).order_by("code")) if province else [],
        "counties": list(children_of(city).order_by("code")) if city else [],
        "levels": levels,
        "next": safe_next(request, reverse("web:home")),
    }
    template = "web/partials/region_form.html" if request.htmx else "web/region_choose.html"
    return render(request, template, context)


@require_POST
def set_region(request: HttpRequest) -> HttpResponse:
    """Remember the region the visitor chose (the deepest level given), or forget it.

    Without JavaScript the same form also asks for the next level down ("refresh"): that
    answer is a redirect to the GET form with the choice so far (post/redirect/get).
    """
    action = request.POST.get("action", "save")
    if action == "refresh":
        params = QueryDict(mutable=True)
        for field in ("province", "city", "county", "next"):
            params[field] = request.POST.get(field, "")
        return HttpResponseRedirect(f"{reverse('web:region_choose')}?{params.urlencode()}")
    code = ""
    if action != "clear":
        code = clean_region_code(request.POST.get("region"))
        if not code:
            # The deepest level that lies inside the level above it (a stale lower choice is dropped).
            for field in ("province", "city", "county"):
                candidate = clean_region_code(request.POST.get(field))
                if not candidate or not candidate.startswith(code) or len(candidate) <= len(code):
                    break
                code = candidate
        if code and region_by_code(code) is None:
            code = ""
    response = HttpResponseRedirect(safe_next(request, reverse("web:home")))
    set_preference_cookie(request, response, REGION_COOKIE, code)
    return response


@require_POST
def set_elderly(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("elderly") == "1"
    response = HttpResponseRedirect(safe_next(request, reverse("web:home")))
    set_preference_cookie(request, response, ELDERLY_COOKIE, "1" if enabled else "")
    return response
