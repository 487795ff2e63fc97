"""Text analysis shared by indexing and querying: normalisation, jieba words, pinyin, n-grams.

Everything here is pure Python and deterministic for a given shipped dictionary, so every process
(web, worker, import) writes the same tokens for the same item. The jieba dictionary (≈ 1 s to
load) is loaded once per process, lazily, and extended with the catalogue's own terms from the
shipped synonym dictionary (the everyday phrases and the official terms they map to).
"""

import functools
import gc
import re
import threading
import unicodedata
from dataclasses import dataclass

from .dictionary import shipped_terms

# Characters kept as word material: CJK ideographs, latin letters and digits.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[a-z]+|[0-9]+")
_IS_HAN = re.compile(rf"^[{_HAN}]+$")
_IS_LATIN = re.compile(r"^[a-z]+$")

# Words that carry no meaning in a citizen's question ("我想办…怎么弄").
STOPWORDS = frozenset(
    """
    我 我们 俺 你 您 他 她 想 想要 要 需要 需 得 的 地 了 着 过 吗 呢 吧 啊 呀 哦 么 嘛 个 一个 些 一些
    怎么 怎样 怎么样 怎么办 咋 咋办 咋样 如何 什么 啥 哪 哪里 哪儿 哪个 哪些 在哪 在哪里 去哪 去哪里 去哪儿
    去 到 在 是 有 没有 没 能 能否 可以 可不可以 能不能 会 该 应该 应当 请问 问 问一下 请 帮 帮我 给 和 与 及
    或 或者 还 还要 就 都 也 又 把 被 让 用 从 对 向 为 为了 关于 一下 下 上 呀 嗯 办 办理 办个 弄 搞 手续
    流程 步骤 材料 时候 多久 多少 钱 费用 所需 相关 问题 事 事情 东西 这个 那个 这 那 现在 马上 一般
    """.split()
)

# Official words found in a large share of item names: they count, but weakly.
GENERIC_WORDS = frozenset(
    """
    登记 许可 审批 申请 申领 办理 核发 证明 备案 确认 变更 注销 设立 服务 管理 审核 审查 认定 核准 批准 受理
    事项 业务 发放 补助 补贴 资格 证书 证 证件 信息 查询 企业 个人 单位 项目 工程 建设 其他 相关 情况 以及
    """.split()
)


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(text.split())


_QUALIFIER = re.compile(r"[(（][^()（）]*[)）]")


def without_qualifiers(text: str) -> str:
    """The name without its bracketed qualifiers: '食品(含保健食品)经营许可核发' → '食品经营许可核发'.

    Official names put scope notes inside a concept ("（县级）", "(含保健食品)"); the concept
    words of the name are then those of what is left.
    """
    return _QUALIFIER.sub("", text)


def runs(text: str) -> list[str]:
    """The Han, latin and digit runs of normalised text (punctuation and spaces dropped)."""
    return _RUN.findall(text)


def is_han(text: str) -> bool:
    return bool(_IS_HAN.match(text))


def is_latin(text: str) -> bool:
    return bool(_IS_LATIN.match(text))


# ---------------------------------------------------------------------------------------------
# jieba, loaded once per process


_jieba_lock = threading.Lock()
_tokenizer = None


def tokenizer():
    """The process-wide jieba tokenizer with the catalogue's terms added (loaded on first use)."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                import logging
                import warnings

                with warnings.catch_warnings():
                    # jieba 0.42's patterns are not raw strings: Python 3.12 warns ("invalid escape
                    # sequence") whenever it compiles them, i.e. on every start without .pyc files.
                    warnings.filterwarnings("ignore", category=SyntaxWarning, module=r".*[\\/]jieba[\\/]")
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for term in shipped_terms():
                    if 2 <= len(term) <= 12 and is_han(term):
                        tok.add_word(term, freq=max(tok.suggest_freq(term), 50))
                syllable_set()  # typed pinyin needs it; build it with the other one-off work
                _tokenizer = tok
                # The dictionaries are hundreds of thousands of objects that live as long as the
                # process: out of the collector's sight, a full collection no longer walks them
                # (it paused a request for up to a second at a time).
                gc.freeze()
    return _tokenizer


def _clean(tokens: list[str]) -> list[str]:
    return [t for t in (t.strip() for t in tokens) if t and all(ch.isalnum() for ch in t)]


def words(text: str) -> list[str]:
    """Non-overlapping words (jieba precise mode) of normalised text, in order."""
    out: list[str] = []
    for run in runs(text):
        if is_han(run):
            out.extend(_clean(list(tokenizer().cut(run, HMM=True))))
        else:
            out.append(run)
    return out


def search_words(text: str) -> list[str]:
    """Words and the dictionary words inside them (jieba search mode), for documents."""
    out: list[str] = []
    for run in runs(text):
        if is_han(run):
            out.extend(_clean(list(tokenizer().cut_for_search(run, HMM=True))))
        else:
            out.append(run)
    return out


# ---------------------------------------------------------------------------------------------
# Pinyin


def syllables_of(han: str) -> list[str]:
    """One toneless pinyin syllable per character of a Han run ('ü' written 'v')."""
    return list(_syllables(han))


@functools.lru_cache(maxsize=50000)
def _syllables(han: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    result = lazy_pinyin(han, style=Style.NORMAL, errors=lambda chars: list(chars))
    if len(result) != len(han):  # never expected; keep alignment whatever pypinyin does
        result = [lazy_pinyin(ch, style=Style.NORMAL, errors=lambda c: [c])[0] for ch in han]
    return tuple(s if is_latin(s) else "" for s in result)


def pinyin_bigrams(syllables: list[str]) -> list[str]:
    return [a + b for a, b in zip(syllables, syllables[1:], strict=False) if a and b]


@functools.cache
def syllable_set() -> frozenset[str]:
    """Every toneless Mandarin syllable pypinyin knows (≈ 410)."""
    from pypinyin.pinyin_dict import pinyin_dict

    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = "".join(
                ch for ch in unicodedata.normalize("NFD", reading.replace("ü", "v")) if ch.isascii()
            )
            if plain.isalpha():
                found.add(plain.lower())
    return frozenset(found)


@functools.lru_cache(maxsize=4096)
def split_pinyin(text: str) -> tuple[str, ...] | None:
    """Split typed pinyin into syllables ('shenfenzheng' → shen fen zheng); None if impossible."""
    known = syllable_set()
    n = len(text)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(1, n + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            piece = text[start:end]
            if head is not None and piece in known:
                candidate = (*head, piece)
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[n]


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class NameAnalysis:
    """Tokens derived from an item name (cached: province catalogues repeat names by county)."""

    words: tuple[str, ...]
    pinyin: tuple[str, ...]
    grams: tuple[str, ...]


@functools.lru_cache(maxsize=20000)
def analyse_name(name: str) -> NameAnalysis:
    text = normalize(name)
    own_runs = runs(text)
    core_runs = [r for r in runs(without_qualifiers(text)) if r not in own_runs]
    word_list = _unique(words(text) + search_words(text) + [w for r in core_runs for w in search_words(r)])
    pinyin: list[str] = []
    grams: list[str] = []
    for run in own_runs + core_runs:
        if not is_han(run):
            grams.append(run)
            continue
        grams.extend(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        syl = syllables_of(run)
        pinyin.extend(pinyin_bigrams(syl))
        if all(syl):
            pinyin.append("".join(s[0] for s in syl))
    for word in word_list:
        if is_han(word) and len(word) >= 2:
            syl = syllables_of(word)
            if all(syl):
                pinyin.append("".join(syl))
                pinyin.append("".join(s[0] for s in syl))
    return NameAnalysis(tuple(word_list), tuple(_unique(pinyin)), tuple(_unique(grams)))


def phrase_tokens(text: str) -> tuple[list[str], list[str]]:
    """Words and pinyin words of free text such as keywords, department or theme names."""
    text = normalize(text)
    word_list = _unique(words(text) + search_words(text))
    pinyin = []
    for word in word_list:
        if is_han(word) and len(word) >= 2:
            syl = syllables_of(word)
            if all(syl):
                pinyin.append("".join(syl))
    return word_list, _unique(pinyin)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


@dataclass
class Concept:
    """One meaningful part of a query and the forms under which an item may contain it."""

    text: str
    weight: float
    latin: bool = False
    syllables: tuple[str, ...] = ()
    pinyin_grams: tuple[str, ...] = ()
    char_grams: tuple[str, ...] = ()
    from_synonym: bool = False


def concept_for(word: str, weight: float, *, from_synonym: bool = False) -> Concept:
    if is_latin(word):
        syl = split_pinyin(word) or ()
        return Concept(
            text=word,
            weight=weight,
            latin=True,
            syllables=syl,
            pinyin_grams=tuple(pinyin_bigrams(list(syl))),
            from_synonym=from_synonym,
        )
    syl = tuple(syllables_of(word)) if is_han(word) else ()
    grams = tuple(word[i : i + 2] for i in range(len(word) - 1)) if len(word) > 1 else (word,)
    return Concept(
        text=word,
        weight=weight,
        syllables=syl,
        pinyin_grams=tuple(pinyin_bigrams(list(syl))),
        char_grams=grams,
        from_synonym=from_synonym,
    )


def word_weight(word: str) -> float:
    """How much a query word tells about the wanted item (stopwords none, generic words little)."""
    if word in STOPWORDS:
        return 0.0
    if word.isdigit():
        return 0.3
    if is_latin(word):
        return 1.5 if len(word) >= 2 else 0.0
    if word in GENERIC_WORDS:
        return 0.4
    if len(word) == 1:
        return 0.5
    return min(1.0 + 0.25 * (len(word) - 2), 2.0)
