"""Catalogue admins pick a shipped template per item or upload their own BPMN."""

import hashlib
import uuid

from django.db import transaction
from lxml import etree

from tongban.catalog.models import CaseKind, ServiceItem
from tongban.core.errors import InvalidInput, PermissionDenied

from .engine import _DECISION, BPMN_NS, TEMPLATES, ProcessError, ProcessShape, inspect_bpmn, template_xml
from .models import ItemProcess, ProcessDefinition

MAX_BPMN_BYTES = 512 * 1024


def _check_can_manage(actor, item: ServiceItem | None) -> None:
    if actor is None or actor.is_superuser:
        return
    from tongban.catalog import services as catalog_services

    checker = getattr(catalog_services, "_check_can_manage", None)
    if checker is None or item is None:
        raise PermissionDenied()
    checker(actor, item.department)


def ensure_template(name: str) -> ProcessDefinition:
    """The shipped template as a definition row (created on first use, refreshed if the file changed)."""
    xml = template_xml(name)
    digest = hashlib.sha256(xml.encode()).hexdigest()
    definition, created = ProcessDefinition.objects.get_or_create(
        key=f"template:{name}",
        defaults={"name": TEMPLATES[name], "bpmn": xml, "digest": digest, "is_template": True},
    )
    if not created and definition.digest != digest:
        # A new release ships a changed template: keep the old row for running cases.
        definition.key = f"template:{name}:{definition.digest[:12]}"
        definition.save(update_fields=["key"])
        definition = ProcessDefinition.objects.create(
            key=f"template:{name}", name=TEMPLATES[name], bpmn=xml, digest=digest, is_template=True
        )
    return definition


# The outcomes the case pages know how to offer (cases.access.ACTION_BY_DECISION).
KNOWN_OUTCOMES = {"accept", "refuse", "correct", "pass", "special", "forward", "grant", "deny"}
_FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "task",
    "serviceTask",
    "scriptTask",
    "manualTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateThrowEvent",
    "intermediateCatchEvent",
)


def validate_bpmn(bpmn: str | bytes) -> tuple[str, ProcessShape]:
    """Check a document before it may run cases; every problem is named in Chinese.

    Beyond the engine's conventions (``inspect_bpmn``): one start event; end events; every step
    reachable from the start and able to reach an end; the first step a 受理 task (cases enter
    the 待受理 queue); a way to 办结 (end_concluded); only decisions the case pages offer.
    """
    data = bpmn.encode() if isinstance(bpmn, str) else bpmn
    if not data.strip():
        raise InvalidInput("BPMN 文件是空的。", field="bpmn")
    if len(data) > MAX_BPMN_BYTES:
        raise InvalidInput("BPMN 文件过大（上限 512 KB）。", field="bpmn")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("BPMN 文件必须是 UTF-8 编码。", field="bpmn") from exc
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"BPMN 文件不是合法的 XML：{exc}", field="bpmn") from exc
    ns = {"bpmn": BPMN_NS}
    process = next(
        (p for p in root.findall("bpmn:process", ns) if p.get("isExecutable", "true") == "true"), None
    )
    problems: list[str] = []
    if process is not None:
        nodes = {el.get("id"): el for tag in _FLOW_NODES for el in process.findall(f"bpmn:{tag}", ns)}
        starts = [nid for nid, el in nodes.items() if etree.QName(el).localname == "startEvent"]
        ends = [nid for nid, el in nodes.items() if etree.QName(el).localname == "endEvent"]
        if len(starts) != 1:
            problems.append("流程必须有且只有一个开始事件。" if starts else "流程缺少开始事件。")
        if not ends:
            problems.append("流程缺少结束事件。")
        forward: dict[str, list[str]] = {}
        backward: dict[str, list[str]] = {}
        for flow in process.findall("bpmn:sequenceFlow", ns):
            forward.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
            backward.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
            condition = flow.find("bpmn:conditionExpression", ns)
            match = _DECISION.match(condition.text or "") if condition is not None else None
            if match and match.group(1) not in KNOWN_OUTCOMES:
                problems.append(
                    f'分支条件 decision == "{match.group(1)}" 不是平台支持的办理结果'
                    f"（{'、'.join(sorted(KNOWN_OUTCOMES))}）。"
                )
        if len(starts) == 1 and ends:
            reached = _reach(starts, forward)
            finishing = _reach(ends, backward)
            for nid, el in nodes.items():
                label = el.get("name") or nid
                if nid not in reached:
                    problems.append(f"“{label}”从开始事件无法到达。")
                elif nid not in finishing:
                    problems.append(f"“{label}”之后无法到达任何结束事件。")
            first = [n for n in forward.get(starts[0], []) if n in nodes]
            if not first or etree.QName(nodes[first[0]]).localname != "userTask":
                problems.append("开始事件之后的第一步必须是一个受理人工任务。")
            if not any(e == "end_concluded" or e.startswith("end_concluded_") for e in ends if e in reached):
                problems.append("流程必须能到达“办结”结束事件（id 以 end_concluded 开头）。")
    if problems:
        raise InvalidInput("；".join(dict.fromkeys(problems)), field="bpmn")
    try:
        shape = inspect_bpmn(data)
    except ProcessError as exc:
        raise InvalidInput(str(exc), field="bpmn") from exc
    first_task = next(iter(_first_tasks(process, shape)), None)
    if first_task is not None and first_task.role != "intake":
        raise InvalidInput(f"第一个人工任务“{first_task.title}”必须放在“受理”泳道中。", field="bpmn")
    return text, shape


def _reach(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _first_tasks(process, shape: ProcessShape) -> list:
    ns = {"bpmn": BPMN_NS}
    starts = [s.get("id") for s in process.findall("bpmn:startEvent", ns)]
    targets = [
        f.get("targetRef") for f in process.findall("bpmn:sequenceFlow", ns) if f.get("sourceRef") in starts
    ]
    return [shape.tasks[t] for t in targets if t in shape.tasks]


def _next_version(item: ServiceItem) -> int:
    latest = (
        ProcessDefinition.objects.filter(item=item).order_by("-version").values_list("version", flat=True)
    )
    return (latest.first() or 0) + 1


@transaction.atomic
def save_version(*, actor, item: ServiceItem, bpmn: str | bytes, name: str = "") -> ProcessDefinition:
    """A new version of the item's process, which the item's next case uses.

    Versions are never changed afterwards: a running case keeps the definition it started with.
    """
    _check_can_manage(actor, item)
    text, shape = validate_bpmn(bpmn)
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
    version = _next_version(item)
    title = (name or "").strip() or shape.name or item.name
    definition = ProcessDefinition.objects.create(
        key=f"custom:{uuid.uuid4().hex}",
        name=title[:120],
        bpmn=text,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        department=item.department,
        item=item,
        version=version,
        uploaded_by=actor if actor is not None and getattr(actor, "pk", None) else None,
    )
    ItemProcess.objects.update_or_create(item=item, defaults={"definition": definition})
    _record(actor, "process.save", definition, item)
    return definition


def _record(actor, action: str, definition: ProcessDefinition, item: ServiceItem) -> None:
    from tongban.identity.audit import record_action

    summary = f"{item.code} {definition.name} v{definition.version}"[:300]
    record_action(actor, action, target=definition, summary=summary, department=item.department)


def upload_process(*, actor, item: ServiceItem, name: str, bpmn: str | bytes) -> ProcessDefinition:
    """Validate an uploaded BPMN document and make it the item's process (a new version)."""
    if not (name or "").strip():
        raise InvalidInput("请填写流程名称。", field="name")
    return save_version(actor=actor, item=item, bpmn=bpmn, name=name)


@transaction.atomic
def assign_version(*, actor, item: ServiceItem, definition_id: int) -> ProcessDefinition:
    """Let the item's next cases run an earlier version of its own process, or a shipped template."""
    _check_can_manage(actor, item)
    definition = ProcessDefinition.objects.filter(pk=definition_id).first()
    if definition is None or not (definition.is_template or definition.item_id == item.pk):
        raise InvalidInput("只能选择本事项的流程版本或内置模板。", field="definition")
    if definition.is_template:
        template = definition.key.removeprefix("template:")
        if template in TEMPLATES:
            return choose_template(actor=actor, item=item, template=template)
        raise InvalidInput("该内置模板已被新版本取代。", field="definition")
    ItemProcess.objects.update_or_create(item=item, defaults={"definition": definition})
    _record(actor, "process.assign", definition, item)
    return definition


@transaction.atomic
def choose_template(*, actor, item: ServiceItem, template: str) -> ProcessDefinition:
    _check_can_manage(actor, item)
    if template not in TEMPLATES:
        raise InvalidInput("没有该流程模板。", field="template")
    if template.startswith("instant") and item.case_kind != CaseKind.INSTANT:
        raise InvalidInput("只有即办件可以使用即办件流程。", field="template")
    definition = ensure_template(template)
    ItemProcess.objects.update_or_create(item=item, defaults={"definition": definition})
    _record(actor, "process.assign", definition, item)
    return definition
