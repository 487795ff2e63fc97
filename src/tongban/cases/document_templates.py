"""Wording of the letters of a case, per item type (DESIGN §5), and its editing by admins.

A licence (行政许可) is decided under the 行政许可法; a benefit (行政给付), a confirmation
(行政确认) or a public service (公共服务) is not, so each item type has its own titles, wording
and legal references. Letters that decide against the applicant in the exercise of an
administrative power say how to seek remedy (行政复议法 第二十条: 60 days; 行政诉讼法 第四十六条:
6 months); public services do not.

The defaults live here in code. Departments' catalogue admins (事项管理) and platform admins may
override them; each save is a new ``DocumentTemplate`` version. Admin text is plain text with
``{{ 占位符 }}`` placeholders that are substituted, never run as a template: nothing an admin
types can read settings or call code.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from tongban.catalog.models import ItemType
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied
from tongban.core.types import User
from tongban.departments.models import Department
from tongban.identity import permissions
from tongban.identity.models import StaffRole

from .models import DocumentTemplate

Kind = DocumentTemplate.Kind

PUBLIC_SERVICE = "20"

# name → (what it is, value in the preview's sample case)
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "申请人": ("申请人姓名或单位名称", "张三"),
    "办件编号": ("办件编号", "SAMPLE-20261203-0001"),
    "事项名称": ("事项名称", "示例事项"),
    "事项类型": ("事项类型", "行政许可"),
    "实施机关": ("实施机关（本部门）名称", "示例部门"),
    "提交日期": ("申请提交日期", "2026年12月1日"),
    "受理日期": ("受理日期", "2026年12月2日"),
    "承诺时限": ("承诺办结时限", "10个工作日"),
    "承诺办结日期": ("承诺办结日期", "2026年12月16日"),
    "法定时限": ("法定办结时限", "20个工作日"),
    "法定办结日期": ("法定办结日期", "2026年12月30日"),
    "决定理由": ("受理、决定时填写的理由", "申请人提交的材料符合规定条件。"),
    "设定依据": ("事项的设定依据（来自事项目录）", "《示例条例》第十条"),
    "文书日期": ("文书落款日期", "2026年12月3日"),
}

MAX_TITLE = 40
MAX_BODY = 4000
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}")


def remedy(title: str) -> str:
    """The remedies sentence, naming the letter it stands in (决定书, 通知书 or 裁决书)."""
    letter = next((noun for noun in ("通知书", "裁决书") if title.endswith(noun)), "决定书")
    act = "裁决" if letter == "裁决书" else "决定"
    return (
        f"如不服本{act}，可以自收到本{letter}之日起六十日内依法申请行政复议，或者自收到本{letter}之日起"
        "六个月内依法向人民法院提起行政诉讼（《中华人民共和国行政复议法》第二十条、"
        "《中华人民共和国行政诉讼法》第四十六条）。"
    )


REMEDY = remedy("决定书")
SERVICE_HELP = "如有疑问或者异议，可以向本机关咨询，或者拨打12345政务服务便民热线反映。"
LICENCE_LAW = "《中华人民共和国行政许可法》"
_OPENING = "你（单位）于{{ 提交日期 }}提出的“{{ 事项名称 }}”申请（办件编号：{{ 办件编号 }}），"


@dataclass(frozen=True)
class Outcome:
    """How a type names its decision: titles and the operative words of grant and denial."""

    grant_title: str
    grant_words: str
    deny_title: str
    deny_words: str
    remedy_on_grant: bool = False


OUTCOMES: dict[str, Outcome] = {
    "01": Outcome("准予行政许可决定书", "准予行政许可", "不予行政许可决定书", "不予行政许可"),
    "05": Outcome("给付决定书", "予以给付", "不予给付决定书", "不予给付"),
    "07": Outcome("确认决定书", "予以确认", "不予确认通知书", "不予确认"),
    "08": Outcome("奖励决定书", "给予奖励", "不予奖励决定书", "不予奖励"),
    # A 裁决 decides a dispute: either side may challenge it, so both outcomes carry remedies.
    "09": Outcome("行政裁决书", "支持申请人的裁决请求", "行政裁决书", "驳回申请人的裁决请求", True),
    "20": Outcome("办理结果通知书", "予以办理", "办理结果通知书", "不予办理"),
}
GENERIC_OUTCOME = Outcome("办理决定书", "予以办理", "不予办理决定书", "不予办理")


def outcome(item_type: str) -> Outcome:
    return OUTCOMES.get(item_type, GENERIC_OUTCOME)


def has_remedy(item_type: str, kind: str) -> bool:
    """Does this letter decide against the applicant in the exercise of administrative power?"""
    if item_type == PUBLIC_SERVICE:
        return False
    if kind in {Kind.REFUSAL, Kind.DENY}:
        return True
    return kind == Kind.GRANT and outcome(item_type).remedy_on_grant


def _licence_default(kind: str) -> tuple[str, list[str]]:
    if kind == Kind.RECEIPT:
        return "受理回执", [
            "你（单位）申请的“{{ 事项名称 }}”已于{{ 受理日期 }}受理，办件编号：{{ 办件编号 }}。"
            "本机关承诺于{{ 承诺办结日期 }}前办结。",
            f"本回执是{LICENCE_LAW}第三十二条第二款规定的受理书面凭证，请妥善保管。"
            "可凭办件编号或者扫描下方二维码查询办理进度。",
        ]
    if kind == Kind.ACCEPTANCE:
        return "受理通知书", [
            _OPENING + "申请事项属于本机关职权范围，申请材料齐全、符合法定形式。"
            f"根据{LICENCE_LAW}第三十二条第一款第（五）项的规定，本机关决定予以受理。",
            "本机关将在{{ 法定时限 }}内作出行政许可决定，承诺于{{ 承诺办结日期 }}前办结"
            f"（{LICENCE_LAW}第四十二条）。依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，"
            f"所需时间不计算在上述期限内，本机关将书面告知所需时间（{LICENCE_LAW}第四十五条）。",
            "可凭办件编号在政务服务网查询办理进度。",
        ]
    if kind == Kind.CORRECTION:
        return "补正材料通知书", [
            _OPENING + "申请材料不齐全或者不符合法定形式。"
            f"根据{LICENCE_LAW}第三十二条第一款第（四）项的规定，现一次性告知你（单位）需要补正的全部内容（见下表）。",
            "请按本通知一次性补正后，通过政务服务网或者到办理窗口提交。补正期间不计入办理时限。",
        ]
    if kind == Kind.REFUSAL:
        return "不予受理决定书", [
            _OPENING + "经审查，不符合受理条件，理由如下：{{ 决定理由 }}",
            f"根据{LICENCE_LAW}第三十二条第一款的规定，本机关决定不予受理。",
            REMEDY,
        ]
    if kind == Kind.GRANT:
        return "准予行政许可决定书", [
            _OPENING + f"本机关已依照{LICENCE_LAW}第三十四条的规定进行审查。审查意见：{{{{ 决定理由 }}}}",
            "你（单位）的申请符合法定条件、标准。"
            f"根据{{{{ 设定依据 }}}}和{LICENCE_LAW}第三十八条第一款的规定，本机关决定准予行政许可。",
        ]
    return "不予行政许可决定书", [
        _OPENING + f"本机关已依照{LICENCE_LAW}第三十四条的规定进行审查。"
        "你（单位）的申请不符合法定条件、标准，理由如下：{{ 决定理由 }}",
        f"根据{LICENCE_LAW}第三十八条第二款的规定，本机关决定不予行政许可。",
        REMEDY,
    ]


def _other_default(item_type: str, kind: str) -> tuple[str, list[str]]:
    service = item_type == PUBLIC_SERVICE
    words = outcome(item_type)
    if kind == Kind.RECEIPT:
        return "受理回执", [
            "你（单位）申请的“{{ 事项名称 }}”已于{{ 受理日期 }}受理，办件编号：{{ 办件编号 }}。"
            "本机关承诺于{{ 承诺办结日期 }}前办结。",
            "本回执是受理凭证，请妥善保管。可凭办件编号或者扫描下方二维码查询办理进度。",
        ]
    if kind == Kind.ACCEPTANCE:
        return "受理通知书", [
            _OPENING + "申请材料齐全、符合规定形式，本机关决定予以受理。",
            "本机关承诺于{{ 承诺办结日期 }}前办结（法定办理时限{{ 法定时限 }}）。"
            "依法需要检验、检测、鉴定、专家评审等特别程序的，所需时间不计入办理时限，本机关将书面告知。",
            "可凭办件编号在政务服务网查询办理进度。",
        ]
    if kind == Kind.CORRECTION:
        return "补正材料通知书", [
            _OPENING
            + "申请材料不齐全或者不符合规定形式。现一次性告知你（单位）需要补正的全部内容（见下表）。",
            "请按本通知一次性补正后，通过政务服务网或者到办理窗口提交。补正期间不计入办理时限。",
        ]
    if kind == Kind.REFUSAL:
        if service:
            return "不予受理通知书", [
                _OPENING + "经审查，不符合受理条件，理由如下：{{ 决定理由 }}",
                "本机关不予受理。" + SERVICE_HELP,
            ]
        return "不予受理决定书", [
            _OPENING + "经审查，不符合受理条件，理由如下：{{ 决定理由 }}",
            "根据{{ 设定依据 }}的规定，本机关决定不予受理。",
            REMEDY,
        ]
    if kind == Kind.GRANT:
        if service:
            return words.grant_title, [
                _OPENING + "经审核，符合办理条件。审核意见：{{ 决定理由 }}",
                "本机关已予以办理。" + SERVICE_HELP,
            ]
        body = [
            _OPENING + "经审核，符合规定的条件。审核意见：{{ 决定理由 }}",
            f"根据{{{{ 设定依据 }}}}的规定，本机关决定{words.grant_words}。",
        ]
        return words.grant_title, body + ([remedy(words.grant_title)] if words.remedy_on_grant else [])
    if service:
        return words.deny_title, [
            _OPENING + "经审核，不符合办理条件，理由如下：{{ 决定理由 }}",
            "本机关不予办理。" + SERVICE_HELP,
        ]
    return words.deny_title, [
        _OPENING + "经审核，不符合规定的条件，理由如下：{{ 决定理由 }}",
        f"根据{{{{ 设定依据 }}}}的规定，本机关决定{words.deny_words}。",
        remedy(words.deny_title),
    ]


def default_wording(item_type: str, kind: str) -> tuple[str, str]:
    """(title, body) shipped for ``item_type`` and ``kind``."""
    title, paragraphs = _licence_default(kind) if item_type == "01" else _other_default(item_type, kind)
    return title, "\n".join(paragraphs)


@dataclass(frozen=True)
class Wording:
    title: str
    body: str
    version: int  # 0 = the default in code
    department_id: int | None

    @property
    def source(self) -> str:
        if self.version == 0:
            return "默认"
        return "本部门" if self.department_id else "全平台"


def template_rows(item_type: str, department: Department | None) -> list[DocumentTemplate]:
    """Every stored version that may apply to one item type and department, newest first."""
    scope = Q(department__isnull=True)
    if department is not None:
        scope |= Q(department=department)
    return list(DocumentTemplate.objects.filter(scope, item_type=item_type).order_by("-version"))


def pick(
    rows: list[DocumentTemplate], item_type: str, kind: str, as_of: datetime.datetime | None = None
) -> Wording:
    """The wording of ``kind`` in force at ``as_of`` (now when None): a letter issued earlier
    keeps the words it was issued with, whatever is edited later."""
    found: Wording | None = None
    for row in rows:
        if row.kind != kind or (as_of is not None and row.created_at > as_of):
            continue
        if found is None or (row.department_id and not found.department_id):
            found = Wording(row.title, row.body, row.version, row.department_id)
    if found is None:
        title, body = default_wording(item_type, kind)
        found = Wording(title, body, 0, None)
    return found


def wordings(item_type: str, department: Department | None) -> dict[str, Wording]:
    """The wording in force now of every kind for one item type and department (one query)."""
    rows = template_rows(item_type, department)
    return {kind: pick(rows, item_type, kind) for kind in Kind.values}


def wording(
    item_type: str, kind: str, department: Department | None, as_of: datetime.datetime | None = None
) -> Wording:
    return pick(template_rows(item_type, department), item_type, kind, as_of)


def own_wording(item_type: str, kind: str, department: Department | None) -> Wording:
    """What an editor of this scope starts from: its own newest version, else what is in force."""
    row = (
        DocumentTemplate.objects.filter(department=department, item_type=item_type, kind=kind)
        .order_by("-version")
        .first()
    )
    if row is not None:
        return Wording(row.title, row.body, row.version, row.department_id)
    inherited = wording(item_type, kind, None)
    return Wording(inherited.title, inherited.body, 0, None)


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace every ``{{ 名称 }}`` with its value (text must have passed ``check_text``)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def check_text(text: str, label: str) -> None:
    """Refuse anything but plain text and the known placeholders, with a Chinese message."""
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in PLACEHOLDERS:
            raise InvalidInput(
                f"{label}中的“{match.group(0)}”不是可用的占位符，请从“可用的占位符”中选用。",
                field="body" if label == "正文" else "title",
            )
    rest = _PLACEHOLDER.sub("", text)
    if any(token in rest for token in _TEMPLATE_SYNTAX):
        raise InvalidInput(
            f"{label}只能是文字和“{{{{ 占位符 }}}}”，不能使用模板标签（如“{{% … %}}”）、注释或不成对的花括号。",
            field="body" if label == "正文" else "title",
        )
    if "<" in rest and re.search(r"<\s*[a-zA-Z/!]", rest):
        raise InvalidInput(f"{label}不能包含 HTML 标签。", field="body" if label == "正文" else "title")


def clean_wording(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    body = "\n".join(line.rstrip() for line in (body or "").strip().splitlines())
    if not title:
        raise InvalidInput("请填写文书标题。", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"文书标题不能超过{MAX_TITLE}个字。", field="title")
    if not body:
        raise InvalidInput("请填写文书正文。", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"文书正文不能超过{MAX_BODY}个字。", field="body")
    check_text(title, "标题")
    check_text(body, "正文")
    return title, body


def editable_departments(user: User) -> list[Department]:
    """Departments whose letters ``user`` may word (事项管理 of that department)."""
    return [m.department for m in permissions.memberships(user) if m.role == StaffRole.CATALOGUE]


def check_editor(user: User, department: Department | None) -> None:
    """Platform wording: platform admins only. A department's: its own 事项管理 role only (a
    platform admin words the platform's letters, not another department's)."""
    if department is None:
        if not permissions.is_platform_admin(user):
            raise PermissionDenied("只有系统管理员可以修改全平台的文书模板。")
        return
    if not permissions.can_see_department(user, department):
        raise NotFound()
    if not permissions.can_manage_items(user, department):
        raise PermissionDenied("需要本部门“事项管理”角色才能修改文书模板。")


def department_item_types(department: Department | None) -> list[str]:
    """Item types a scope words: the department's items' types, or all for the platform."""
    if department is None:
        return list(ItemType.values)
    from tongban.catalog.models import ServiceItem

    present = set(ServiceItem.objects.filter(department=department).values_list("item_type", flat=True))
    return [value for value in ItemType.values if value in present]


@transaction.atomic
def save_wording(
    *,
    actor: User,
    department: Department | None,
    item_type: str,
    kind: str,
    title: str,
    body: str,
    expected_version: int | None = None,
) -> DocumentTemplate:
    """Store a new version of one letter's wording, after the permission and safety checks."""
    check_editor(actor, department)
    if item_type not in ItemType.values or kind not in Kind.values:
        raise NotFound()
    if department is not None and item_type not in department_item_types(department):
        raise InvalidInput("本部门没有该类型的事项。", field="item_type")
    title, body = clean_wording(title, body)
    rows = DocumentTemplate.objects.filter(department=department, item_type=item_type, kind=kind)
    latest = rows.aggregate(latest=Max("version"))["latest"] or 0
    if expected_version is not None and expected_version != latest:
        raise InvalidInput("该模板已被他人修改，请刷新页面后再编辑。", code="stale")
    try:
        with transaction.atomic():
            return DocumentTemplate.objects.create(
                department=department,
                item_type=item_type,
                kind=kind,
                version=latest + 1,
                title=title,
                body=body,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise InvalidInput("该模板已被他人修改，请刷新页面后再编辑。", code="stale") from exc
