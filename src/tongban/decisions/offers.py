"""免申即享: a policy's table run over the population registry finds the people who qualify;
each gets one offer per policy period (the database's unique constraint makes a second run or
a concurrent one change nothing), is told by inbox and SMS without any link (a letter record
when the person has no account), and confirms in one step (a case created and concluded by the
system, ``instant.finish``) or declines. An offer not yet answered is withdrawn when the data no
longer qualify (a death, a move)."""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.access import Conflict
from tongban.core import audit
from tongban.core.errors import NotFound
from tongban.core.types import User
from tongban.identity.models import User as Account
from tongban.notifications.services import notify_person
from tongban.registries.models import PopulationRecord
from tongban.registries.selectors import record_access
from tongban.workflow.dmn import EvaluationError, FeelError
from tongban.workflow.dmn import services as dmn
from tongban.workflow.models import DecisionTable

from . import inputs, instant
from .models import AutomaticDecision, Offer, Policy

OFFERS_PATH = "/decisions/offers/"


def period_of(policy: Policy, today: dt.date) -> str:
    return "once" if policy.period == Policy.Period.ONCE else str(today.year)


def evaluate_person(
    table: DecisionTable, record: PopulationRecord, today: dt.date
) -> tuple[str, str, dict, dict, list]:
    """(outcome, reason, inputs, outputs, rows) of the policy table for one registry record."""
    context = {"户籍": inputs.person_context(record, today), "今天": today}
    try:
        outcome = dmn.decide(table, context)
    except (FeelError, EvaluationError) as exc:
        return AutomaticDecision.Outcome.UNDECIDED, str(exc), {}, {}, []
    verdict, reason, outputs = instant.interpret(outcome)
    return verdict, reason, inputs.plain(outcome.inputs), inputs.plain(outputs), list(outcome.rows)


def _log_use(record: PopulationRecord, policy: Policy, what: str) -> None:
    grant = inputs.sweep_grant(policy.item.department)
    record_access(
        None,
        f"免申即享：{policy.name}（{what}）",
        policy.item.department,
        person=record,
        subject_id_number=record.id_number,
        fields=inputs.FIELD_LABELS,
        grant_code=grant or "",
        channel="decisions",
    )


def _message(offer: Offer) -> tuple[str, str]:
    amount = offer.outputs.get("金额")
    money = f"，标准为每月 {amount} 元" if amount not in (None, "") else ""
    return (
        f"您可享受{offer.policy.name}",
        f"{offer.person.name}，您好：根据登记信息，您符合{offer.policy.name}的条件{money}，无需申请。"
        "请登录通办网站或 App，在“我的消息”中查看，确认或放弃。",
    )


@transaction.atomic
def _offer(
    policy: Policy, table: DecisionTable, record: PopulationRecord, period: str, found: tuple
) -> Offer | None:
    verdict, reason, used, outputs, rows = found
    user = Account.objects.filter(id_number=record.id_number, kind="citizen", is_active=True).first()
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                policy=policy,
                person=record,
                user=user,
                period=period,
                channel=Offer.Channel.ACCOUNT if user else Offer.Channel.LETTER,
                table=table,
                rows=rows,
                inputs=used,
                outputs=outputs,
                reason=reason[:200],
            )
    except IntegrityError:
        return None  # already offered this period (another run got there first)
    _log_use(record, policy, "发起待遇")
    if user is not None:
        title, body = _message(offer)
        notify_person(user=user, title=title, body=body, link=OFFERS_PATH, event="offer")
    audit.append("decisions.offer", obj=offer, summary=_summary(offer))
    return offer


def _summary(offer: Offer) -> dict:
    return {
        "policy": offer.policy.code,
        "period": offer.period,
        "status": offer.status,
        "table": offer.table.key,
        "version": offer.table.version,
        "digest": offer.table.digest,
        "rules": offer.rows,
        "inputs": offer.inputs,
        "outputs": offer.outputs,
    }


@transaction.atomic
def _withdraw(offer: Offer, reason: str) -> Offer:
    locked = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("policy", "person", "user", "table")
        .get(pk=offer.pk)
    )
    if locked.status != Offer.Status.OFFERED:
        return locked
    locked.status, locked.decided_at, locked.reason = Offer.Status.WITHDRAWN, timezone.now(), reason[:200]
    locked.save(update_fields=["status", "decided_at", "reason"])
    _log_use(locked.person, locked.policy, "撤回待遇")
    if locked.user is not None:
        notify_person(
            user=locked.user,
            title=f"{locked.policy.name}待遇已撤回",
            body=f"根据最新登记信息，{locked.policy.name}的条件已不满足，此前的待确认待遇已撤回。如有疑问请咨询办理部门。",
            link=OFFERS_PATH,
            event="offer_withdrawn",
        )
    audit.append("decisions.offer_withdraw", obj=locked, summary=_summary(locked))
    return locked


def sweep(
    policy: Policy, *, today: dt.date | None = None, people: Iterable[PopulationRecord] | None = None
) -> dict[str, int]:
    """Run the policy's published table over the registry (or ``people``): new offers for
    those who qualify, withdrawals of unanswered offers of those who no longer do. Every
    person's record is read through the data-sharing service, one log row each."""
    today = today or timezone.localdate()
    counts = {"offered": 0, "withdrawn": 0, "letters": 0}
    table = dmn.published(policy.table_key)
    if table is None or not policy.is_active or inputs.sweep_grant(policy.item.department) is None:
        return counts  # nothing in force, or no grant to read the registry under
    period = period_of(policy, today)
    existing = {o.person_id: o for o in Offer.objects.filter(policy=policy, period=period)}
    reads = inputs.registry_people(
        policy.item.department, f"免申即享：{policy.name}（资格筛查）", people=people
    )
    for record in reads:
        found = evaluate_person(table, record, today)
        offer = existing.get(record.pk)
        if found[0] == AutomaticDecision.Outcome.GRANT:
            if offer is None and (made := _offer(policy, table, record, period, found)) is not None:
                counts["offered"] += 1
                counts["letters"] += made.channel == Offer.Channel.LETTER
        elif offer is not None and offer.status == Offer.Status.OFFERED:
            _withdraw(offer, f"数据变化，不再符合条件：{found[1]}")
            counts["withdrawn"] += 1
    return counts


def sweep_all() -> int:
    """``tongban tick``: every active policy; reaching an age shows up on the day it happens."""
    total = 0
    for policy in Policy.objects.filter(is_active=True).select_related("item__department"):
        counts = sweep(policy)
        total += counts["offered"] + counts["withdrawn"]
    return total


def recheck_person(id_number: str, *, today: dt.date | None = None) -> dict[str, int]:
    """A registry event about one person (a birth, a death, a certificate): every policy again."""
    record = PopulationRecord.objects.only("id_number").filter(id_number=id_number).first()
    counts = {"offered": 0, "withdrawn": 0, "letters": 0}
    if record is None:
        return counts  # an existence check: the sweep reads (and logs) the record itself
    for policy in Policy.objects.filter(is_active=True).select_related("item__department"):
        for key, value in sweep(policy, today=today, people=[record]).items():
            counts[key] += value
    return counts


def _own_offer(user: User, offer_id: int) -> Offer:
    offer = (
        Offer.objects.select_related("policy__item", "person__region", "table").filter(pk=offer_id).first()
    )
    if offer is None or offer.user_id is None or offer.user_id != getattr(user, "pk", None):
        raise NotFound()
    if offer.status != Offer.Status.OFFERED:
        raise Conflict(f"该待遇{offer.get_status_display()}，不能再操作。", code="offer_closed")
    return offer


def confirm_offer(*, user: User, offer_id: int):
    """One step: the delivering item's application is filled from what the platform holds and
    submitted; the submission step records the offer's decision and the system concludes it."""
    offer = _own_offer(user, offer_id)
    record = offer.person
    application = case_services.start_application(user=user, item=offer.policy.item)
    properties = (application.form.schema or {}).get("properties", {})
    data = dict(application.data or {})
    if "request" in properties:
        data["request"] = f"确认享受{offer.policy.name}（免申即享）"
    if "address" in properties and not data.get("address"):
        data["address"] = {"region": record.region.code, "detail": record.address or record.region.name}
    case_services.save_draft(user=user, application=application, data=data)
    token = instant.confirming.set(offer)
    try:
        case = case_services.submit_application(user=user, application=application)
    finally:
        instant.confirming.reset(token)
    return case


def held_for_offer(application) -> set[int]:
    """A ``cases.steps`` material provider: while a person confirms an offer, the item's required
    materials are held already (the policy found them in the registry: 免申, nothing to upload)."""
    offer = instant.confirming.get()
    if (
        offer is None
        or offer.policy.item_id != application.item_id
        or offer.user_id != application.applicant_id
    ):
        return set()
    from tongban.catalog.models import MaterialRequirement

    return set(
        MaterialRequirement.objects.filter(
            item_id=application.item_id, necessity=MaterialRequirement.Necessity.REQUIRED
        ).values_list("pk", flat=True)
    )


def mark_confirmed(offer: Offer, case_id: int) -> None:
    """Inside the submission (before its audit append): the offer is taken up by the case."""
    Offer.objects.filter(pk=offer.pk, status=Offer.Status.OFFERED).update(
        status=Offer.Status.CONFIRMED, decided_at=timezone.now(), case_id=case_id
    )


@transaction.atomic
def decline_offer(*, user: User, offer_id: int, reason: str = "") -> Offer:
    offer = _own_offer(user, offer_id)
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.status != Offer.Status.OFFERED:
        raise Conflict("该待遇已处理。", code="offer_closed")
    locked.status, locked.decided_at = Offer.Status.DECLINED, timezone.now()
    locked.reason = (reason or "本人放弃").strip()[:200]
    locked.save(update_fields=["status", "decided_at", "reason"])
    audit.append(
        "decisions.offer_decline",
        actor=user,
        obj=locked,
        summary={"policy": offer.policy.code, "period": offer.period},
    )
    return locked
