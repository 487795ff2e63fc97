"""BPMN 2.0 processes run by SpiffWorkflow, behind a small interface the case app uses.

Conventions a process must follow (checked on upload by ``inspect_bpmn``):
- exactly one executable process; every user task sits in a lane named after the role
  that performs it (``intake`` 受理, ``review`` 审核, ``decide`` 决定, ``issue`` 制证, or
  ``applicant`` for the applicant's own step such as 补正; the Chinese names work too);
- a user task is followed by an exclusive gateway whose flows test ``decision == "…"``;
  those values are the outcomes offered to the person doing the task;
- end events are named by id: ``end_concluded``, ``end_denied``, ``end_refused``,
  ``end_forwarded`` (any suffix after them is allowed, e.g. ``end_concluded_2``).

Workflow state is the serializer's JSON; the caller stores it in the same transaction as
the step so a crash never loses or repeats a step.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
STAFF_ROLES = {"intake", "review", "decide", "issue"}
LANE_ROLES = STAFF_ROLES | {"applicant"}
# Lanes may also carry the role's Chinese name, as catalogue admins label them in the modeller.
LANE_NAMES = {
    "受理": "intake",
    "审核": "review",
    "审查": "review",
    "决定": "decide",
    "制证": "issue",
    "申请人": "applicant",
}
END_KINDS = ("end_concluded", "end_denied", "end_refused", "end_forwarded")
MAX_CACHED_STARTS = 2048  # start states kept per process definition (one per item code)
_DECISION = re.compile(r"""^\s*decision\s*==\s*["']([a-z_]+)["']\s*$""")


class ProcessError(ValueError):
    """A process definition or a step that does not fit the rules; message in Chinese."""


@dataclass(frozen=True)
class TaskInfo:
    spec: str  # the BPMN id of the user task
    title: str
    role: str
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class ProcessShape:
    process_id: str
    name: str
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    ends: dict[str, str] = field(default_factory=dict)  # end event id -> end kind


def inspect_bpmn(xml: str | bytes) -> ProcessShape:
    """Parse and check a BPMN document against the conventions; raise ProcessError in Chinese."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ProcessError(f"BPMN 文件不是合法的 XML：{exc}") from exc
    ns = {"bpmn": BPMN_NS}
    processes = root.findall("bpmn:process", ns)
    executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
    if len(executable) != 1:
        raise ProcessError("BPMN 文件必须且只能包含一个可执行流程（process）。")
    proc = executable[0]
    problems: list[str] = []
    lanes = {
        ref.text.strip(): LANE_NAMES.get(lane.get("name", "").strip(), lane.get("name", "").strip())
        for lane in proc.iter(f"{{{BPMN_NS}}}lane")
        for ref in lane.findall("bpmn:flowNodeRef", ns)
        if ref.text
    }
    flows = proc.findall("bpmn:sequenceFlow", ns)
    outgoing: dict[str, list] = {}
    for f in flows:
        outgoing.setdefault(f.get("sourceRef"), []).append(f)
    gateways = {g.get("id") for g in proc.findall("bpmn:exclusiveGateway", ns)}
    tasks: dict[str, TaskInfo] = {}
    for task in proc.findall("bpmn:userTask", ns):
        tid, title = task.get("id"), task.get("name") or task.get("id")
        role = lanes.get(tid)
        if role not in LANE_ROLES:
            problems.append(
                f"人工任务“{title}”必须放在以角色命名的泳道中（受理、审核、决定、制证、申请人，"
                f"或 {'、'.join(sorted(LANE_ROLES))}）。"
            )
            continue
        outcomes: list[str] = []
        nxt = outgoing.get(tid, [])
        if len(nxt) != 1:
            problems.append(f"人工任务“{title}”必须恰好有一条出线。")
            continue
        target = nxt[0].get("targetRef")
        if target in gateways:
            for gf in outgoing.get(target, []):
                cond = gf.find("bpmn:conditionExpression", ns)
                match = _DECISION.match(cond.text or "") if cond is not None else None
                if match is None:
                    problems.append(f'“{title}”之后的网关分支必须使用条件 decision == "…"。')
                    break
                outcomes.append(match.group(1))
        tasks[tid] = TaskInfo(tid, title, role, tuple(outcomes))
    ends: dict[str, str] = {}
    for end in proc.findall("bpmn:endEvent", ns):
        eid = end.get("id")
        kind = next((k for k in END_KINDS if eid == k or eid.startswith(k + "_")), None)
        if kind is None:
            problems.append(
                f"结束事件“{end.get('name') or eid}”的 id 必须以 {'、'.join(END_KINDS)} 之一开头。"
            )
        else:
            ends[eid] = kind
    if not tasks:
        problems.append("流程至少需要一个人工任务。")
    if problems:
        raise ProcessError("；".join(problems))
    try:
        _spec_for(hashlib.sha256(data).hexdigest(), data, proc.get("id"))
    except (ValidationException, WorkflowException) as exc:
        raise ProcessError(f"BPMN 流程无法解析：{exc}") from exc
    return ProcessShape(proc.get("id"), proc.get("name") or proc.get("id"), tasks, ends)


@lru_cache(maxsize=128)
def _spec_for(digest: str, data: bytes, process_id: str):
    """Parsed specs are immutable; caching them per content hash is safe in every process."""
    parser = BpmnParser()
    parser.add_bpmn_str(data, filename=f"{process_id}.bpmn")
    return parser.get_spec(process_id)


_serializer = BpmnWorkflowSerializer()


class Process:
    """One process definition, ready to start and advance workflows."""

    def __init__(self, xml: str | bytes):
        self.data = xml.encode() if isinstance(xml, str) else xml
        self.shape = inspect_bpmn(self.data)
        self.spec = _spec_for(hashlib.sha256(self.data).hexdigest(), self.data, self.shape.process_id)
        self._starts: dict[str, tuple[str, tuple[TaskInfo, ...]]] = {}

    def start(self, data: dict | None = None) -> tuple[str, list[TaskInfo]]:
        """A new workflow run to its first user task. Every start with the same data ends in the
        same state (up to fresh task ids), so it is made once per data and process: the state is
        a value stored per case, never shared between cases once saved."""
        key = json.dumps(data or {}, sort_keys=True, default=str)
        started = self._starts.get(key)
        if started is None:
            workflow = BpmnWorkflow(self.spec)
            workflow.data.update(data or {})
            workflow.do_engine_steps()
            started = (_serializer.serialize_json(workflow), tuple(self._ready(workflow)))
            if len(self._starts) >= MAX_CACHED_STARTS:
                self._starts.clear()
            self._starts[key] = started
        return started[0], list(started[1])

    def ready(self, state: str) -> list[TaskInfo]:
        return self._ready(_serializer.deserialize_json(state))

    def complete(self, state: str, spec: str, decision: str | None, data: dict | None = None) -> "StepResult":
        """Complete the ready user task ``spec`` with ``decision``; returns the new state."""
        workflow = _serializer.deserialize_json(state)
        ready = [
            t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == spec
        ]
        if not ready:
            raise ProcessError("该环节当前不可办理（可能已被他人处理）。")
        info = self.shape.tasks[spec]
        if info.outcomes and decision not in info.outcomes:
            raise ProcessError(f"“{info.title}”环节不支持该操作。")
        task = ready[0]
        task.data.update(data or {})
        task.data["decision"] = decision
        task.run()
        workflow.do_engine_steps()
        end = None
        if workflow.is_completed():
            finished = [
                t.task_spec.name
                for t in workflow.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.name in self.shape.ends
            ]
            end = self.shape.ends[finished[-1]] if finished else None
        return StepResult(_serializer.serialize_json(workflow), self._ready(workflow), end)

    def _ready(self, workflow: BpmnWorkflow) -> list[TaskInfo]:
        return [
            self.shape.tasks[t.task_spec.name]
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if t.task_spec.name in self.shape.tasks
        ]


@dataclass(frozen=True)
class StepResult:
    state: str
    ready: list[TaskInfo]
    end: str | None  # end kind when the workflow finished


def template_xml(name: str) -> str:
    from pathlib import Path

    path = Path(__file__).resolve().parent / "bpmn" / f"{name}.bpmn"
    if not path.exists():
        raise ProcessError(f"没有名为 {name} 的流程模板。")
    return path.read_text(encoding="utf-8")


TEMPLATES = {
    "instant": "即办件流程",
    "promised": "承诺件审批流程",
    # For items that charge (``ServiceItem.is_charged``): a 缴费 step in the applicant's lane that
    # ``payments`` settles (a ``cases.steps.WaitingStep``).
    "instant_fee": "即办件流程（含缴费）",
    "promised_fee": "承诺件审批流程（含缴费）",
}


@lru_cache(maxsize=64)
def _process_by_digest(digest: str, data: bytes) -> Process:
    return Process(data)


def get_process(xml: str | bytes) -> Process:
    """A Process for this exact document, built once per worker process."""
    data = xml.encode() if isinstance(xml, str) else xml
    return _process_by_digest(hashlib.sha256(data).hexdigest(), data)
