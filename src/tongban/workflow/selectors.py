"""Which process an item runs, and the parsed process for a stored definition.

Parsing BPMN and building SpiffWorkflow's spec costs far more than a step, so each process keeps
the parsed ``Process`` per definition digest (a definition's document never changes while cases
use it; the admin form recomputes the digest when an unused one is edited). The item's choice
itself is read from the database every time (``chosen_definition``) — so a new choice or
upload takes effect at once in every process. The
shipped templates' rows are remembered per process once committed (a changed template file
comes with a release, i.e. a restart, and ``ensure_template`` then adds a new row).
"""

import hashlib
import threading
from functools import cache

from django.db import connection, transaction

from tongban.catalog.models import CaseKind, ServiceItem
from tongban.core.errors import NotFound
from tongban.core.rawsql import statement, table

from .engine import Process, get_process, template_xml
from .models import ItemProcess, ProcessDefinition

# Per-process memo of data immutable by its key: a parsed process per definition digest (the
# digest is the SHA-256 of the BPMN document, so another document has another key). Nothing here
# needs sharing between processes or invalidating; the shared cache is for what can change.
_parsed: dict[str, Process] = {}
_parsed_lock = threading.Lock()


def template_for(case_kind: str, charged: bool = False) -> str:
    name = "instant" if case_kind == CaseKind.INSTANT else "promised"
    return f"{name}_fee" if charged else name


def definition_for_item(item: ServiceItem) -> ProcessDefinition:
    choice = ItemProcess.objects.select_related("definition").filter(item=item).first()
    if choice is not None:
        return choice.definition
    from .services import ensure_template

    return ensure_template(template_for(item.case_kind, item.is_charged))


@cache
def template_digest(name: str) -> str:
    """The shipped file's digest, memoised per process: immutable by its key until a release,
    i.e. a restart."""
    return hashlib.sha256(template_xml(name).encode()).hexdigest()


@statement
def _chosen_sql() -> str:
    return (
        f"SELECT c.definition_id, d.digest FROM {table(ItemProcess)} c "  # noqa: S608 (names from the models, value bound)
        f"JOIN {table(ProcessDefinition)} d ON d.id = c.definition_id WHERE c.item_id = %s"
    )


def chosen_definition(item_id: int) -> tuple[int | None, str | None]:
    """The id and digest of the definition the item chose, (None, None) when it runs the
    template for its case kind; read every time, so a new choice takes effect at once.

    Hand-written (``core.rawsql``): every submission asks, and the ORM's query took five times
    longer to build than the submission's whole locked read."""
    with connection.cursor() as cursor:
        cursor.execute(_chosen_sql(), [item_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else (None, None)


@statement
def _chosen_many_sql(count: int) -> str:
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT c.item_id, c.definition_id, d.digest FROM {table(ItemProcess)} c "  # noqa: S608 (names from the models, values bound)
        f"JOIN {table(ProcessDefinition)} d ON d.id = c.definition_id WHERE c.item_id IN ({marks})"
    )


def chosen_definitions(item_ids: list[int]) -> dict[int, tuple[int | None, str | None]]:
    """``chosen_definition`` of several items in one statement (a 一件事 split): item id → the
    chosen definition's id and digest, (None, None) for an item running its template."""
    ids = sorted(set(item_ids))
    chosen: dict[int, tuple[int | None, str | None]] = dict.fromkeys(ids, (None, None))
    if not ids:
        return chosen
    with connection.cursor() as cursor:
        cursor.execute(_chosen_many_sql(len(ids)), ids)
        for item_id, definition_id, digest in cursor.fetchall():
            chosen[item_id] = (definition_id, digest)
    return chosen


# Template name -> (definition id, digest) of rows known to be committed. A per-process memo of
# data immutable by its key: an entry is used only while its digest is the shipped file's
# (``template_digest``), and the committed row of a template at a digest never changes (a new
# file comes with a release and gets a new row); rows deleted by hand need ``clear_cache``.
_templates: dict[str, tuple[int, str]] = {}


def _template_definition(name: str) -> tuple[int, str]:
    known = _templates.get(name)
    if known is not None and known[1] == template_digest(name):
        return known
    from .services import ensure_template

    definition = ensure_template(name)
    found = (definition.pk, definition.digest)

    def remember() -> None:
        # Only after a real commit: a row of a transaction that is rolled back must not be kept.
        if not connection.in_atomic_block:
            _templates[name] = found

    transaction.on_commit(remember)
    return found


def clear_cache() -> None:
    """Forget this process's template rows (after deleting process definitions by hand)."""
    _templates.clear()


def resolve_process(item: ServiceItem, definition_id: int | None, digest: str | None) -> tuple[int, Process]:
    """The definition id and parsed process from ``chosen_definition``'s answer."""
    if definition_id is None:
        definition_id, digest = _template_definition(template_for(item.case_kind, item.is_charged))
    return definition_id, process_for(definition_id, digest or "")


def process_for(definition_id: int, digest: str) -> Process:
    """The parsed process of a stored definition, read from the database once per process."""
    process = _parsed.get(digest)
    if process is None:
        bpmn = ProcessDefinition.objects.values_list("bpmn", flat=True).get(pk=definition_id)
        process = get_process(bpmn)
        if hashlib.sha256(bpmn.encode()).hexdigest() == digest:
            with _parsed_lock:
                _parsed[digest] = process
    return process


def catalogue_department_ids(user) -> set[int]:
    """Departments whose processes ``user`` maintains (事项管理 role)."""
    from tongban.identity import permissions
    from tongban.identity.models import StaffRole

    return {m.department_id for m in permissions.memberships(user) if m.role == StaffRole.CATALOGUE}


def managed_items(user, query: str = ""):
    """The user's departments' items, to page through (see ``with_current``)."""
    items = ServiceItem.objects.filter(department_id__in=catalogue_department_ids(user)).select_related(
        "department", "process_choice__definition"
    )
    if query:
        items = items.filter(name__icontains=query) | items.filter(code__icontains=query)
    return items.order_by("department__name", "name", "pk")


def with_current(items) -> list[ServiceItem]:
    """The items with the process each runs as ``current`` (None: the template for its case kind)."""
    found = list(items)
    for item in found:
        choice = getattr(item, "process_choice", None)
        item.current = choice.definition if choice is not None else None
    return found


def managed_item(user, item_id: int) -> ServiceItem:
    """One item the user maintains; ``NotFound`` for any other (a 404: outsiders learn nothing)."""
    item = (
        ServiceItem.objects.filter(pk=item_id, department_id__in=catalogue_department_ids(user))
        .select_related("department")
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def versions(item: ServiceItem) -> list[ProcessDefinition]:
    """The item's own versions (newest first), then the shipped templates it may fall back to."""
    own = list(ProcessDefinition.objects.filter(item=item).order_by("-version").defer("bpmn"))
    from .services import ensure_template

    names = ["instant", "promised"] if item.case_kind == CaseKind.INSTANT else ["promised"]
    if item.is_charged:
        names = [f"{name}_fee" for name in names] + names
    return own + [ensure_template(name) for name in names]
