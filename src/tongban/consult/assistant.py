"""智能客服: answers everyday questions from the guides, citing the item and the guide section.

It is the catalogue search with one more step, not a second search:

1. The question is split into *what about* and *what of it*: the phrases that name a guide
   section (材料, 多久, 在哪, 多少钱 …, listed in ``SECTIONS``) are taken out, and the rest goes
   to ``catalog.search.search_items`` (jieba, the synonym dictionary, pinyin, the index).
2. The section is chosen by those phrases and, when none is said, by a BM25 ranking of the top
   item's guide sections and FAQs against the question's words (``analysis.search_words``).
   A question that names no section and matches none asks for the materials (what people most
   often mean by "开饭店要什么").
3. The search's best hits are re-ranked by their names (``rerank``): how much of the item's
   name the question says (character pairs, with the official terms of its synonyms), and
   whether the name does the action the question asks for (补领, 注销, 变更 … or a new
   application). Siblings of one object differ in just that.
4. Confidence: no hit, a weak best hit, or a best hit whose name the question hardly says hands
   over to a consultation request (with the transcript); two different services scoring almost
   alike ask back which one is meant. The thresholds are chosen on the seen question sets
   (docs/consult.md, session 10).

Questions are logged with ID and mobile numbers removed, and with what the assistant did.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.catalog.search import SearchHit, SearchQueryTooLong, analysis, intent, search_items
from tongban.catalog.search.engine import plan_query
from tongban.catalog.selectors import Guide, get_guide
from tongban.core.audit import mask_text
from tongban.core.errors import InvalidInput, NotFound

from .models import AssistantLog, PublishedAnswer

MAX_QUESTION = 100
# Confidence, chosen on the four seen question sets (docs/consult.md, session 10): the most right
# answers such that the assistant hands over at least as often as it answers wrongly.
ASK_BACK_RATIO = 0.98  # a second service scoring within 2 % of the first (assistant's score): ask which
MIN_SCORE = 0.45  # a best hit below this (search score) is a guess: hand over
MIN_COVER = 0.1  # the question says almost nothing of the best item's name: a guess, hand over
CANDIDATES = 5  # hits of the search the assistant weighs
# Re-ranking of the search's hits by the item's name (``rerank``): the share of the name's
# character pairs the question says, and whether the name's action is the one asked for.
NAME_WEIGHT = 0.5
OTHER_ACTION = 0.8  # the name does something else than the question asks (补领 for 领结婚证)
BM25_K1 = 1.2
BM25_B = 0.75

# section key → (label, anchor on the guide page, phrases that ask for it), most specific first.
SECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "fees": (
        "收费标准",
        "fees",
        (
            "多少钱",
            "收费",
            "收不收费",
            "要钱",
            "要不要钱",
            "花多少",
            "费用",
            "免费",
            "交钱",
            "交费",
            "缴费",
            "价格",
            "工本费",
            "花钱",
        ),
    ),
    "limits": (
        "办理时限",
        "limits",
        (
            "多久",
            "多长时间",
            "几天",
            "多少天",
            "时限",
            "期限",
            "多快",
            "几个工作日",
            "什么时候能拿",
            "什么时候能办好",
            "要等",
            "等多久",
            "办好要",
            "当天能",
            "能当天",
            "即办",
        ),
    ),
    "place": (
        "办理地点和时间",
        "place",
        (
            "在哪",
            "哪里办",
            "去哪",
            "哪儿办",
            "地址",
            "地点",
            "窗口在",
            "几点",
            "上班时间",
            "办公时间",
            "工作时间",
            "周末",
            "周六",
            "节假日",
            "什么时间去",
            "交给哪",
            "交到哪",
            "送到哪",
            "交哪里",
            "哪个窗口",
        ),
    ),
    "contact": (
        "咨询与投诉",
        "contact",
        (
            "电话",
            "咨询方式",
            "联系方式",
            "怎么联系",
            "投诉",
            "热线",
            "打给谁",
            "找谁",
            "问谁",
            "找哪个部门",
            "哪个部门管",
        ),
    ),
    "service": (
        "服务方式",
        "service",
        (
            "网上办",
            "网上能",
            "能网上",
            "线上",
            "网上申请",
            "手机上",
            "预约",
            "快递",
            "邮寄",
            "寄给",
            "跑几次",
            "去几次",
            "到现场",
            "要本人去",
            "不用跑",
            "全程网办",
        ),
    ),
    "process": (
        "办理流程",
        "process",
        (
            "流程",
            "步骤",
            "程序",
            "环节",
            "怎么申请",
            "如何申请",
            "申请流程",
            "办理流程",
            "先做什么",
            "审批过程",
        ),
    ),
    "conditions": (
        "受理条件",
        "conditions",
        (
            "条件",
            "资格",
            "谁可以",
            "谁能",
            "符合",
            "能不能申请",
            "可以申请吗",
            "有什么要求",
            "门槛",
            "够不够",
        ),
    ),
    "result": (
        "审批结果",
        "result",
        ("拿到什么", "发什么", "结果", "领什么证", "给什么证", "出什么证", "批文"),
    ),
    "basis": (
        "设定依据",
        "basis",
        ("依据", "法律", "法规", "哪条规定", "政策依据", "根据什么"),
    ),
    "materials": (
        "申请材料",
        "materials",
        (
            "材料",
            "带什么",
            "带啥",
            "准备什么",
            "准备啥",
            "需要什么",
            "需要啥",
            "要什么",
            "要啥",
            "要哪些",
            "需要哪些",
            "提交什么",
            "资料",
            "复印件",
            "原件",
            "证件",
            "什么手续",
            "哪些东西",
        ),
    ),
}
FAQ_SECTION = ("常见问题", "faq")
DEFAULT_SECTION = "materials"
# "怎么 / 如何 + a verb" with no section named asks how it is done (办理流程): 怎么补, 如何注销,
# 怎样激活. Only the question word is taken out; the verb stays, since it often names the item
# (补领, 注销, 激活).
HOW_TO = re.compile(r"(怎么|怎样|如何|咋)(?=[\u4e00-\u9fff])")
# Clause breaks of a normalised question (full-width punctuation is half-width by then).
CLAUSES = re.compile(r"[,.;!?]")
# "能 / 可以 … 吗", "能不能" with no section named asks whether one qualifies (受理条件): 能一次性取出来吗,
# 能转成 … 吗. Phrases of other sections (能网上办吗) are matched before this.
CAN_I = re.compile(r"(能不能|可不可以|能否|(?:能|可以)(?=[\u4e00-\u9fff][^，,。]*吗))")
# Words that name what is done to a licence or registration. A question saying one asks for the
# item that does it: 停业 is not 备案, 暂停 is not 申请. An item whose name has the question's
# action goes first among the hits; when none has it the best hit is a guess, so hand over.
ACTIONS = (
    "停业",
    "歇业",
    "注销",
    "变更",
    "补领",
    "补办",
    "补发",
    "遗失",
    "换发",
    "换证",
    "延续",
    "暂停",
    "恢复",
    "报停",
    "转移",
    "撤销",
    "补证",
)


@dataclass
class Choice:
    label: str
    question: str


@dataclass
class Answer:
    """What the assistant says: an answer citing a section, a question back, or a hand-over."""

    question: str
    outcome: str  # AssistantLog.Outcome
    text: str = ""
    item: ServiceItem | None = None
    section: str = ""
    section_label: str = ""
    link: str = ""
    lines: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    other_regions: int = 0

    @property
    def answered(self) -> bool:
        return self.outcome == AssistantLog.Outcome.ANSWERED


def _phrases(text: str) -> tuple[list[tuple[str, str]], str]:
    found: list[tuple[str, str]] = []
    rest = text
    for key, (_label, _anchor, phrases) in SECTIONS.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            if phrase in rest:
                found.append((key, phrase))
                rest = rest.replace(phrase, " ")
    if not found and (can := CAN_I.search(rest)):
        found.append(("conditions", can.group(1)))
        rest = CAN_I.sub(" ", rest, count=1)
    if not found and (how := HOW_TO.search(rest)):
        found.append(("process", how.group(1)))
        rest = HOW_TO.sub(" ", rest)
    return found, rest


def section_phrases(question: str) -> tuple[list[tuple[str, str]], str]:
    """((section, phrase) pairs the question says; the question without those phrases).

    The pairs of the last clause that asks something come first: the question is what is asked
    last, the clauses before it tell the situation (公司地址变了，…信息怎么变更？ asks for the
    process, not the place)."""
    text = analysis.normalize(question)
    found, rest = _phrases(text)
    for clause in reversed(CLAUSES.split(text)):
        asked, _rest = _phrases(clause)
        if asked:
            found = asked + [pair for pair in found if pair not in asked]
            break
    return found, " ".join(rest.split())


def asked_sections(said: list[tuple[str, str]], item_name: str) -> list[str]:
    """The sections asked for, leaving out phrases that are part of the item's name (费用 in
    住院费用报销, 投诉 in 投诉处理)."""
    name = analysis.normalize(item_name)
    return list(dict.fromkeys(key for key, phrase in said if phrase not in name))


def _tokens(text: str) -> list[str]:
    return [w for w in analysis.search_words(analysis.normalize(text)) if analysis.word_weight(w) > 0]


def section_texts(guide: Guide) -> dict[str, str]:
    """The words a reader finds under each section of a guide page."""
    item = guide.item
    return {
        "materials": " ".join(f"{m.name} {m.requirements} {m.source_note}" for m in guide.materials),
        "process": " ".join(f"{s.name} {s.description}" for s in guide.steps),
        "conditions": f"{item.conditions} {item.prohibited}",
        "fees": " ".join(f"{f.name} {f.standard}" for f in guide.fees)
        + (" 收费" if item.is_charged else " 不收费"),
        "place": f"{item.handling_place} {item.handling_hours}",
        "contact": f"咨询 {item.consult_channels} 投诉 {item.complaint_channels}",
        "result": f"{item.result_name}",
        "basis": item.legal_basis,
    }


def bm25(query: list[str], documents: dict[str, list[str]]) -> dict[str, float]:
    """Okapi BM25 of each document for the query words (document frequencies over ``documents``)."""
    if not documents:
        return {}
    n = len(documents)
    average = sum(len(d) for d in documents.values()) / n or 1.0
    frequency = Counter(w for d in documents.values() for w in set(d))
    scores = {}
    for key, words in documents.items():
        counts = Counter(words)
        total = 0.0
        for word in set(query):
            tf = counts.get(word, 0)
            if not tf:
                continue
            idf = math.log(1 + (n - frequency[word] + 0.5) / (frequency[word] + 0.5))
            total += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * len(words) / average))
        scores[key] = total
    return scores


def _faq_match(question: str, guide: Guide) -> tuple[str, str] | None:
    """A FAQ of the item (its own, or a published answer) that asks the same thing."""
    words = set(_tokens(question))
    if len(words) < 2:
        return None
    candidates = [(f.question, f.answer) for f in guide.faqs] + list(
        PublishedAnswer.objects.filter(item=guide.item).values_list("question", "answer")[:20]
    )
    best, best_score = None, 0.0
    for q, a in candidates:
        theirs = set(_tokens(q))
        if not theirs:
            continue
        overlap = len(words & theirs) / len(words | theirs)
        if overlap > best_score:
            best, best_score = (q, a), overlap
    return best if best_score >= 0.6 else None


def choose_section(question: str, said: list[str], guide: Guide) -> str:
    if said:
        return said[0]
    words = _tokens(question)
    name_words = set(_tokens(guide.item.name))
    words = [w for w in words if w not in name_words]
    if words:
        scores = bm25(words, {k: _tokens(t) for k, t in section_texts(guide).items()})
        best = max(scores, key=scores.get, default=None)
        if best and scores[best] > 1.0:
            return best
    return DEFAULT_SECTION


def _unit(unit: str) -> str:
    return "个工作日" if unit == "G" else "个自然日"


def section_lines(section: str, guide: Guide) -> list[str]:
    """The section's content as short lines to quote."""
    item = guide.item
    if section == "materials":
        if not guide.materials:
            return ["无需提交申请材料。"]
        return [
            f"{m.name}（{m.copies} 份，{m.get_necessity_display()}）"
            + (f"：{m.requirements}" if m.requirements else "")
            for m in guide.materials
        ]
    if section == "limits":
        legal = (
            f"法定办结时限：{item.legal_limit}{_unit(item.legal_limit_unit)}"
            if item.legal_limit
            else "法定办结时限：即办"
        )
        promised = (
            "承诺办结时限：即办"
            if not item.promised_limit
            else f"承诺办结时限：{item.promised_limit}{_unit(item.promised_limit_unit)}"
        )
        return [legal, promised]
    if section == "fees":
        if not item.is_charged:
            return ["不收费。"]
        return [f"{f.name}：{f.standard}" for f in guide.fees] or ["收费，" + item.fee_basis]
    if section == "place":
        return [f"办理地点：{item.handling_place or '—'}", f"办理时间：{item.handling_hours or '—'}"]
    if section == "process":
        return [f"{s.name}：{s.description}" if s.description else s.name for s in guide.steps] or ["—"]
    if section == "conditions":
        return [line for line in (item.conditions or "—").splitlines() if line.strip()]
    if section == "contact":
        return [
            f"咨询电话：{item.consult_phone or '—'}"
            + (f"（{item.consult_channels}）" if item.consult_channels else ""),
            f"投诉电话：{item.complaint_phone or '—'}",
        ]
    if section == "result":
        return [
            f"审批结果：{item.get_result_type_display()}"
            + (f"（{item.result_name}）" if item.result_name else "")
        ]
    if section == "service":
        depth = dict(ServiceItem._meta.get_field("online_depth").choices).get(item.online_depth, "")
        lines = [f"网办深度：{depth}", f"到办事现场次数：{item.visits_required} 次"]
        flags = [
            label
            for flag, label in (
                (item.supports_appointment, "支持预约办理"),
                (item.supports_online_payment, "支持网上支付"),
                (item.supports_delivery, "支持快递送达"),
            )
            if flag
        ]
        return lines + (["、".join(flags)] if flags else [])
    if section == "basis":
        return [line for line in (item.legal_basis or "—").splitlines() if line.strip()]
    return []


def _guide_link(item: ServiceItem, anchor: str) -> str:
    return f"{reverse('web:item', args=[item.code])}#{anchor}"


def _log(question: str, answer: Answer) -> None:
    AssistantLog.objects.create(
        day=timezone.localdate(),
        question=mask_text(question)[:200],
        outcome=answer.outcome,
        item_code=answer.item.code if answer.item else "",
        section=answer.section,
    )


def _hand_over(question: str, text: str) -> Answer:
    return Answer(question=question, outcome=AssistantLog.Outcome.HANDED_OVER, text=text)


def answer(question: str, *, region_code: str | None = None, log: bool = True) -> Answer:
    """The first answer to a question (see the module's description)."""
    question = " ".join((question or "").split())
    if not question:
        raise InvalidInput("请输入您的问题。", field="q")
    if len(question) > MAX_QUESTION:
        raise InvalidInput(f"问题请不超过 {MAX_QUESTION} 个字。", field="q")
    result = _answer(question, region_code)
    if log:
        _log(question, result)
    return result


def _core(name: str) -> str:
    return "".join(analysis.runs(analysis.without_qualifiers(analysis.normalize(name))))


def named(hit: SearchHit, question: str) -> bool:
    """Does the question name the item outright (its name without qualifiers)?"""
    core = _core(hit.item.name)
    return len(core) >= 4 and core in "".join(analysis.runs(analysis.normalize(question)))


def named_first(
    hits: list[SearchHit], question: str, scores: dict[int, float] | None = None
) -> list[SearchHit]:
    """Among hits scoring as well as the best, one the question names outright goes first
    (公司设立登记 before 分公司设立登记 when both score alike). ``scores``: the assistant's score
    of each hit (by ``id``), else the search's."""
    scores = scores or {id(h): h.score for h in hits}
    best = scores[id(hits[0])]
    tied = [h for h in hits if scores[id(h)] >= best * ASK_BACK_RATIO and named(h, question)]
    if not tied:
        return hits
    chosen = max(tied, key=lambda h: len(_core(h.item.name)))
    return [chosen, *(h for h in hits if h is not chosen)]


# Action words that say the same thing of a licence: a question's 补办 is an item's 补领 or 补证.
SAME_ACTION = {
    **dict.fromkeys(("补领", "补办", "补发", "补证", "遗失"), "补领"),
    **dict.fromkeys(("换发", "换证"), "换发"),
}


def actions(text: str) -> set[str]:
    """The action words (``ACTIONS``) a text says, each as its family's first word
    (``SAME_ACTION``)."""
    text = analysis.normalize(text)
    return {SAME_ACTION.get(a, a) for a in ACTIONS if a in text}


def action_first(hits: list[SearchHit], question: str) -> list[SearchHit] | None:
    """Hits reordered so that the first names every action the question says; ``None`` when no
    hit does (the search found the object but not what is to be done with it)."""
    wanted = actions(question)
    if not wanted:
        return hits
    doing = [h for h in hits if wanted <= actions(h.item.name)]
    if not doing:
        return None
    return [*doing, *(h for h in hits if h not in doing)]


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def name_cover(name: str, said: str) -> float:
    """Share of the character pairs of the item's name (without qualifiers) found in ``said``
    (the question's characters and the official terms its synonyms stand for): 公司变更登记 is
    said more fully by "公司变更法人" than 非公司企业法人变更登记 is."""
    core = _core(name)
    pairs = _pairs(core)
    if not pairs:
        return 0.0
    return sum(1 for p in pairs if p in said) / len(pairs)


@dataclass(frozen=True)
class Reading:
    """What the question says in the catalogue's terms: its characters with the official terms of
    its synonyms (``said``), and the action classes it asks for (new, reissue, change, close …)."""

    said: str
    actions: frozenset[str]


def read_question(question: str) -> Reading:
    """The question as the catalogue search reads it (``plan_query``: synonyms and intents); a
    question naming no action asks for a new application."""
    plan = plan_query(question)
    compact = "".join(analysis.runs(analysis.normalize(question)))
    return Reading(" ".join([compact, *plan.expansions]), plan.intents or frozenset({intent.NEW}))


def other_action(name: str, wanted: frozenset[str]) -> bool:
    """Does the item's name do something other than what the question asks? A name naming no
    action, like a question naming none, is a new application (结婚登记, 领结婚证)."""
    classes = intent.item_classes(analysis.normalize(name)) or frozenset({intent.NEW})
    return not (classes & wanted)


def rerank(hits: list[SearchHit], reading: Reading) -> list[tuple[float, SearchHit]]:
    """The hits with the assistant's score, best first: the search's score raised by how much of
    the item's name the question says and lowered when the name does another action. Siblings of
    one object (公司 / 分公司 / 非公司企业法人 …变更登记, 结婚登记 / 补领结婚证) score alike in the
    search; what the question says of their names tells them apart."""
    scored = []
    for hit in hits:
        value = hit.score * (1 + NAME_WEIGHT * name_cover(hit.item.name, reading.said))
        if other_action(hit.item.name, reading.actions):
            value *= OTHER_ACTION
        scored.append((value, hit))
    scored.sort(key=lambda sh: -sh[0])
    return scored


def _answer(question: str, region_code: str | None) -> Answer:
    said, about = section_phrases(question)
    try:
        page = search_items(
            about or question, region_code=region_code, page_size=CANDIDATES, group_regions=True
        )
        if not page.hits and about and about != question:
            page = search_items(question, region_code=region_code, page_size=CANDIDATES, group_regions=True)
    except SearchQueryTooLong:
        page = None
    hits = page.hits if page else []
    if not hits or hits[0].score < MIN_SCORE:
        return _hand_over(
            question,
            "抱歉，我没有在办事指南中找到可靠的答案。您可以转人工咨询，工作人员会在 1 个工作日内答复。",
        )
    reading = read_question(question)
    ranked = rerank(hits, reading)
    scores = {id(h): value for value, h in ranked}
    hits = named_first([h for _value, h in ranked], about or question, scores)
    hits = action_first(hits, about or question)
    if hits is None:
        return _hand_over(
            question,
            "抱歉，我没有找到与您要办的事完全对应的事项。您可以转人工咨询，工作人员会在 1 个工作日内答复。",
        )
    top = hits[0]
    if name_cover(top.item.name, reading.said) < MIN_COVER:
        return _hand_over(
            question,
            "抱歉，您说的事与我找到的事项对不上。您可以转人工咨询，工作人员会在 1 个工作日内答复。",
        )
    close = [
        h
        for h in hits[1:4]
        if scores[id(h)] >= ASK_BACK_RATIO * scores[id(top)]
        and h.item.name != top.item.name
        and not named(top, question)
    ]
    if close:
        options = [top, *close]
        return Answer(
            question=question,
            outcome=AssistantLog.Outcome.ASKED_BACK,
            text="您想办理的是哪一项？",
            choices=[Choice(h.item.name, f"{h.item.name} {question}") for h in options],
        )
    try:
        guide = get_guide(top.item.code)
    except NotFound:
        return _hand_over(question, "该事项的指南暂不可查，请转人工咨询。")
    spoken = said
    said = asked_sections(said, guide.item.name)
    if spoken and not said and HOW_TO.search(analysis.normalize(question)):
        said = ["process"]
    faq = None if said else _faq_match(question, guide)
    if faq is not None:
        label, anchor = FAQ_SECTION
        section, lines = "faq", [f"问：{faq[0]}", f"答：{faq[1]}"]
    else:
        section = choose_section(question, said, guide)
        label, anchor, _phrases = SECTIONS[section]
        lines = section_lines(section, guide)
    return Answer(
        question=question,
        outcome=AssistantLog.Outcome.ANSWERED,
        text=f"“{guide.item.name}”的{label}：",
        item=guide.item,
        section=section,
        section_label=label,
        link=_guide_link(guide.item, anchor),
        lines=lines,
        other_regions=top.other_regions_total,
    )


_SAFE = re.compile(r"\s+")


def transcript_line(role: str, text: str) -> str:
    """One line of the transcript handed over with a consultation (numbers masked)."""
    return f"{role}：{_SAFE.sub(' ', mask_text(text))[:300]}"
