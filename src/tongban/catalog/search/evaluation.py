"""Measure search quality on a set of everyday queries (``tongban search evaluate FILE.tsv``).

A set is a UTF-8 text file, one query a line: the query, a TAB, and the acceptable item names
separated by ``|``. Blank lines and lines starting with ``#`` are skipped. A query counts as found
at rank *r* when the *r*-th hit's name is one of its acceptable names; top-1 and top-3 are the
shares of queries found at rank 1 and within the first three, MRR the mean of 1/*r* (0 when not
within the first ``depth`` hits).
"""

from dataclasses import dataclass, field
from pathlib import Path

from tongban.core.errors import InvalidInput


@dataclass(frozen=True)
class Case:
    line: int
    query: str
    acceptable: frozenset[str]


@dataclass
class Outcome:
    case: Case
    rank: int | None  # 1-based; None when not found within the depth
    top: list[str]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, within: int) -> float:
        if not self.outcomes:
            return 0.0
        found = sum(1 for o in self.outcomes if o.rank is not None and o.rank <= within)
        return found / len(self.outcomes)

    @property
    def top1(self) -> float:
        return self._share(1)

    @property
    def top3(self) -> float:
        return self._share(3)

    @property
    def mrr(self) -> float:
        if not self.outcomes:
            return 0.0
        return sum(1 / o.rank for o in self.outcomes if o.rank) / len(self.outcomes)

    @property
    def misses(self) -> list[Outcome]:
        """Queries whose item is not within the first three hits."""
        return [o for o in self.outcomes if o.rank is None or o.rank > 3]


def read_cases(path: str | Path) -> list[Case]:
    """The queries of a TSV file; a line without a TAB or without names is refused."""
    cases = []
    text = Path(path).read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        query, tab, names = line.partition("\t")
        acceptable = frozenset(n.strip() for n in names.split("|") if n.strip())
        if not tab or not query.strip() or not acceptable:
            raise InvalidInput(f"第 {number} 行格式应为：检索词<TAB>可接受的事项名称（用 | 分隔）。")
        cases.append(Case(number, query.strip(), acceptable))
    return cases


def evaluate(cases: list[Case], *, region_code: str | None = None, depth: int = 10) -> Report:
    """Run every query through ``search_items`` and note where its first acceptable item ranks."""
    from .engine import search_items

    report = Report()
    for case in cases:
        hits = search_items(case.query, region_code=region_code, page_size=depth).hits
        top = [hit.item.name for hit in hits]
        rank = next((i for i, name in enumerate(top, start=1) if name in case.acceptable), None)
        report.outcomes.append(Outcome(case, rank, top))
    return report


def format_report(report: Report, *, show_misses: bool = True) -> str:
    lines = [
        f"queries: {len(report.outcomes)}",
        f"top-1:   {report.top1:.1%}",
        f"top-3:   {report.top3:.1%}",
        f"MRR:     {report.mrr:.3f}",
    ]
    if show_misses and report.misses:
        lines.append(f"misses (not in the top 3): {len(report.misses)}")
        for o in report.misses:
            rank = f"rank {o.rank}" if o.rank else "not found"
            wanted = " | ".join(sorted(o.case.acceptable))
            lines.append(f"  line {o.case.line}: {o.case.query}  [{rank}]  wanted: {wanted}")
            lines.append(f"      got: {' / '.join(o.top[:3]) or '(nothing)'}")
    return "\n".join(lines)
