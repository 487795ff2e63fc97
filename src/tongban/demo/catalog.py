"""The demo catalogue: 广安市 with complete guides, and a province-scale catalogue for benchmarks.

Everything is derived deterministically from the real 广安区 catalogue (shipped in ``data/``)
plus hand-written guides, seeded per item, so two runs produce the same rows. Loading only
adds what is missing (by implementation code, department name, life-event slug), so running
it again changes nothing. Rows are written with ``bulk_create`` in large batches.
"""

import csv
import gzip
import io
import math
import random
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import (
    FAQ,
    CaseKind,
    FeeItem,
    ItemChange,
    LifeEvent,
    MaterialRequirement,
    ProcessStep,
    ServiceItem,
    Theme,
)
from tongban.core.errors import InvalidInput
from tongban.departments.models import Department
from tongban.regions.models import Region

from . import bulk
from . import departments as names
from .domains import Domain, Material, domain_for
from .extras import CITY_ITEMS, CORE_CATALOGUE_NAMES, EXTRA_ITEMS, LIFE_EVENTS
from .popular import POPULAR_ITEMS
from .popular_guides import GUIDES, Guide

DATA_FILE = Path(__file__).resolve().parent / "data" / "guangan-district-items.csv.gz"
SEED = 20261122
PROVINCE = "51"
CITY = "5116"
HOME_COUNTY = "511602"  # the county whose real catalogue the demo ships
CITY_SUBSET = 150  # catalogue items for each other county of the demo city
BATCH = 2000

TYPE_NAMES = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}
TYPE_LETTERS = {"01": "A", "04": "D", "05": "G", "07": "F", "08": "H", "09": "E", "10": "Z", "20": "C"}
FORMS = {"o": "original", "c": "copy", "e": "electronic"}
NECESSITY = {"r": "required", "o": "optional", "c": "conditional"}
SOURCES = {"a": "applicant", "g": "government", "i": "intermediary", "x": "other"}
ROADS = (
    "人民路",
    "建设路",
    "滨江大道",
    "迎宾大道",
    "兴安路",
    "金安大道",
    "政务路",
    "光明路",
    "城南大道",
    "新民街",
)
HOURS = (
    "周一至周五 上午9:00—12:00，下午14:00—17:30（法定节假日除外）",
    "周一至周五 上午9:00—12:00，下午13:30—17:00（法定节假日除外）；周六上午提供延时服务",
)
_CODE = re.compile(r"^(.*?)-(\d{12})-(\d{3})-([^-]+)(-.*)?$")


@dataclass(frozen=True)
class Template:
    """One item as it would be implemented in any county."""

    name: str
    department: str  # short name as in the 广安区 catalogue
    item_type: str
    group: str = ""
    real_code: str = ""  # the real implementation code in 广安区
    audience: str = ""  # from popular.py / extras; empty: decided by the domain
    themes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.base}|{self.name}|{self.department}"

    @property
    def base(self) -> str:
        """基本编码: from the real code, or made up in the same style for items not in it."""
        if self.real_code:
            match = _CODE.match(self.real_code)
            return match.group(1) if match else "-".join(self.real_code.split("-")[:3])
        letter = TYPE_LETTERS.get(self.item_type, "Z")
        return f"511{letter}{zlib.crc32(f'{self.name}|{self.department}'.encode()):010d}"

    def code_for(self, county_code: str, dept_uscc: str) -> str:
        if self.real_code and county_code == HOME_COUNTY:
            return self.real_code
        match = _CODE.match(self.real_code) if self.real_code else None
        mid, tail = (match.group(3), match.group(5) or "") if match else ("000", "-1-00")
        return f"{self.base}-{county_code.ljust(12, '0')}-{mid}-{dept_uscc}{tail}"


@dataclass
class DemoReport:
    items: int = 0
    departments: int = 0
    life_events: int = 0
    counties: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"新增事项 {self.items}，新增部门 {self.departments}，新增一件事 {self.life_events}，"
            f"覆盖区县 {self.counties}，用时 {self.seconds:.1f} 秒"
        )


def _normalise_type(value: str) -> str:
    value = value.strip()
    return value.zfill(2) if len(value) == 1 else value


def read_catalogue(path: Path = DATA_FILE) -> list[Template]:
    """The real 广安区 catalogue (1,135 items)."""
    with gzip.open(path, "rb") as fh:
        rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")))
    return [
        Template(
            name=row["name"].strip(),
            department=row["department"].strip(),
            item_type=_normalise_type(row["task_type"]),
            group="" if row["group"].strip() == "未分类" else row["group"].strip(),
            real_code=row["item_code"].strip(),
        )
        for row in rows
    ]


def _popular_templates() -> list[Template]:
    return [
        Template(name=name, department=dept, item_type=kind, audience=aud, themes=themes)
        for name, dept, kind, aud, themes in [*POPULAR_ITEMS, *EXTRA_ITEMS]
    ]


def _rng(*parts: object) -> random.Random:
    return random.Random(zlib.crc32(":".join(map(str, (SEED, *parts))).encode()))


def county_plan(county_code: str, catalogue: list[Template], extent: int) -> list[Template]:
    """The items of one county: popular and life-event items, then ``extent`` catalogue items.

    The catalogue items are a prefix of a per-county seeded shuffle, so a larger extent only
    adds items (the city demo and the province scale agree on what a county has).
    """
    popular = _popular_templates()
    if county_code == HOME_COUNTY:
        by_name = {(t.name, t.department) for t in catalogue}
        enriched = []
        popular_by_name = {(t.name, t.department): t for t in popular}
        for template in catalogue:
            extra = popular_by_name.get((template.name, template.department))
            if extra:
                template = replace(template, audience=extra.audience, themes=extra.themes)
            enriched.append(template)
        return enriched + [t for t in popular if (t.name, t.department) not in by_name]
    taken = {t.name for t in popular}
    plan = list(popular)
    for template in catalogue:
        if template.name in CORE_CATALOGUE_NAMES and template.name not in taken:
            plan.append(template)
            taken.add(template.name)
    shuffled = list(catalogue)
    _rng("plan", county_code).shuffle(shuffled)
    added = 0
    for template in shuffled:
        if added >= extent:
            break
        if template.name in taken:
            continue
        plan.append(template)
        taken.add(template.name)
        added += 1
    return plan


class Writer:
    """Collects new rows and writes them in large batches once enough have accumulated."""

    def __init__(self, themes: dict[tuple[str, str], int], now: datetime) -> None:
        self.themes = themes
        self.now = now
        self.items: list[ServiceItem] = []
        self.children: list[tuple[ServiceItem, list, list, list, list, list[int]]] = []
        self.created = 0

    def add(
        self, item: ServiceItem, materials: list, steps: list, fees: list, faqs: list, themes: list
    ) -> None:
        self.items.append(item)
        self.children.append((item, materials, steps, fees, faqs, themes))
        if len(self.items) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        for item, pk in zip(self.items, bulk.allocate_ids(ServiceItem, len(self.items)), strict=True):
            item.pk = pk
        bulk.insert_instances(ServiceItem, self.items, self.now)
        materials, steps, fees, faqs, links, changes = [], [], [], [], [], []
        for item, item_materials, item_steps, item_fees, item_faqs, theme_ids in self.children:
            for rows, bucket in (
                (item_materials, materials),
                (item_steps, steps),
                (item_fees, fees),
                (item_faqs, faqs),
            ):
                for row in rows:
                    row["item_id"] = item.pk
                    bucket.append(row)
            links.extend({"serviceitem_id": item.pk, "theme_id": theme_id} for theme_id in theme_ids)
            changes.append(
                {
                    "item_id": item.pk,
                    "actor": "demo",
                    "action": "publish",
                    "from_status": ServiceItem.Status.DRAFT.value,
                    "to_status": ServiceItem.Status.PUBLISHED.value,
                    "changes": {},
                    "version": 1,
                }
            )
        for model, rows in (
            (MaterialRequirement, materials),
            (ProcessStep, steps),
            (FeeItem, fees),
            (FAQ, faqs),
            (ServiceItem.themes.through, links),
            (ItemChange, changes),
        ):
            bulk.insert_dicts(model, rows, self.now)
        self.created += len(self.items)
        self.items, self.children = [], []


# --- guide generation -----------------------------------------------------------------------------


def _limits(template: Template, rng: random.Random) -> tuple[int, str, int, str]:
    name, kind = template.name, template.item_type
    quick = any(w in name for w in ("查询", "咨询", "打印", "注销", "补办", "补发", "补证", "信息"))
    if kind == "01":
        return 20, "G", rng.choice((1, 3, 5) if quick else (3, 5, 7, 10, 15)), "G"
    if kind == "05":
        return rng.choice((20, 30)), "G", rng.choice((10, 15)), "G"
    if kind == "08":
        return 30, "G", 20, "G"
    if kind == "09":
        return 60, "Z", 45, "Z"
    if kind == "04":
        return 5, "G", 0, "G"
    instant_share = {"07": 0.4, "10": 0.45, "20": 0.6}.get(kind, 0.3)
    if quick or rng.random() < instant_share:
        return rng.choice((1, 5, 10)), "G", 0, "G"
    legal = rng.choice((5, 10, 15, 20))
    return legal, "G", min(legal, rng.choice((1, 3, 5))), "G"


def _depth(template: Template, rng: random.Random) -> tuple[int, int]:
    """网办深度 and the number of visits it implies."""
    if any(w in template.name for w in ("查询", "咨询", "打印", "预约")):
        return 4, 0
    weights = {"01": (0, 20, 50, 30), "05": (0, 20, 60, 20), "20": (5, 10, 35, 50)}.get(
        template.item_type, (0, 20, 40, 40)
    )
    depth = rng.choices((1, 2, 3, 4), weights=weights)[0]
    if depth == 4:
        return 4, 0
    if depth == 3:
        return 3, rng.choice((0, 1, 1))
    return depth, 1 if depth == 2 else rng.choice((1, 2))


_BRACKETED = re.compile(r"《([^》]+)》")


def _result(template: Template) -> tuple[str, str]:
    name, kind = template.name, template.item_type
    bracketed = _BRACKETED.search(name)
    if bracketed and bracketed.group(1).endswith(("证", "证书", "证明")):
        return "certificate", bracketed.group(1)
    if "许可证" in name:
        return "certificate", name[: name.index("许可证") + 3].lstrip("《")
    if "证明" in name:
        return "proof", name[: name.index("证明") + 2]
    if kind in ("01", "07") and name.endswith(
        ("证核发", "证办理", "证补办", "证换发", "证补发", "证新办", "证申领")
    ):
        return "certificate", name[:-2]
    if "查询" in name or "咨询" in name:
        return "none", "即时答复"
    if kind == "01":
        if "注销" in name:
            return "approval", "准予注销行政许可决定书"
        if "变更" in name:
            return "approval", "准予变更行政许可决定书"
        return "approval", "准予行政许可决定书"
    if "备案" in name:
        return "proof", "备案回执"
    return {
        "04": ("other", "完税（缴款）凭证"),
        "05": ("other", "待遇（补贴）核定及发放结果"),
        "07": ("proof", "确认结果告知书"),
        "08": ("certificate", "表彰决定及荣誉证书"),
        "09": ("approval", "行政裁决书"),
        "10": ("other", "办理结果告知书"),
    }.get(kind, ("other", "办理结果告知书"))


def _fee(template: Template) -> tuple[str, str, str] | None:
    name = template.name
    if "不动产" in name and "登记" in name and "查询" not in name:
        return (
            "不动产登记费",
            "住宅80元/件，非住宅550元/件",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        )
    if "公证" in name and not any(w in name for w in ("咨询", "指引", "查询", "公证员")):
        return "公证服务费", "按公证事项类别收取", "《公证服务收费管理办法》（计价格〔1997〕285号）"
    return None


# Two-character words too common in item names and law titles to say what a law is about.
_COMMON_PAIRS = {
    "经营",
    "管理",
    "许可",
    "条例",
    "办法",
    "登记",
    "审批",
    "服务",
    "规定",
    "备案",
    "办理",
    "申请",
}


def _laws(name: str, domain: Domain) -> list[str]:
    """The domain's laws most about the item (at most two), else its main law.

    A law entry may start with extra words to match, separated by ``|``:
    ``"供气|《城镇燃气管理条例》第十八条"``.
    """
    pairs = {name[i : i + 2] for i in range(len(name) - 1)} - _COMMON_PAIRS
    scored = []
    for i, entry in enumerate(domain.laws):
        hints, _, law = entry.rpartition("|")
        title = hints + law.split("》")[0]
        scored.append((sum(p in title for p in pairs), -i, law))
    scored.sort(reverse=True)
    relevant = [law for n, (score, _i, law) in enumerate(scored[:2]) if score > n]
    return relevant or [domain.laws[0].rpartition("|")[2]]


def _audience(template: Template, domain: Domain) -> str:
    if template.audience:
        return template.audience
    name = template.name
    if any(
        w in name
        for w in (
            "个人",
            "居民",
            "公民",
            "学生",
            "老年人",
            "残疾人",
            "儿童",
            "职工",
            "农户",
            "军人",
            "驾驶证",
            "身份证",
            "户口",
            "婚",
            "教师",
            "医师",
            "护士",
        )
    ):
        return "person"
    if any(
        w in name
        for w in ("企业", "公司", "单位", "经营", "机构", "场所", "合作社", "建设项目", "工程", "生产")
    ):
        return "enterprise"
    return domain.audience


_OBJECTS = {"person": ["1"], "enterprise": ["2", "3", "4", "5"], "both": ["1", "2", "5"]}


def _conditions(template: Template, domain: Domain, county: Region, law: str) -> str:
    kind, name = template.item_type, template.name
    if kind == "01":
        return (
            f"1. 申请人符合{law}规定的条件；\n2. 具有与申请事项相适应的场所、设施设备和专业人员；\n"
            f"3. 申请事项属于{county.name}管辖范围；\n4. 申请材料齐全、符合法定形式。"
        )
    if kind == "05":
        return f"1. 符合{law}规定的给付对象和条件；\n2. 经核实个人（家庭）情况属实；\n3. 未重复享受同类待遇。"
    if kind == "08":
        return "在相关领域作出突出贡献，符合评选表彰条件，经单位推荐或个人自主申报。"
    if kind == "09":
        return f"当事人之间发生{law}规定的争议，经协商不成，在法定期限内提出裁决申请。"
    if "备案" in name:
        return "依法应当备案的事项，在规定期限内向实施机关报送备案材料，材料齐全即予备案。"
    if kind == "07":
        return f"申请人符合{law}规定的确认条件，提交的材料真实、有效。"
    return "有办理需求的自然人、法人或其他组织，提供真实有效的材料，材料齐全即可办理。"


def _materials(template: Template, domain: Domain, audience: str, guide: Guide | None) -> list[Material]:
    if guide is not None:
        return list(guide.materials)
    name = template.name
    rows: list[Material] = [(f"{name}申请表", "o", 1, "r", "a", "窗口领取或网上下载，签字（盖章）后提交")]
    if audience == "person":
        rows.append(("申请人居民身份证", "o", 1, "r", "g", "可通过电子证照共享核验，现场出示即可"))
    else:
        rows.append(
            ("营业执照或事业单位法人证书", "e", 1, "r", "g", "通过电子证照库共享获取，申请人无需提交")
        )
        rows.append(("法定代表人（负责人）身份证明", "c", 1, "r", "g", "可通过数据共享核验"))
    if not any(w in name for w in ("查询", "咨询", "打印")):
        rows.extend(domain.materials[:2])
    if "变更" in name:
        rows.append(("变更事项的证明材料", "c", 1, "r", "a", ""))
    if "注销" in name:
        rows.append(("原证照正、副本", "o", 1, "r", "g", "遗失的提交遗失声明"))
    if any(w in name for w in ("补办", "补发", "补证", "补领")):
        rows.append(("遗失声明或损毁的原件", "o", 1, "r", "a", ""))
    if any(w in name for w in ("延续", "换发", "换证")):
        rows.append(("原许可证件", "o", 1, "r", "g", ""))
    rows.append(("授权委托书及受托人身份证", "o", 1, "o", "a", "委托他人办理时提供"))
    return rows


def _steps(
    name: str, instant: bool, promised: int, unit: str, result_name: str
) -> list[tuple[str, str, str]]:
    days = "个工作日" if unit == "G" else "日"
    if instant:
        return [
            ("受理", "窗口（网上）工作人员核验身份和申请材料，材料齐全、符合条件的当场受理。", "即时"),
            ("办结", f"当场办结，出具{result_name}。", "即时"),
        ]
    intake = 1 if promised >= 4 else 0
    finish = 1 if promised >= 3 else 0
    review = max(1, (promised - intake - finish) * 2 // 3)
    decide = max(0, promised - intake - finish - review)

    def span(n: int) -> str:
        return f"{n}{days}" if n else "当日"

    return [
        (
            "受理",
            "对申请材料进行核对，材料齐全、符合法定形式的予以受理；不齐全的，当场或者在5日内一次性告知需要补正的全部内容。",
            span(intake),
        ),
        ("审查", f"承办人员对“{name}”申请材料的实质内容进行审查，需要现场核查的组织现场核查。", span(review)),
        (
            "决定",
            "负责人根据审查意见作出准予或者不予办理的决定；不予办理的，书面说明理由并告知依法享有的救济权利。",
            span(decide),
        ),
        ("办结", f"制作并送达{result_name}，申请人可选择窗口领取或邮寄送达。", span(finish)),
    ]


def _faqs(
    template: Template, item: ServiceItem, guide: Guide | None, rng: random.Random
) -> list[tuple[str, str]]:
    name = template.name
    generic = [
        (
            f"办理{name}需要本人到现场吗？",
            "全程网上办理，无需到现场。"
            if item.visits_required == 0
            else f"需要到现场{item.visits_required}次，可先在“天府通办”预约或网上预审。",
        ),
        (
            f"{name}可以委托他人代办吗？",
            "可以。受托人需携带授权委托书和本人身份证件，法律法规要求本人到场的除外。",
        ),
        (
            f"{name}的办理进度在哪里查询？",
            f"可登录“天府通办”或四川政务服务网“我的办件”查询，也可拨打咨询电话{item.consult_phone}。",
        ),
        ("申请材料不齐全怎么办？", "受理机关将一次性告知需要补正的全部材料，补正齐全后即予受理。"),
        (
            f"办理{name}收费吗？",
            "按规定收费，收费标准和依据见本指南“收费标准”。" if item.is_charged else "不收费。",
        ),
        ("对办理结果不服怎么办？", "可以依法申请行政复议或者提起行政诉讼。"),
    ]
    picked = rng.sample(generic, 2)
    return list(guide.faqs) + picked[:1] if guide and guide.faqs else picked


@dataclass
class CountyContext:
    county: Region
    city: Region | None
    center: str
    area: str


def _center(county: Region, streets: list[str]) -> str:
    rng = _rng("center", county.code)
    street = streets[0] if streets else ""
    road = rng.choice(ROADS)
    return f"{county.full_name}{street}{road}{rng.randint(8, 298)}号{county.name}政务服务中心"


def build_item(
    template: Template,
    ctx: CountyContext,
    department: Department,
    themes: dict[tuple[str, str], int],
    popularity: int,
    now: datetime,
    code: str,
) -> tuple[ServiceItem, list, list, list, list, list[int]]:
    """A published item with its materials, steps, fees, FAQs and theme ids (not yet saved)."""
    rng = _rng(template.key, ctx.county.code)
    guide = GUIDES.get(template.name) if template.themes else None
    domain = domain_for(template.name, template.department)
    audience = _audience(template, domain)
    objects = list(_OBJECTS[audience])
    laws = list(guide.laws) if guide else _laws(template.name, domain)
    if template.item_type == "01" and not any("行政许可法" in law for law in laws):
        laws.append("《中华人民共和国行政许可法》第十二条")
    law = laws[0].split("》")[0] + "》"
    legal, legal_unit, promised, promised_unit = guide.limits if guide else _limits(template, rng)
    depth, visits = (guide.depth, guide.visits) if guide else _depth(template, rng)
    result_type, result_name = guide.result if guide else _result(template)
    fee = guide.fee if guide else _fee(template)
    window = rng.randint(1, 40)
    channels = ["2"] if depth == 4 and rng.random() < 0.3 else ["1", "2"]
    if guide.delivery if guide else result_type == "certificate" and rng.random() < 0.6:
        channels.append("3")
    item = ServiceItem(
        code=code,
        base_code=template.base[:20],
        name=template.name,
        group=template.group,
        item_type=template.item_type,
        service_objects=objects,
        for_person="1" in objects,
        for_enterprise=bool(set(objects) - {"1"}),
        department=department,
        region=ctx.county,
        region_code=ctx.county.code,
        status=ServiceItem.Status.PUBLISHED,
        summary=(guide.summary if guide and guide.summary else "")
        + f"本事项由{department.name}实施，属于{TYPE_NAMES.get(template.item_type, '')}事项。",
        legal_basis="\n".join(laws),
        conditions=guide.conditions if guide else _conditions(template, domain, ctx.county, law),
        prohibited="不得要求申请人提交法律法规规定以外的材料；可通过数据共享获取的材料，不再要求申请人提交。",
        case_kind=CaseKind.INSTANT if promised == 0 else CaseKind.PROMISED,
        legal_limit=legal,
        legal_limit_unit=legal_unit,
        promised_limit=promised,
        promised_limit_unit=promised_unit,
        is_charged=fee is not None,
        fee_basis=fee[2] if fee else "",
        handling_place=f"{ctx.center}{rng.randint(1, 3)}楼{window}号窗口",
        handling_hours=HOURS[window % 2],
        channels=channels,
        consult_phone=department.phone,
        consult_channels=f"窗口咨询：{ctx.center}；电话咨询：{department.phone}；网上咨询：“天府通办”APP或四川政务服务网。",
        complaint_phone=f"{ctx.area}-12345",
        complaint_channels=(
            f"拨打12345政务服务便民热线（{ctx.area}-12345）；登录四川政务服务网“好差评”评价或投诉；"
            f"{ctx.county.name}政务服务中心投诉受理窗口。"
        ),
        visits_required=visits,
        online_depth=depth,
        result_type=result_type,
        result_name=result_name,
        supports_appointment=(guide.appointment if guide else rng.random() < 0.6) and visits > 0,
        supports_online_payment=fee is not None,
        supports_delivery="3" in channels,
        keywords=" ".join(dict.fromkeys(((guide.keywords if guide else "") + " " + domain.keywords).split()))[
            :300
        ],
        popularity=popularity,
        published_at=now,
    )
    item.check_rules()
    materials = [
        {
            "order": i,
            "name": m_name,
            "forms": [FORMS[f] for f in m_forms],
            "copies": copies,
            "necessity": NECESSITY[necessity],
            "source": SOURCES[source],
            "source_note": note,
            "requirements": "原件核验后退回，复印件需加盖公章或签字确认。" if "c" in m_forms else "",
            "blank_form": "",
            "sample": "",
        }
        for i, (m_name, m_forms, copies, necessity, source, note) in enumerate(
            _materials(template, domain, audience, guide), start=1
        )
    ]
    steps = [
        {"order": i, "name": s_name, "description": desc, "time_limit": limit}
        for i, (s_name, desc, limit) in enumerate(
            _steps(template.name, promised == 0, promised, promised_unit, result_name or "办理结果"), start=1
        )
    ]
    fees = [{"name": fee[0], "standard": fee[1], "basis": fee[2], "may_reduce": True}] if fee else []
    faqs = [
        {"order": i, "question": q, "answer": a}
        for i, (q, a) in enumerate(_faqs(template, item, guide, rng), start=1)
    ]
    theme_names = (
        template.themes
        or (
            (domain.person_themes[:2] if audience != "enterprise" else ())
            + (domain.enterprise_themes[:2] if audience != "person" else ())
        )
        or (domain.person_themes + domain.enterprise_themes)[:2]
        or ("证件办理" if audience == "person" else "准营准办",)
    )
    theme_ids = []
    for theme_name in theme_names:
        preferred = ("person", "enterprise") if audience != "enterprise" else ("enterprise", "person")
        for aud in preferred:
            if (aud, theme_name) in themes:
                theme_ids.append(themes[aud, theme_name])
                break
    return item, materials, steps, fees, faqs, list(dict.fromkeys(theme_ids))


# --- loading --------------------------------------------------------------------------------------


def ensure_regions() -> int:
    """Load the GB/T 2260 tree unless the demo city is already there; returns rows created."""
    if Region.objects.filter(code=CITY).exists() and Region.objects.filter(code=HOME_COUNTY).exists():
        return 0
    from tongban.regions.services import load_regions

    return load_regions().created


def _theme_map() -> dict[tuple[str, str], int]:
    return {(t.audience, t.name): t.pk for t in Theme.objects.all()}


POPULAR_RANK = {name: rank for rank, (name, *_rest) in enumerate(POPULAR_ITEMS)}
LIFE_EVENT_MEMBERS = {name for *_head, members in LIFE_EVENTS for name in members}


def _popularity(template: Template, county_code: str) -> int:
    rng = _rng("popularity", template.key, county_code)
    weight = 1.0 if county_code == HOME_COUNTY else 0.45 + 0.5 * _rng("weight", county_code).random()
    if template.name in POPULAR_RANK and template.themes:
        base = 10_000 + (len(POPULAR_ITEMS) - POPULAR_RANK[template.name]) * 200 + rng.randint(0, 150)
    elif template.name in LIFE_EVENT_MEMBERS:
        base = rng.randint(1_500, 3_000)
    else:
        base = min(1_200, int(rng.paretovariate(1.3) * 25))
    return int(base * weight)


class Loader:
    """Adds the missing departments and items of a set of counties."""

    def __init__(self, province: str = PROVINCE) -> None:
        self.now = timezone.now()
        self.writer = Writer(_theme_map(), self.now)
        self.catalogue = read_catalogue()
        self.existing_codes = set(
            ServiceItem.objects.filter(region_code__startswith=province).values_list("code", flat=True)
        )
        self.departments = {
            (d.region_id, d.name): d
            for d in Department.objects.filter(region__code__startswith=province).select_related("region")
        }
        self.usccs = set(Department.objects.exclude(uscc=None).values_list("uscc", flat=True))
        self.streets: dict[str, list[str]] = {}
        for code, name in (
            Region.objects.filter(code__startswith=province, level=Region.Level.TOWNSHIP)
            .values_list("code", "name")
            .order_by("code")
        ):
            self.streets.setdefault(code[:6], []).append(name)
        self.new_departments = 0

    def context(self, county: Region, city: Region | None) -> CountyContext:
        return CountyContext(
            county, city, _center(county, self.streets.get(county.code, [])), names.area_code(county.code)
        )

    def _names(self, short: str, region: Region, city: Region | None) -> tuple[str, str, str]:
        """(name, short name, USCC registration kind) of a department in ``region``."""
        if region.level == Region.Level.CITY:
            return f"{region.name}{short.removeprefix('市')}", short, "12" if "中心" in short else "11"
        return (
            names.full_name(short, region, city),
            names.short_name(short, region),
            names.registration_kind(short),
        )

    def _existing(self, region: Region, name: str, short: str) -> Department | None:
        # A department may already exist under its full name, or under the catalogue's short
        # name when the real catalogue was imported first.
        return self.departments.get((region.pk, name)) or self.departments.get((region.pk, short))

    def ensure_departments(
        self, shorts: Iterable[str], region: Region, city: Region | None, ctx: CountyContext
    ) -> None:
        """Create the missing departments of one region in one statement."""
        new = []
        for short in dict.fromkeys(shorts):
            name, short_name, kind = self._names(short, region, city)
            existing = self._existing(region, name, short)
            if existing is not None:
                if not existing.phone:
                    existing.phone = self._phone(region, short)
                    existing.save(update_fields=["phone", "updated_at"])
                continue
            rng = _rng("department", region.code, short)
            department = Department(
                name=name,
                short_name=short_name,
                region=region,
                uscc=names.make_uscc(kind, region.code, short, self.usccs),
                description=f"{name}在{ctx.center}设有办事窗口，提供本部门政务服务事项的咨询、受理和办理。",
                address=f"{ctx.center}{rng.randint(1, 3)}楼",
                phone=self._phone(region, short),
                office_hours=HOURS[0],
            )
            department.full_clean(exclude=["region"], validate_unique=False, validate_constraints=False)
            new.append(department)
            self.departments[(region.pk, name)] = department
        Department.objects.bulk_create(new)
        self.new_departments += len(new)

    def department(self, short: str, region: Region, city: Region | None) -> Department:
        name, _short_name, _kind = self._names(short, region, city)
        return self._existing(region, name, short)

    @staticmethod
    def _phone(region: Region, short: str) -> str:
        number = 2_000_000 + zlib.crc32(f"{region.code}:{short}".encode()) % 7_000_000
        return f"{names.area_code(region.code)}-{number}"

    def add_county(self, county: Region, city: Region | None, extent: int) -> None:
        ctx = self.context(county, city)
        plan = county_plan(county.code, self.catalogue, extent)
        self.ensure_departments((t.department for t in plan), county, city, ctx)
        for template in plan:
            self.add(template, county, city, ctx)

    def add(self, template: Template, region: Region, city: Region | None, ctx: CountyContext) -> None:
        department = self.department(template.department, region, city)
        code = template.code_for(region.code, department.uscc or department.local_code or "0" * 18)
        if code in self.existing_codes:
            return
        self.existing_codes.add(code)
        self.writer.add(
            *build_item(
                template,
                ctx,
                department,
                self.writer.themes,
                _popularity(template, region.code),
                self.now,
                code,
            )
        )

    def finish(self) -> int:
        self.writer.flush()
        return self.writer.created


def _life_events(counties: Iterable[Region]) -> int:
    """一件事 for each county, bundling that county's items."""
    created = 0
    for county in counties:
        items_by_name: dict[str, int] = {}
        for pk, name in (
            ServiceItem.objects.filter(region=county, status=ServiceItem.Status.PUBLISHED)
            .order_by("-popularity", "code")
            .values_list("pk", "name")
        ):
            items_by_name.setdefault(name, pk)
        for order, (slug, name, audience, summary, members) in enumerate(LIFE_EVENTS):
            event, was_created = LifeEvent.objects.get_or_create(
                slug=f"{slug}-{county.code}",
                defaults={
                    "name": name,
                    "audience": audience,
                    "summary": summary,
                    "region": county,
                    "order": order,
                },
            )
            created += was_created
            wanted = [items_by_name[m] for m in members if m in items_by_name]
            current = set(event.items.values_list("pk", flat=True))
            if current != set(wanted):
                event.items.set(wanted)
    return created


def load_city_demo(extent: int = CITY_SUBSET) -> DemoReport:
    """广安市: every county, 广安区 with its full real catalogue, plus city departments and 一件事."""
    started = time.perf_counter()
    ensure_regions()
    report = DemoReport()
    with transaction.atomic():
        city = Region.objects.get(code=CITY)
        counties = list(Region.objects.filter(parent=city, level=Region.Level.COUNTY).order_by("code"))
        loader = Loader()
        for county in counties:
            loader.add_county(county, city, extent)
        city_ctx = loader.context(city, None)
        loader.ensure_departments((dept for _n, dept, *_rest in CITY_ITEMS), city, None, city_ctx)
        for name, dept, kind, audience, themes in CITY_ITEMS:
            loader.add(Template(name, dept, kind, audience=audience, themes=themes), city, None, city_ctx)
        report.items = loader.finish()
        report.departments = loader.new_departments
        report.life_events = _life_events(counties)
        report.counties = len(counties)
    report.seconds = time.perf_counter() - started
    return report


def load_province_scale(
    min_items: int = 60_000, province: str = PROVINCE, progress: Callable[[str], None] | None = None
) -> DemoReport:
    """At least ``min_items`` published items over every county of the province (benchmarks)."""
    started = time.perf_counter()
    report = DemoReport()
    city_report = load_city_demo()
    report.timings["city"] = city_report.seconds
    counties = list(
        Region.objects.filter(code__startswith=province, level=Region.Level.COUNTY)
        .select_related("parent")
        .order_by("code")
    )
    if len(province) != 2 or not counties:
        raise InvalidInput(_("省级行政区划“%(code)s”下没有区县。") % {"code": province}, field="province")
    catalogue = read_catalogue()
    fixed = len(county_plan("", catalogue, 0))  # what every county has before catalogue items
    extent = max(0, math.ceil(min_items / len(counties)) - fixed)
    generated = time.perf_counter()
    with transaction.atomic():
        loader = Loader(province)
        for index, county in enumerate(counties, start=1):
            loader.add_county(county, county.parent, extent)
            if progress and index % 20 == 0:
                progress(f"  {index}/{len(counties)} 区县，{time.perf_counter() - generated:.1f} 秒")
        report.items = city_report.items + loader.finish()
        report.departments = city_report.departments + loader.new_departments
    report.timings["province"] = time.perf_counter() - generated
    report.life_events = city_report.life_events
    report.counties = len(counties)
    report.seconds = time.perf_counter() - started
    return report
