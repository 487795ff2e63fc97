"""Demo steps "cases" and "ratings": queues with cases in every state, wallets with licences.

Every case is applied for by a demo account and handled by the demo staff through the cases
services (start, save, upload, submit, accept, correct, review, special procedure, decide,
conclude), so history, clocks and the audit chain are what real use leaves behind. Certificates
come from ``certificates.services.issue_for_case`` (what the after-commit hook calls), so
wallet licences are signed by the department's seal key and verify on the public page.

To give the queues yellow and red deadlines, an open case is then moved back in time as a
whole: its submission, acceptance, pause and history lines shift by the same number of days,
it gets a number of its new submission day (from that day's counter), and its deadlines are
computed again by ``cases.clock`` from the shifted days. Audit entries keep the moment they
were written (and the number the case had then). Cases that end with a licence are shifted before their
conclusion, so licences are issued on the day the case concludes.

Each scenario is submitted with an idempotency key ``demo:…``; one already present is skipped.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongban.cases import clock
from tongban.cases import services as cases
from tongban.cases.models import Case, CaseEvent
from tongban.cases.numbering import next_case_number
from tongban.catalog.models import CaseKind, ServiceItem
from tongban.certificates.services import issue_for_case
from tongban.identity.models import EnterpriseAccount, User
from tongban.ratings import services as ratings
from tongban.ratings.models import Rating

from .configure import BENEFIT_ITEM, DRUG_ITEM, RS, SJ, item
from .identity import DEMO_ENTERPRISE, NAMED_PEOPLE

CITIZEN, LEGAL_REP, AGENT = (NAMED_PEOPLE[k][1] for k in ("citizen", "legal_rep", "agent"))

# Target states: where a scenario's case is left.
SUBMITTED, CORRECTION, REVIEW, SPECIAL, DECISION, ISSUE = (
    "submitted",
    "correction",
    "review",
    "special",
    "decision",
    "issue",
)
CONCLUDED, REFUSED, DENIED, FORWARDED, WITHDRAWN = "concluded", "refused", "denied", "forwarded", "withdrawn"


@dataclass(frozen=True)
class Scenario:
    key: str
    applicant: str  # mobile of the demo account
    department: str
    item: str
    target: str
    colour: str = "green"  # for open cases: green, yellow or red
    for_enterprise: bool = False
    rating: tuple[int, str, tuple[str, ...]] | None = None  # level, comment, tags


BENEFIT_DATA = {
    "address": {"region": "511602001", "detail": "浓洄街道建设路 18 号 3 单元 502 室"},
    "former_employer": "广安市恒达建材有限公司",
    "contribution_years": 6,
    "leave_date": "2026-10-31",
    "reason": "劳动合同期满终止",
    "registered": "是",
    "bank_name": "中国工商银行广安分行",
    "bank_account": "6222024406001234567",
}
DRUG_DATA = {
    "premises": {"region": "511602002", "detail": "北辰街道金安大道 66 号 1 楼"},
    "floor_area": 120,
    "business_mode": "药品零售",
    "business_scope": ["甲类非处方药", "乙类非处方药", "中成药"],
    "quality_manager": "周敏",
    "pharmacist_name": "周敏",
    "pharmacist_licence": "510216202100318",
}
GENERIC_DATA = {
    "address": {"region": "511602004", "detail": "广福街道龙塘路 9 号"},
    "request": "按办事指南申请办理，材料已按要求上传。",
}
SPECIAL_DATA = {BENEFIT_ITEM[1]: BENEFIT_DATA, DRUG_ITEM[1]: DRUG_DATA}

SCENARIOS = [
    # 人社: the citizen's wallet first (社会保障卡, 就业创业证), then a queue with every state.
    Scenario("demo:rs01", CITIZEN, RS, "社会保障卡申领", CONCLUDED, rating=(5, "当场就办好了", ("办事快",))),
    Scenario("demo:rs02", CITIZEN, RS, "失业登记", CONCLUDED, rating=(4, "", ("指南清楚",))),
    Scenario("demo:rs03", LEGAL_REP, RS, "失业保险金申领", CONCLUDED, rating=(5, "", ("一次办成",))),
    Scenario("demo:rs04", AGENT, RS, "失业登记", SUBMITTED),
    Scenario("demo:rs05", LEGAL_REP, RS, "就业技能培训补贴申请", SUBMITTED, colour="red"),
    Scenario("demo:rs06", AGENT, RS, "失业保险金申领", CORRECTION),
    Scenario("demo:rs07", LEGAL_REP, RS, "辅助器具配置（更换）申请", REVIEW, colour="yellow"),
    Scenario("demo:rs08", AGENT, RS, "就业技能培训补贴申请", REVIEW, colour="red"),
    Scenario("demo:rs09", LEGAL_REP, RS, "招聘服务", SPECIAL),
    Scenario("demo:rs10", AGENT, RS, "辅助器具配置（更换）申请", DECISION, colour="yellow"),
    Scenario("demo:rs11", LEGAL_REP, RS, "失业保险金申领", ISSUE),
    Scenario("demo:rs12", AGENT, RS, "招聘服务", REFUSED),
    Scenario("demo:rs13", LEGAL_REP, RS, "失业登记", DENIED),
    Scenario(
        "demo:rs14",
        AGENT,
        RS,
        "失业登记",
        CONCLUDED,
        rating=(1, "窗口说材料不全让我跑了三次，每次说法都不一样。", ("跑了多次", "态度差")),
    ),
    Scenario("demo:rs15", AGENT, RS, "就业技能培训补贴申请", WITHDRAWN),
    # 市监: the enterprise applies through its agent 王丽 (or its legal representative).
    Scenario(
        "demo:sj01",
        AGENT,
        SJ,
        "药品零售企业经营许可",
        CONCLUDED,
        for_enterprise=True,
        rating=(5, "", ("一次办成", "指南清楚")),
    ),
    Scenario("demo:sj02", AGENT, SJ, "食品小作坊备案发放", SUBMITTED, for_enterprise=True),
    Scenario(
        "demo:sj03", LEGAL_REP, SJ, "医疗用毒性药品购用审批", SUBMITTED, colour="red", for_enterprise=True
    ),
    Scenario("demo:sj04", AGENT, SJ, "食品小经营店备案续期", CORRECTION, for_enterprise=True),
    Scenario(
        "demo:sj05", LEGAL_REP, SJ, "药品零售企业经营许可", REVIEW, colour="yellow", for_enterprise=True
    ),
    Scenario("demo:sj06", AGENT, SJ, "药品零售企业经营许可", SPECIAL, for_enterprise=True),
    Scenario("demo:sj07", AGENT, SJ, "食品小作坊备案发放", REVIEW, colour="red", for_enterprise=True),
    Scenario("demo:sj08", LEGAL_REP, SJ, "医疗用毒性药品购用审批", DECISION, for_enterprise=True),
    Scenario("demo:sj09", AGENT, SJ, "食品小经营店备案续期", ISSUE, colour="yellow", for_enterprise=True),
    Scenario("demo:sj10", AGENT, SJ, "食品小作坊备案发放", REFUSED, for_enterprise=True),
    Scenario("demo:sj11", LEGAL_REP, SJ, "医疗用毒性药品购用审批", DENIED, for_enterprise=True),
    Scenario(
        "demo:sj12",
        LEGAL_REP,
        SJ,
        "食品小经营店备案续期",
        CONCLUDED,
        for_enterprise=True,
        rating=(2, "等了很久才有人处理。", ("等待太久",)),
    ),
    Scenario("demo:sj13", LEGAL_REP, SJ, "药品零售企业经营许可", FORWARDED, for_enterprise=True),
    Scenario("demo:sj14", AGENT, SJ, "食品小作坊备案发放", WITHDRAWN, for_enterprise=True),
]

# A whole one-page PDF (blank A4): uploads are parsed, so a stand-in must be a real file.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000053 00000 n \n0000000103 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n167\n%%EOF\n"
)


def _staff(department: str) -> dict[str, User]:
    prefix = "rs" if department == RS else "sj"
    return {
        role: User.objects.get(username=f"{prefix}_{suffix}")
        for role, suffix in (
            ("intake", "shouli"),
            ("review", "shenhe"),
            ("decide", "jueding"),
            ("issue", "zhizheng"),
        )
    }


def _submit(scenario: Scenario, target: ServiceItem, user: User) -> Case:
    enterprise = EnterpriseAccount.objects.get(name=DEMO_ENTERPRISE) if scenario.for_enterprise else None
    draft = cases.start_application(user=user, item=target, enterprise=enterprise)
    data = SPECIAL_DATA.get(target.name, GENERIC_DATA)
    properties = draft.form.schema.get("properties") or {}
    cases.save_draft(user=user, application=draft, data={k: v for k, v in data.items() if k in properties})
    for material in cases.missing_materials(draft):
        upload = SimpleUploadedFile(f"{material.name}.pdf", _PDF, content_type="application/pdf")
        cases.attach_file(user=user, application=draft, requirement=material, upload=upload)
    return cases.submit_application(user=user, application=draft, idempotency_key=scenario.key)


def _drive(case: Case, target: str, staff: dict[str, User]) -> Case:
    """Take the case through the staff steps up to ``target`` (concluding comes later)."""
    if target == SUBMITTED:
        return case
    intake = staff["intake"]
    if target == CORRECTION:
        material = case.item.materials.order_by("order", "pk").last()
        cases.request_correction(
            actor=intake,
            case=case,
            notice=f"请补交清晰的“{material.name}”：上传的文件无法辨认。",
            materials=[material],
        )
        return Case.objects.get(pk=case.pk)
    if target == REFUSED:
        return cases.refuse_case(
            actor=intake, case=case, reason="申请事项不属于本机关职权范围，请向属地社区提出。"
        )
    case = cases.accept_case(actor=intake, case=case, opinion="材料齐全，符合法定形式，予以受理。")
    if not case.is_open or target == REVIEW:
        return case
    if target == FORWARDED:
        return cases.forward_case(
            actor=staff["review"], case=case, reason="申请的经营范围含需由市级审批的事项，依法转报上级机关。"
        )
    if target == SPECIAL:
        return cases.start_special_procedure(
            actor=staff["review"],
            case=case,
            kind="现场检查",
            notice="需对经营场所进行现场检查，检查期间不计入办理时限。",
        )
    case = cases.review_case(actor=staff["review"], case=case, opinion="经审查，申请材料真实有效，符合条件。")
    if target == DECISION:
        return case
    if target == DENIED:
        return cases.decide_case(
            actor=staff["decide"],
            case=case,
            grant=False,
            reason="经核查，申请人不符合办理条件（未满足参保缴费要求）。",
        )
    return cases.decide_case(
        actor=staff["decide"], case=case, grant=True, reason="符合法定条件和标准，依法准予。"
    )


def _dates(case: Case, days: int) -> Case:
    """A copy of ``case`` with its deadlines as they would be had it been submitted ``days`` ago."""
    shifted = Case(
        item=case.item,
        status=case.status,
        limit_days=case.limit_days,
        limit_unit=case.limit_unit,
        accepted_at=case.accepted_at - dt.timedelta(days=days) if case.accepted_at else None,
        paused_since=case.paused_since,
    )
    submitted = timezone.localdate(case.submitted_at - dt.timedelta(days=days))
    clock.set_intake_deadline(shifted, submitted)
    if shifted.accepted_at is not None:
        clock.set_decision_deadlines(shifted, timezone.localdate(shifted.accepted_at))
    clock.refresh_due(shifted)
    return shifted


def _days_for(case: Case, colour: str) -> int:
    """How far back to move an open case so its deadline shows ``colour`` today."""
    lo = 1 if colour == "green" else 0
    for days in range(lo, 120):
        if clock.deadline_colour(_dates(case, days)) == colour:
            return days + (2 if colour == "red" else 0)
    return lo


def _backdate(case: Case, days: int) -> Case:
    if days <= 0:
        return case
    delta = dt.timedelta(days=days)
    shifted = _dates(case, days)
    submitted_at = case.submitted_at - delta
    updates = {
        # The number carries the day of submission; the counter of that day hands it out.
        "number": next_case_number(case.region_code, timezone.localdate(submitted_at)),
        "submitted_at": submitted_at,
        "intake_due": shifted.intake_due,
        "legal_due": shifted.legal_due,
        "promised_due": shifted.promised_due,
        "due_estimated": shifted.due_estimated,
    }
    for name in ("accepted_at", "paused_since", "claimed_at", "concluded_at"):
        value = getattr(case, name)
        updates[name] = value - delta if value else None
    Case.objects.filter(pk=case.pk).update(**updates)
    CaseEvent.objects.filter(case=case).update(at=F("at") - delta)
    case.application.__class__.objects.filter(pk=case.application_id).update(
        created_at=F("created_at") - delta, updated_at=F("updated_at") - delta
    )
    case = Case.objects.select_related("item").get(pk=case.pk)
    clock.refresh_due(case)
    Case.objects.filter(pk=case.pk).update(due_date=case.due_date, warn_date=case.warn_date)
    return case


def _play(scenario: Scenario) -> Case:
    target_item = item(scenario.department, scenario.item)
    staff = _staff(scenario.department)
    user = User.objects.get(username=scenario.applicant)
    case = _submit(scenario, target_item, user)
    if target_item.case_kind == CaseKind.INSTANT:
        case = cases.accept_case(actor=staff["intake"], case=case, opinion="材料齐全，当场办结。")
        issue_for_case(case, staff["intake"])
        return case
    if scenario.target == WITHDRAWN:
        _backdate(case, 2)
        return cases.withdraw_case(user=user, case=case, reason="已在其他渠道办理，撤回申请。")
    goal = ISSUE if scenario.target == CONCLUDED else scenario.target
    case = _drive(case, goal, staff)
    if case.is_open:
        colour = scenario.colour if scenario.target != CONCLUDED else "green"
        case = _backdate(case, _days_for(case, colour))
    else:
        case = _backdate(case, 3)
    if scenario.target == CONCLUDED:
        case = cases.conclude_case(
            actor=staff["issue"], case=case, result=Case.Result.ISSUED, opinion="已制证，电子证照已发放。"
        )
        issue_for_case(case, staff["issue"])
    return case


def load(out=None, **_: object) -> str:
    """The demo step "cases": every scenario not yet present, each in its own transaction."""
    from . import refresh_statistics

    present = set(
        Case.objects.filter(idempotency_key__startswith="demo:").values_list("idempotency_key", flat=True)
    )
    missing = [s for s in SCENARIOS if s.key not in present]
    if missing:
        # The catalogue and people were just loaded: without statistics PostgreSQL plans the
        # services' joins as over empty tables (four times slower here).
        refresh_statistics()
    spiff = logging.getLogger("spiff")
    level = spiff.level
    spiff.setLevel(logging.WARNING)  # SpiffWorkflow logs every task state change at INFO
    try:
        for scenario in missing:
            with transaction.atomic():
                _play(scenario)
    finally:
        spiff.setLevel(level)
    if out:
        citizen_item, enterprise_item = BENEFIT_ITEM[1], DRUG_ITEM[1]
        out(
            f"演示办事旅程：张晓明（{CITIZEN}）网上申请“{citizen_item}”（承诺件，需上传材料，出证后进入电子证照夹）；"
            f"经办人王丽（{AGENT}）代{DEMO_ENTERPRISE}申请“{enterprise_item}”；"
            "网上开证明：临时身份证明、个人参保证明（个人）、单位参保证明（企业）。"
        )
    total = Case.objects.filter(idempotency_key__startswith="demo:").count()
    return f"新增演示办件 {len(missing)}（共 {total}，两个部门各种状态齐全，含黄牌、红牌）"


def load_ratings(**_: object) -> str:
    """The demo step "ratings": the applicants rate their finished cases (差评 opens 整改)."""
    created = 0
    for scenario in SCENARIOS:
        if scenario.rating is None:
            continue
        user = User.objects.get(username=scenario.applicant)
        case = Case.objects.filter(submitted_by=user, idempotency_key=scenario.key).first()
        if case is None or Rating.objects.filter(case=case).exists():
            continue
        level, comment, tags = scenario.rating
        ratings.rate_case(user=user, case=case, level=level, comment=comment, tags=list(tags))
        created += 1
    total = Rating.objects.filter(case__idempotency_key__startswith="demo:").count()
    return f"新增演示评价 {created}（共 {total}，含差评及其整改任务）"
