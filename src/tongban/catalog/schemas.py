"""Shapes of the catalogue in the JSON API.

Coded values travel as their national code plus a ``*_name`` label (``"type": "01"``,
``"type_name": "行政许可"``), so clients can filter by code and show the label as given.
Resolvers read only what the selectors joined or prefetched: no query per row.
"""

from datetime import datetime
from typing import Any

from django.db.models.fields.files import FieldFile
from ninja import Schema

from tongban.departments.api import DepartmentRef
from tongban.regions.api import RegionRef

from .labels import code_label
from .models import MaterialRequirement, ServiceItem


def _label(kind: str, value: Any) -> str:
    """The API names an unknown code with an empty label."""
    return code_label(kind, value) or ""


def _related(name: str) -> staticmethod:
    """A resolver that lists one related manager of the item (prefetched by the selector)."""

    def resolve(obj: ServiceItem) -> list[Any]:
        return list(getattr(obj, name).all())

    return staticmethod(resolve)


def _file_url(file: FieldFile | None, context: dict | None) -> str | None:
    if not file:
        return None
    request = (context or {}).get("request")
    return request.build_absolute_uri(file.url) if request is not None else file.url


class CodeName(Schema):
    code: str
    name: str


class TimeLimit(Schema):
    value: int
    unit: str
    unit_name: str


class ThemeRef(Schema):
    slug: str
    name: str
    audience: str


class ThemeOut(ThemeRef):
    id: int
    audience_name: str
    order: int
    item_count: int

    @staticmethod
    def resolve_audience_name(obj: Any) -> str:
        return str(obj.get_audience_display())


class ThemeList(Schema):
    total: int
    items: list[ThemeOut]


class ItemSummary(Schema):
    """One row of an item list or search result."""

    code: str
    base_code: str
    name: str
    type: str
    type_name: str
    department: DepartmentRef
    region: RegionRef
    for_person: bool
    for_enterprise: bool
    online_depth: int
    visits_required: int
    is_instant: bool
    promised_limit: TimeLimit

    @staticmethod
    def resolve_type(obj: ServiceItem) -> str:
        return obj.item_type

    @staticmethod
    def resolve_type_name(obj: ServiceItem) -> str:
        return _label("item_type", obj.item_type)

    @staticmethod
    def resolve_promised_limit(obj: ServiceItem) -> dict[str, Any]:
        unit = obj.promised_limit_unit
        return {"value": obj.promised_limit, "unit": unit, "unit_name": _label("limit_unit", unit)}


class ItemPage(Schema):
    total: int
    page: int
    page_size: int
    items: list[ItemSummary]


class MaterialOut(Schema):
    name: str
    forms: list[CodeName]
    copies: int
    necessity: str
    necessity_name: str
    source: str
    source_name: str
    source_note: str
    requirements: str
    blank_form_url: str | None
    sample_url: str | None

    @staticmethod
    def resolve_forms(obj: MaterialRequirement) -> list[dict[str, str]]:
        return [{"code": f, "name": _label("material_form", f)} for f in obj.forms or []]

    @staticmethod
    def resolve_necessity_name(obj: MaterialRequirement) -> str:
        return _label("necessity", obj.necessity)

    @staticmethod
    def resolve_source_name(obj: MaterialRequirement) -> str:
        return _label("source", obj.source)

    @staticmethod
    def resolve_blank_form_url(obj: MaterialRequirement, context: dict) -> str | None:
        return _file_url(obj.blank_form, context)

    @staticmethod
    def resolve_sample_url(obj: MaterialRequirement, context: dict) -> str | None:
        return _file_url(obj.sample, context)


class StepOut(Schema):
    order: int
    name: str
    description: str
    time_limit: str


class FeeOut(Schema):
    name: str
    standard: str
    basis: str
    may_reduce: bool


class FAQOut(Schema):
    question: str
    answer: str


class LifeEventRef(Schema):
    slug: str
    name: str
    audience: str


class Flags(Schema):
    appointment: bool
    online_payment: bool
    delivery: bool


class ItemDetail(ItemSummary):
    """The whole guide (办事指南) of one item."""

    group: str
    status: str
    version: int
    service_objects: list[CodeName]
    summary: str
    legal_basis: str
    conditions: str
    prohibited: str
    case_kind: str
    case_kind_name: str
    legal_limit: TimeLimit
    is_charged: bool
    fee_basis: str
    fees: list[FeeOut]
    handling_place: str
    handling_hours: str
    channels: list[CodeName]
    consult_phone: str
    consult_channels: str
    complaint_phone: str
    complaint_channels: str
    online_depth_name: str
    result_type: str
    result_type_name: str
    result_name: str
    result_sample_url: str | None
    flags: Flags
    materials: list[MaterialOut]
    steps: list[StepOut]
    faqs: list[FAQOut]
    themes: list[ThemeRef]
    life_events: list[LifeEventRef]
    popularity: int
    published_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_service_objects(obj: ServiceItem) -> list[dict[str, str]]:
        return [{"code": str(o), "name": _label("service_object", str(o))} for o in obj.service_objects or []]

    @staticmethod
    def resolve_case_kind_name(obj: ServiceItem) -> str:
        return _label("case_kind", obj.case_kind)

    @staticmethod
    def resolve_legal_limit(obj: ServiceItem) -> dict[str, Any]:
        unit = obj.legal_limit_unit
        return {"value": obj.legal_limit, "unit": unit, "unit_name": _label("limit_unit", unit)}

    @staticmethod
    def resolve_channels(obj: ServiceItem) -> list[dict[str, str]]:
        return [{"code": str(c), "name": _label("channel", str(c))} for c in obj.channels or []]

    @staticmethod
    def resolve_online_depth_name(obj: ServiceItem) -> str:
        return _label("online_depth", obj.online_depth)

    @staticmethod
    def resolve_result_type_name(obj: ServiceItem) -> str:
        return _label("result_type", obj.result_type)

    @staticmethod
    def resolve_result_sample_url(obj: ServiceItem, context: dict) -> str | None:
        return _file_url(obj.result_sample, context)

    @staticmethod
    def resolve_flags(obj: ServiceItem) -> dict[str, bool]:
        return {
            "appointment": obj.supports_appointment,
            "online_payment": obj.supports_online_payment,
            "delivery": obj.supports_delivery,
        }

    # The guide's related lists, in the order the prefetch keeps them.
    resolve_materials = _related("materials")
    resolve_steps = _related("steps")
    resolve_fees = _related("fees")
    resolve_faqs = _related("faqs")
    resolve_themes = _related("themes")
    resolve_life_events = _related("life_events")


class LifeEventOut(LifeEventRef):
    audience_name: str
    summary: str
    region: RegionRef | None
    item_count: int

    @staticmethod
    def resolve_audience_name(obj: Any) -> str:
        return str(obj.get_audience_display())


class LifeEventList(Schema):
    total: int
    items: list[LifeEventOut]


class LifeEventDetail(LifeEventOut):
    items: list[ItemSummary]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())

    @staticmethod
    def resolve_item_count(obj: Any) -> int:
        return len(obj.items.all())


class SearchResult(Schema):
    code: str
    name: str
    highlight: str
    score: float
    type: str
    type_name: str
    department: DepartmentRef
    region: RegionRef
    for_person: bool
    for_enterprise: bool
    online_depth: int


class SearchAnswer(Schema):
    total: int
    page: int
    page_size: int
    query: str
    corrected_query: str | None
    items: list[SearchResult]


class SuggestAnswer(Schema):
    query: str
    items: list[dict[str, Any]]
