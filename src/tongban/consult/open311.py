"""Open311 GeoReport v2 at ``/open311/v2/``: services, service definitions, requests and tokens,
each as ``.json`` or ``.xml`` (the format is the path's extension, as the spec says).

Errors are what the spec defines: a list of ``{"code", "description"}`` (JSON) or
``<errors><error><code/><description/></error></errors>`` (XML) with the HTTP status in ``code``.
POST needs an ``api_key`` issued by an admin (``ApiClient``); reads are public, and a request's
personal data (name, phone, email) is never part of a response.
"""

import datetime as dt
import json
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from tongban.core.errors import ServiceError

from . import selectors, services
from .models import Category, Kind, Petition

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
OPEN = (
    Petition.Status.NEW,
    Petition.Status.DISPATCHED,
    Petition.Status.HANDLING,
    Petition.Status.ESCALATED,
)


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description


def _xml(root: str, element: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, element)
        _fill(node, row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
        top, encoding="utf-8", xml_declaration=False
    )


def _fill(node: ET.Element, row: dict) -> None:
    for key, value in row.items():
        if isinstance(value, list):
            holder = ET.SubElement(node, key)
            for entry in value:
                child = ET.SubElement(holder, key.rstrip("s") if key.endswith("s") else key)
                if isinstance(entry, dict):
                    _fill(child, entry)
                else:
                    child.text = str(entry)
            continue
        child = ET.SubElement(node, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def _respond(fmt: str, rows: list[dict] | dict, root: str, element: str, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(rows, ensure_ascii=False).encode()
    elif isinstance(rows, dict):
        top = ET.Element(root)
        _fill(top, rows)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    else:
        body = _xml(root, element, rows)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    rows = [{"code": status, "description": description}]
    return _respond(fmt if fmt in FORMATS else "json", rows, "errors", "error", status)


def endpoint(methods: tuple[str, ...]):
    """Format check, method check and the spec's error answers around a view."""

    def wrap(view):
        @csrf_exempt
        def inner(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if fmt not in FORMATS:
                return _error("json", 404, "format must be json or xml")
            if request.method not in methods:
                response = _error(fmt, 405, f"method not allowed; allowed: {', '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc.status, exc.description)
            except ServiceError as exc:
                return _error(
                    fmt, 403 if exc.status == 403 else 400, f"{exc.field or 'request'}: {exc.message}"
                )

        return inner

    return wrap


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords.split()),
        "group": category.group,
    }


@endpoint(("GET",))
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [_service(c) for c in Category.objects.filter(active=True)]
    return _respond(fmt, rows, "services", "service")


@endpoint(("GET",))
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    kinds = [{"key": k, "name": str(label)} for k, label in Kind.choices]
    definition = {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "kind",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型，默认 complain（投诉）",
                "order": 1,
                "description": "诉求类型",
                "values": kinds,
            }
        ],
    }
    return _respond(fmt, definition, "service_definition", "")


def _stamp(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def request_row(petition: Petition) -> dict:
    """A request as GeoReport shows it: status open/closed, no personal data (the description
    loses names, phone and ID numbers as a published answer does: anyone may read it by number)."""
    status = "closed" if petition.status in (Petition.Status.CLOSED, Petition.Status.MERGED) else "open"
    notes = petition.get_status_display()
    if petition.status == Petition.Status.MERGED and petition.merged_into_id:
        notes += f"（并入 {petition.merged_into.number}）"
    expected = None
    if petition.due_date:
        expected = _stamp(timezone.make_aware(dt.datetime.combine(petition.due_date, dt.time(17, 30))))
    return {
        "service_request_id": petition.number,
        "status": status,
        "status_notes": notes,
        "service_name": petition.category.name if petition.category else "",
        "service_code": petition.category.code if petition.category else "",
        "description": services.strip_personal(petition.body, petition),
        "agency_responsible": petition.department.name if petition.department else "",
        "service_notice": "",
        "requested_datetime": _stamp(petition.created_at),
        "updated_datetime": _stamp(petition.updated_at),
        "expected_datetime": expected,
        "address": petition.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(petition.lat) if petition.lat is not None else None,
        "long": float(petition.long) if petition.long is not None else None,
        "media_url": "",
    }


def _date(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise Open311Error(400, f"{name} must be a W3C datetime")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@endpoint(("GET", "POST"))
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    found = Petition.objects.select_related("category", "department", "merged_into", "requester")
    ids = request.GET.get("service_request_id", "").strip()
    if ids:
        rows = found.filter(number__in=[i.strip() for i in ids.split(",") if i.strip()][:MAX_REQUESTS])
        return _respond(fmt, [request_row(p) for p in rows], "service_requests", "request")
    codes = [c for c in request.GET.get("service_code", "").split(",") if c]
    if codes:
        found = found.filter(category__code__in=codes)
    start = request.GET.get("start_date")
    end = request.GET.get("end_date")
    end_at = _date(end, "end_date") if end else timezone.now()
    start_at = _date(start, "start_date") if start else end_at - dt.timedelta(days=DEFAULT_DAYS)
    if start_at > end_at:
        raise Open311Error(400, "start_date must be before end_date")
    found = found.filter(created_at__gte=start_at, created_at__lte=end_at)
    status = request.GET.get("status", "")
    wanted = {s for s in status.split(",") if s}
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    if wanted == {"open"}:
        found = found.filter(status__in=OPEN)
    elif wanted == {"closed"}:
        found = found.exclude(status__in=OPEN)
    rows = [request_row(p) for p in found.order_by("-created_at")[:MAX_REQUESTS]]
    return _respond(fmt, rows, "service_requests", "request")


@endpoint(("GET",))
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    petition = selectors.by_number(number)
    if petition is None:
        raise Open311Error(404, f"service_request_id {number} not found")
    return _respond(fmt, [request_row(petition)], "service_requests", "request")


@endpoint(("GET",))
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    petition = Petition.objects.filter(token=token).only("number", "token").first()
    if petition is None:
        raise Open311Error(404, f"token {token} not found")
    return _respond(
        fmt, [{"service_request_id": petition.number, "token": petition.token}], "service_requests", "request"
    )


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    client = services.client_for_key(data.get("api_key"))
    if client is None:
        raise Open311Error(403, "api_key is missing or not valid")
    code = data.get("service_code", "")
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(400, "service_code is missing or not valid")
    has_location = any(data.get(k) for k in ("lat", "address_string", "address_id"))
    if not has_location:
        raise Open311Error(400, "lat/long, address_string or address_id is required")
    if data.get("lat") and not data.get("long"):
        raise Open311Error(400, "long is required with lat")
    kind = data.get("attribute[kind]") or "complain"
    if kind not in Kind.values:
        raise Open311Error(400, "attribute[kind] is not valid")
    description = (data.get("description") or "").strip()
    name = " ".join(p for p in (data.get("last_name", ""), data.get("first_name", "")) if p).strip()
    petition = services.submit(
        user=None,
        kind=kind,
        title=(description[:30] or category.name),
        body=description,
        channel=Petition.Channel.OPEN311,
        category=category,
        address=data.get("address_string", "") or data.get("address_id", ""),
        lat=data.get("lat"),
        long=data.get("long"),
        anonymous=True,
        contact_name=name,
        contact_phone=data.get("phone", ""),
        contact_email=data.get("email", ""),
        api_client=client,
    )
    row = {
        "service_request_id": petition.number,
        "service_notice": "已受理，可凭编号查询办理进度。",
        "account_id": "",
    }
    return _respond(fmt, [row], "service_requests", "request", status=201)
