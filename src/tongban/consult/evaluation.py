"""Measure the assistant on a set of everyday questions (``tongban consult evaluate FILE.tsv``).

A set is a UTF-8 file, one question a line: the question, a TAB, the acceptable item names
(``|`` separated), a TAB and the guide section that answers it (a key of
``assistant.SECTIONS`` or ``faq``). Blank lines and lines starting with ``#`` are skipped.
A question is *right* when the first answer cites one of its items and its section, *handed
over* when the assistant handed over or asked back instead of answering, and *wrong* otherwise.
"""

from dataclasses import dataclass, field
from pathlib import Path

from tongban.core.errors import InvalidInput

from . import assistant
from .models import AssistantLog

DEFAULT_SET = Path(__file__).resolve().parent / "data" / "assistant-questions.tsv"


@dataclass(frozen=True)
class Question:
    line: int
    text: str
    acceptable: frozenset[str]
    section: str


@dataclass
class Outcome:
    question: Question
    verdict: str  # right / handed_over / wrong
    got_item: str
    got_section: str


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    def share(self, verdict: str) -> float:
        return self.count(verdict) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def right(self) -> float:
        return self.share("right")

    @property
    def handed_over_of_rest(self) -> float:
        rest = len(self.outcomes) - self.count("right")
        return self.count("handed_over") / rest if rest else 1.0


def read_questions(path: str | Path) -> list[Question]:
    sections = set(assistant.SECTIONS) | {"faq"}
    found = []
    text = Path(path).read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0].strip() or parts[2].strip() not in sections:
            raise InvalidInput(f"第 {number} 行格式应为：问题<TAB>事项名称（| 分隔）<TAB>指南栏目。")
        names = frozenset(n.strip() for n in parts[1].split("|") if n.strip())
        found.append(Question(number, parts[0].strip(), names, parts[2].strip()))
    return found


def evaluate(questions: list[Question], *, region_code: str | None = None) -> Report:
    report = Report()
    for question in questions:
        answer = assistant.answer(question.text, region_code=region_code, log=False)
        if answer.outcome != AssistantLog.Outcome.ANSWERED:
            verdict = "handed_over"
        elif answer.item.name in question.acceptable and answer.section == question.section:
            verdict = "right"
        else:
            verdict = "wrong"
        report.outcomes.append(
            Outcome(question, verdict, answer.item.name if answer.item else "", answer.section)
        )
    return report


def format_report(report: Report, *, show_misses: bool = True) -> str:
    total = len(report.outcomes)
    lines = [
        f"questions: {total}",
        f"first answer cites the right item and section: {report.count('right')} ({report.right:.1%})",
        f"handed over or asked back: {report.count('handed_over')}",
        f"answered wrongly: {report.count('wrong')}",
        f"of the rest, handed over rather than answered wrongly: {report.handed_over_of_rest:.1%}",
    ]
    if show_misses:
        for o in report.outcomes:
            if o.verdict != "right":
                wanted = " | ".join(sorted(o.question.acceptable))
                lines.append(
                    f"  line {o.question.line} [{o.verdict}]: {o.question.text}  wanted: {wanted} #{o.question.section}"
                )
                if o.got_item:
                    lines.append(f"      got: {o.got_item} #{o.got_section}")
    return "\n".join(lines)
