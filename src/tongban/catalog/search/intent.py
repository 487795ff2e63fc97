"""What a person wants to do with a service, and which items of a family do that.

Official item names end in an action: 烟草专卖零售许可证 新办 / 补办 / 变更 / 延续 / 歇业 …
Such siblings share every concept word, so only the action tells them apart. Each action word
belongs to one *action class*; an item's classes are those of the action words in its name, and a
query's intent classes come from the action words it contains or that its synonyms (intent
entries of the dictionary, whose expansions are all action words) supply.

Words such as 登记, 许可, 审批, 办理 name no particular action ("个体工商户注销登记" is a
closure), so they belong to no class: they are ordinary, generic words of the query.
"""

import functools
import re

NEW = "new"
RENEW = "renew"
REISSUE = "reissue"
CHANGE = "change"
CLOSE = "close"
RESUME = "resume"
QUERY = "query"

ACTION_CLASSES: dict[str, str] = {
    **dict.fromkeys(
        "新办 设立 首次 初次 初领 新增 成立 筹设 筹建 开办 新设 新建 申领 核发 签发 配发 发放 举办".split(),
        NEW,
    ),
    **dict.fromkeys("换领 换发 换证 延续 延期 续期 期满 到期 校验 再注册 复审 补换证".split(), RENEW),
    **dict.fromkeys("补办 补领 补发 补证 挂失 遗失 补换 增补发".split(), REISSUE),
    **dict.fromkeys(
        "变更 更正 更名 修改 迁移 转移 转入 转出 过户 改建 扩建 迁建 分立 合并 互转".split(), CHANGE
    ),
    **dict.fromkeys("注销 歇业 停业 终止 撤销 解除 封存 缴销 报停 暂停 作废 核销".split(), CLOSE),
    **dict.fromkeys("恢复营业 恢复 复业 解挂 解封 启用 激活 重置".split(), RESUME),
    **dict.fromkeys("查询 打印 核验 咨询".split(), QUERY),
}

# Longest first, so that 恢复营业 wins over 恢复 and 年度审验 over 审验.
_PATTERN = re.compile("|".join(sorted(map(re.escape, ACTION_CLASSES), key=len, reverse=True)))


def is_action_word(word: str) -> bool:
    return word in ACTION_CLASSES


def classes_of_words(words: list[str]) -> frozenset[str]:
    return frozenset(ACTION_CLASSES[w] for w in words if w in ACTION_CLASSES)


# Words that name the ordinary outcome of a service: they mark a new application only when the
# name says nothing else ("道路运输证核发（换发）" is a renewal).
WEAK_NEW = frozenset("核发 签发 发放 申领 配发 举办".split())


@functools.lru_cache(maxsize=20000)
def item_classes(name: str) -> frozenset[str]:
    """The action classes of an item name ('…许可证补办' → reissue; '…登记' → none)."""
    found = [m.group(0) for m in _PATTERN.finditer(name)]
    classes = {ACTION_CLASSES[w] for w in found}
    if classes - {NEW} and all(w in WEAK_NEW for w in found if ACTION_CLASSES[w] == NEW):
        classes.discard(NEW)
    return frozenset(classes)


def query_classes(text: str) -> frozenset[str]:
    """Action classes named literally in a (compact) query."""
    return frozenset(ACTION_CLASSES[m.group(0)] for m in _PATTERN.finditer(text))


@functools.lru_cache(maxsize=20000)
def sibling_key(core_name: str) -> str:
    """What is left of a (qualifier-free, compact) name without its action words: siblings that
    differ only in the action ('…驾驶证初次申领', '…驾驶证补换证') share it."""
    return _PATTERN.sub("", core_name.replace("初次", "").replace("补换证", "")).removesuffix("证")
