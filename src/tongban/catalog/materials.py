"""A stable identity for materials across items (材料编码), so a bundle asks for each once.

Departments name the same document differently: 居民身份证, 申请人身份证, 身份证明, 申领人居民
身份证 … ``material_code`` maps a name to a catalogue-level material type through a small table
of rules (who the document is about × what it is), and to ``name:<normalised name>`` when no
rule applies, so identical names still match. A catalogue admin can set the code of a
requirement by hand; a set code always wins.
"""

import re
import unicodedata

# Notes in brackets, forms and counts that do not change what the document is.
_NOISE = re.compile(
    r"[（(][^（()）]*[）)]|原件|复印件|正本|副本|正、副本|扫描件|电子版|一份|两份|及其?|或者?|等|的|有效|相关|\s"
)
_PUNCT = re.compile(r"[、，,；;：:。．.·“”\"'《》<>【】\[\]/]")

# Whose document it is: the person applying is the default subject.
_SUBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("agent", ("经办人", "代理人", "受托人", "委托代理人", "代办人")),
    ("legal_rep", ("法定代表人", "负责人", "法人代表")),
    ("guardian", ("监护人",)),
    ("deceased", ("死者", "逝者", "亡者", "死亡人员")),
    ("child", ("新生儿", "婴儿", "子女", "儿童", "适龄儿童")),
    ("parents", ("父母", "母亲", "父亲")),
    ("spouses", ("男女双方", "夫妻双方", "双方")),
)
# What the document is, first match wins (more specific before general).
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authorisation", ("授权委托书", "委托书")),
    ("birth_certificate", ("出生医学证明", "出生证")),
    ("death_certificate", ("死亡医学证明", "死亡证明", "火化证明", "死亡推断书")),
    ("household_register", ("户口簿", "户口本", "常住人口登记卡")),
    ("marriage_certificate", ("结婚证", "婚姻登记证")),
    ("id_card", ("居民身份证", "身份证件", "身份证明", "身份证", "有效身份证")),
    ("social_security_card", ("社会保障卡", "社保卡")),
    ("bank_account", ("银行卡", "银行账户", "银行账号", "存折")),
    ("photo", ("免冠照片", "免冠彩色照片", "证件照", "照片")),
    ("business_licence", ("营业执照", "事业单位法人证书", "法人证书")),
    (
        "premises_proof",
        ("经营场所使用证明", "场所使用证明", "产权证明", "租赁合同", "租赁协议", "住所使用证明"),
    ),
    ("floor_plan", ("平面布局图", "平面图")),
    ("articles", ("公司章程", "章程")),
    ("health_certificate", ("健康证明", "健康证")),
    ("appointment_documents", ("任职文件", "任职证明")),
    ("fire_safety", ("消防安全检查", "消防验收", "消防安全制度")),
    ("tax_clearance", ("清税证明", "清税信息", "清税")),
)
# Subjects that make a different document of the same kind (an agent's ID is not the applicant's).
_SUBJECT_KINDS = {"id_card", "photo", "household_register", "bank_account", "social_security_card"}


def normalise_name(name: str) -> str:
    """The material name without brackets, forms, punctuation and filler words."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _NOISE.sub("", text)
    return _PUNCT.sub("", text).lower()


def material_code(name: str) -> str:
    """The material type of a requirement named ``name`` (see the module docstring)."""
    raw = unicodedata.normalize("NFKC", name or "")
    if any(word in raw for word in ("申请表", "申请书", "申报表", "登记表", "自填单")):
        # Each item's own application form is filled in online, never shared between items.
        return "name:" + normalise_name(raw)
    for kind, words in _KINDS:
        if any(word in raw for word in words):
            if kind == "authorisation" or kind not in _SUBJECT_KINDS:
                return kind
            for subject, subject_words in _SUBJECTS:
                if any(word in raw for word in subject_words):
                    return f"{subject}.{kind}"
            return kind
    return "name:" + normalise_name(raw)


# An item's own application form (“……申请表”, “……申请书” …): online, it is the form filled in.
_APPLICATION_FORM = re.compile(r"(申请表|申请书|申领表|登记表|申报表|审批表|申请单|自填单)$")
_TRAILING_NOTE = re.compile(r"[（(][^（()）]*[）)]$")


def is_application_form(name: str) -> bool:
    """A material that is the item's application form itself, not an alternative to one."""
    text = _TRAILING_NOTE.sub("", unicodedata.normalize("NFKC", name or "").strip())
    return bool(_APPLICATION_FORM.search(text)) and "或" not in text
