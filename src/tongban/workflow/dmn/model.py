"""Reading a DMN 1.3 document (any modeler's ``.dmn``) into decision tables.

SpiffWorkflow's ``DMNParser`` reads the XML: decisions, their tables, inputs, outputs and rules.
Three things it leaves out are added here by a subclass: a file may hold several decisions
(Spiff's parser takes exactly one), the outputs' ``outputValues`` (which PRIORITY and OUTPUT
ORDER rank by) and the inputs' ``inputValues``, and the table's ``aggregation``; the
decisions' information requirements are kept so that a decision can use another's result.
Output entries are checked as S-FEEL instead of as Python (Spiff's ``ast.parse``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import Decision, InputEntry, OutputEntry

from .feel import FeelError, UnaryTests, _parse, _split_top, parse_unary

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
# Single-letter abbreviations some modelers write.
_ABBREVIATED = {
    "U": "UNIQUE",
    "F": "FIRST",
    "P": "PRIORITY",
    "A": "ANY",
    "C": "COLLECT",
    "R": "RULE ORDER",
    "O": "OUTPUT ORDER",
}
MAX_DMN_BYTES = 512 * 1024
_NEEDS_ID = {"decision", "decisionTable", "input", "output", "rule", "inputEntry", "outputEntry"}


class ModelError(ValueError):
    """The document cannot be read as DMN decision tables (message in Chinese)."""


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    expression: str
    type_ref: str
    values: tuple[str, ...] = ()  # inputValues / outputValues, as FEEL texts


@dataclass(frozen=True)
class Rule:
    id: str
    row: int  # 1-based, as the table shows it
    tests: tuple[UnaryTests, ...]
    outputs: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Table:
    decision_id: str
    name: str  # the decision's name, which its result is known by
    hit_policy: str
    aggregation: str
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    rules: tuple[Rule, ...]
    required: tuple[str, ...] = ()  # names of input data and decisions it needs
    required_decisions: tuple[str, ...] = ()


@dataclass
class Definitions:
    name: str
    tables: dict[str, Table] = field(default_factory=dict)  # by decision name
    other_decisions: dict[str, str] = field(default_factory=dict)  # name -> kind of logic
    input_data: dict[str, str] = field(default_factory=dict)  # name -> typeRef


class _Parser(DMNParser):
    """Spiff's parser, for every decision of the file and with what PRIORITY needs."""

    def parse(self) -> None:
        self.decisions: list[Decision] = []
        for element in self.xpath(".//dmn:decision"):
            decision = Decision(element.attrib["id"], element.attrib.get("name", ""))
            self._parse_decision_tables(decision, element)
            self.decisions.append(decision)

    def _parse_inputs_outputs(self, decisionTable, decisionTableElement) -> None:
        # DMN allows descriptions and annotations beside inputs, outputs and rules; Spiff's
        # parser refuses any other child, so only those three are handed to it.
        kept = [
            child
            for child in decisionTableElement
            if isinstance(child.tag, str) and etree.QName(child).localname in ("input", "output", "rule")
        ]
        holder = etree.Element(decisionTableElement.tag)
        holder.extend(_copy(child) for child in kept)
        super()._parse_inputs_outputs(decisionTable, holder)

    def _parse_input_output_element(self, decision_table, element, cls, idx):
        if cls is OutputEntry:
            # Spiff checks output entries as Python; they are FEEL, checked when compiled.
            entry = cls(element.attrib["id"], decision_table.outputs[idx])
            text = element.find("dmn:text", namespaces=self.nsmap)
            entry.text = text.text if text is not None else ""
            return entry
        return super()._parse_input_output_element(decision_table, element, cls, idx)


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    found = _children(element, "text")
    return (found[0].text or "").strip() if found else ""


def _values(element: etree._Element, name: str) -> tuple[str, ...]:
    holder = _children(element, name)
    if not holder:
        return ()
    return tuple(part.strip() for part in _split_top(_text(holder[0]), ",") if part.strip())


def _href_id(element: etree._Element) -> str:
    return (element.get("href") or "").lstrip("#")


def parse(document: str | bytes) -> Definitions:
    """The decision tables of a DMN document; ``ModelError`` with a Chinese message otherwise."""
    data = document.encode() if isinstance(document, str) else document
    if not data.strip():
        raise ModelError("DMN 文件是空的。")
    if len(data) > MAX_DMN_BYTES:
        raise ModelError("DMN 文件过大（上限 512 KB）。")
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ModelError(f"DMN 文件不是合法的 XML：{exc.msg}") from exc
    if _local(root) != "definitions":
        raise ModelError("这不是 DMN 文件（根元素应为 definitions）。")
    nsmap = {"dmn": etree.QName(root).namespace or ""}
    # ids are optional in DMN but Spiff's parser indexes by them
    for index, element in enumerate(root.iter()):
        if _local(element) in _NEEDS_ID and not element.get("id"):
            element.set("id", f"_tongban_{_local(element)}_{index}")
    parser = _Parser(None, root, nsmap)
    try:
        parser.parse()
    except (ValidationException, KeyError, IndexError) as exc:
        raise ModelError(f"DMN 决策表结构有误：{exc}") from exc

    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    definitions = Definitions(name=root.get("name", ""))
    for element in root:
        if _local(element) == "inputData":
            variable = _children(element, "variable")
            definitions.input_data[element.get("name", "")] = (
                variable[0].get("typeRef", "") if variable else ""
            )
    for decision in parser.decisions:
        element = by_id[decision.id]
        if not decision.decisionTables:
            kinds = [
                _local(c)
                for c in element
                if _local(c)
                not in (
                    "variable",
                    "informationRequirement",
                    "description",
                    "authorityRequirement",
                    "knowledgeRequirement",
                    "question",
                    "allowedAnswers",
                    "extensionElements",
                )
            ]
            definitions.other_decisions[decision.name] = kinds[0] if kinds else "empty"
            continue
        definitions.tables[decision.name] = _table(decision, element, by_id)
    if not definitions.tables and not definitions.other_decisions:
        raise ModelError("DMN 文件中没有决策（decision）。")
    return definitions


def _table(decision: Decision, element: etree._Element, by_id: dict) -> Table:
    spiff = decision.decisionTables[0]
    table_element = _children(element, "decisionTable")[0]
    name = decision.name
    policy = (table_element.get("hitPolicy") or "UNIQUE").strip().upper()
    policy = _ABBREVIATED.get(policy, policy)
    if policy not in HIT_POLICIES:
        raise ModelError(f"决策“{name}”的命中策略 {policy} 不是 DMN 规定的七种之一。")
    aggregation = (table_element.get("aggregation") or "").strip().upper()
    if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
        raise ModelError(f"决策“{name}”的汇总方式 {aggregation} 只能用于 COLLECT（SUM/MIN/MAX/COUNT）。")
    input_elements = _children(table_element, "input")
    output_elements = _children(table_element, "output")
    inputs = tuple(
        Column(
            id=spiff_input.id,
            label=spiff_input.label or (spiff_input.expression or "").strip(),
            expression=(spiff_input.expression or "").strip(),
            type_ref=spiff_input.typeRef or "",
            values=_values(el, "inputValues"),
        )
        for spiff_input, el in zip(spiff.inputs, input_elements, strict=True)
    )
    variable = _children(element, "variable")
    outputs = tuple(
        Column(
            id=spiff_output.id,
            label=spiff_output.name or spiff_output.label or (name if len(output_elements) == 1 else ""),
            expression="",
            type_ref=spiff_output.typeRef or (variable[0].get("typeRef", "") if variable else ""),
            values=_values(el, "outputValues"),
        )
        for spiff_output, el in zip(spiff.outputs, output_elements, strict=True)
    )
    if not outputs:
        raise ModelError(f"决策“{name}”没有输出列。")
    if len(outputs) > 1 and any(not o.label for o in outputs):
        raise ModelError(f"决策“{name}”有多个输出列，每列都要有名称（name）。")
    for column in inputs:
        if not column.expression:
            raise ModelError(f"决策“{name}”的输入列“{column.label}”没有输入表达式。")
        _feel(lambda c=column: _parse(c.expression, ()), name, f"输入列“{column.label}”")
    rules = []
    for spiff_rule in spiff.rules:
        row = spiff_rule.row_number
        if len(spiff_rule.inputEntries) != len(inputs) or len(spiff_rule.outputEntries) != len(outputs):
            raise ModelError(f"决策“{name}”第 {row} 条规则的列数与表头不一致。")
        tests = tuple(
            _feel(lambda e=entry: parse_unary(_entry_text(e)), name, f"第 {row} 条规则")
            for entry in spiff_rule.inputEntries
        )
        texts = tuple((entry.text or "").strip() for entry in spiff_rule.outputEntries)
        for text in texts:
            if text:
                _feel(lambda t=text: _parse(t, ()), name, f"第 {row} 条规则的输出")
        rules.append(Rule(spiff_rule.id, row, tests, texts, (spiff_rule.description or "").strip()))
    required, required_decisions = [], []
    for requirement in _children(element, "informationRequirement"):
        for ref in requirement:
            target = by_id.get(_href_id(ref))
            if target is not None:
                required.append(target.get("name", ""))
                if _local(ref) == "requiredDecision":
                    required_decisions.append(target.get("name", ""))
    return Table(
        decision_id=decision.id,
        name=name,
        hit_policy=policy,
        aggregation=aggregation,
        inputs=inputs,
        outputs=outputs,
        rules=tuple(rules),
        required=tuple(required),
        required_decisions=tuple(required_decisions),
    )


def _entry_text(entry: InputEntry) -> str:
    return (entry.text or "").strip()


def _feel[T](read: Callable[[], T], decision: str, where: str) -> T:
    try:
        return read()
    except FeelError as exc:
        raise ModelError(f"决策“{decision}”{where}：{exc}") from exc
