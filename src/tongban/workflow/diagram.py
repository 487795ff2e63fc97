"""Diagram geometry for BPMN documents: a layout for documents without one, and an SVG picture.

The shipped templates (and documents written by hand) carry no BPMN DI, which the browser
modeller needs to show anything and the read-only page needs for its picture. ``with_diagram``
adds a simple layout — one band per lane, one column per step from the start event — and
``render_svg`` draws any document's diagram on the server, so the page shows the process
without JavaScript.
"""

from collections import deque
from dataclasses import dataclass
from html import escape

from lxml import etree

from .engine import BPMN_NS

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DDI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": DI_NS, "dc": DC_NS, "di": DDI_NS}

ROLE_LABELS = {"intake": "受理", "review": "审核", "decide": "决定", "issue": "制证", "applicant": "申请人"}
SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}
COLUMN, ROW, LANE_HEAD, POOL_HEAD, ORIGIN = 150, 120, 30, 30, (40, 40)
_FLOW_NODE_TAGS = {
    "startEvent": "event",
    "endEvent": "event",
    "intermediateThrowEvent": "event",
    "intermediateCatchEvent": "event",
    "boundaryEvent": "event",
    "exclusiveGateway": "gateway",
    "parallelGateway": "gateway",
    "inclusiveGateway": "gateway",
    "eventBasedGateway": "gateway",
}


def _parse(xml: str | bytes) -> etree._Element:
    data = xml.encode() if isinstance(xml, str) else xml
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _kind(tag: str) -> str:
    return _FLOW_NODE_TAGS.get(tag, "task")


def has_diagram(xml: str | bytes) -> bool:
    return bool(_parse(xml).findall(".//bpmndi:BPMNShape", NSMAP))


@dataclass
class _Box:
    x: int
    y: int
    w: int
    h: int


def with_diagram(xml: str) -> str:
    """The document itself when it has a diagram, else the document with a generated one."""
    root = _parse(xml)
    if root.findall(".//bpmndi:BPMNShape", NSMAP):
        return xml
    process = root.find("bpmn:process", NSMAP)
    if process is None:
        return xml
    nodes = {
        el.get("id"): el
        for el in process
        if isinstance(el.tag, str)
        and el.get("id")
        and _local(el) not in ("sequenceFlow", "laneSet")
        and not _local(el).endswith("Association")
    }
    flows = [f for f in process.findall("bpmn:sequenceFlow", NSMAP) if f.get("sourceRef") in nodes]
    lanes = [lane for lane in process.iter(f"{{{BPMN_NS}}}lane")]
    lane_of: dict[str, int] = {}
    for index, lane in enumerate(lanes):
        for ref in lane.findall("bpmn:flowNodeRef", NSMAP):
            if ref.text:
                lane_of[ref.text.strip()] = index
    # Column: distance from a start event (breadth first); unreachable nodes go after the rest.
    column: dict[str, int] = {}
    queue = deque(nid for nid, el in nodes.items() if _local(el) == "startEvent")
    for nid in queue:
        column[nid] = 0
    outgoing: dict[str, list[str]] = {}
    for f in flows:
        outgoing.setdefault(f.get("sourceRef"), []).append(f.get("targetRef"))
    while queue:
        nid = queue.popleft()
        for target in outgoing.get(nid, []):
            if target in nodes and target not in column:
                column[target] = column[nid] + 1
                queue.append(target)
    last = max(column.values(), default=-1)
    for nid in nodes:
        if nid not in column:
            last += 1
            column[nid] = last
    # Stack nodes sharing a lane and a column.
    slot: dict[str, int] = {}
    taken: dict[tuple[int, int], int] = {}
    for nid in nodes:
        key = (lane_of.get(nid, 0), column[nid])
        slot[nid] = taken.get(key, 0)
        taken[key] = slot[nid] + 1
    band_count = max(len(lanes), 1)
    band_rows = [max([taken.get((b, c), 0) for c in range(last + 1)] + [1]) for b in range(band_count)]
    left = ORIGIN[0] + POOL_HEAD + (LANE_HEAD if lanes else 0)
    width = (last + 1) * COLUMN + 40
    band_top = []
    y = ORIGIN[1]
    for rows in band_rows:
        band_top.append(y)
        y += rows * ROW
    boxes: dict[str, _Box] = {}
    for nid, el in nodes.items():
        w, h = SIZES[_kind(_local(el))]
        cx = left + 20 + column[nid] * COLUMN + 50
        cy = band_top[lane_of.get(nid, 0)] + slot[nid] * ROW + ROW // 2
        boxes[nid] = _Box(cx - w // 2, cy - h // 2, w, h)

    di = etree.SubElement(root, f"{{{DI_NS}}}BPMNDiagram", id=f"{process.get('id')}_diagram")
    collaboration = root.find("bpmn:collaboration", NSMAP)
    participant = collaboration.find("bpmn:participant", NSMAP) if collaboration is not None else None
    plane = etree.SubElement(
        di,
        f"{{{DI_NS}}}BPMNPlane",
        id=f"{process.get('id')}_plane",
        bpmnElement=(collaboration.get("id") if participant is not None else process.get("id")),
    )

    def shape(element_id: str, box: _Box, **extra: str) -> None:
        node = etree.SubElement(
            plane, f"{{{DI_NS}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **extra
        )
        etree.SubElement(
            node, f"{{{DC_NS}}}Bounds", x=str(box.x), y=str(box.y), width=str(box.w), height=str(box.h)
        )

    total_height = y - ORIGIN[1]
    if participant is not None:
        shape(
            participant.get("id"),
            _Box(ORIGIN[0], ORIGIN[1], width + POOL_HEAD + (LANE_HEAD if lanes else 0), total_height),
            isHorizontal="true",
        )
    for index, lane in enumerate(lanes):
        shape(
            lane.get("id"),
            _Box(ORIGIN[0] + POOL_HEAD, band_top[index], width + LANE_HEAD, band_rows[index] * ROW),
            isHorizontal="true",
        )
    for nid, box in boxes.items():
        shape(nid, box)
    for f in flows:
        source, target = boxes.get(f.get("sourceRef")), boxes.get(f.get("targetRef"))
        if source is None or target is None:
            continue
        edge = etree.SubElement(
            plane, f"{{{DI_NS}}}BPMNEdge", id=f"{f.get('id')}_di", bpmnElement=f.get("id")
        )
        for px, py in _route(source, target):
            etree.SubElement(edge, f"{{{DDI_NS}}}waypoint", x=str(px), y=str(py))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


def _route(source: _Box, target: _Box) -> list[tuple[int, int]]:
    sy, ty = source.y + source.h // 2, target.y + target.h // 2
    if target.x > source.x:
        sx, tx = source.x + source.w, target.x
        if sy == ty:
            return [(sx, sy), (tx, ty)]
        mid = (sx + tx) // 2
        return [(sx, sy), (mid, sy), (mid, ty), (tx, ty)]
    # A flow back (e.g. 补正 back to 受理): around below both shapes.
    scx, tcx = source.x + source.w // 2, target.x + target.w // 2
    low = max(source.y + source.h, target.y + target.h) + 20
    return [(scx, source.y + source.h), (scx, low), (tcx, low), (tcx, target.y + target.h)]


def _lines(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def render_svg(xml: str, title: str = "") -> str:
    """An accessible SVG picture of the document's diagram (generated when it has none)."""
    root = _parse(with_diagram(xml))
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    parts: list[str] = []
    max_x = max_y = 0
    for shape in root.iterfind(".//bpmndi:BPMNShape", NSMAP):
        bounds = shape.find("dc:Bounds", NSMAP)
        element = elements.get(shape.get("bpmnElement"))
        if bounds is None or element is None:
            continue
        x, y, w, h = (round(float(bounds.get(k, "0"))) for k in ("x", "y", "width", "height"))
        max_x, max_y = max(max_x, x + w), max(max_y, y + h)
        tag, name = _local(element), element.get("name") or ""
        if tag in ("participant", "lane"):
            label = ROLE_LABELS.get(name, name) if tag == "lane" else name
            parts.append(f'<rect class="pool" x="{x}" y="{y}" width="{w}" height="{h}"/>')
            parts.append(f'<line class="pool" x1="{x + 30}" y1="{y}" x2="{x + 30}" y2="{y + h}"/>')
            parts.append(
                f'<text class="lane-label" transform="translate({x + 20},{y + h // 2}) rotate(-90)">'
                f"{escape(label)}</text>"
            )
        elif _kind(tag) == "event":
            r = w // 2
            css = "end" if tag == "endEvent" else "event"
            parts.append(f'<circle class="{css}" cx="{x + r}" cy="{y + r}" r="{r}"/>')
            parts.append(f'<text x="{x + r}" y="{y + h + 16}">{escape(name)}</text>')
        elif _kind(tag) == "gateway":
            cx, cy = x + w // 2, y + h // 2
            parts.append(f'<polygon class="gateway" points="{cx},{y} {x + w},{cy} {cx},{y + h} {x},{cy}"/>')
            parts.append(f'<text x="{cx}" y="{y - 6}">{escape(name)}</text>')
        else:
            parts.append(f'<rect class="task" x="{x}" y="{y}" width="{w}" height="{h}" rx="10"/>')
            lines = _lines(name, 6)
            top = y + h // 2 - (len(lines) - 1) * 8 + 5
            for i, line in enumerate(lines):
                parts.append(f'<text x="{x + w // 2}" y="{top + i * 16}">{escape(line)}</text>')
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NSMAP):
        points = [
            (round(float(p.get("x", "0"))), round(float(p.get("y", "0"))))
            for p in edge.findall("di:waypoint", NSMAP)
        ]
        if len(points) < 2:
            continue
        max_x = max([max_x] + [p[0] for p in points])
        max_y = max([max_y] + [p[1] for p in points])
        path = " ".join(f"{px},{py}" for px, py in points)
        parts.append(f'<polyline class="flow" points="{path}" marker-end="url(#arrow)"/>')
    label = escape(title or "流程图")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'viewBox="0 0 {max_x + 40} {max_y + 40}" class="bpmn-svg">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )


def for_modeller(xml: str) -> str:
    """The document as the modeller shows it: with a diagram, and lanes named by the role's Chinese
    name (``intake`` → 受理), which the engine reads the same way."""
    laid_out = with_diagram(xml)
    root = _parse(laid_out)
    changed = False
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        label = ROLE_LABELS.get((lane.get("name") or "").strip())
        if label:
            lane.set("name", label)
            changed = True
    if not changed:
        return laid_out
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()
