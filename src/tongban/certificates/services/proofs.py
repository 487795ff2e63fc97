"""网上开证明: a proof issued from registry data with no human step; the registry read is logged."""

from django.db import models, transaction
from django.utils import timezone

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, PermissionDenied
from tongban.identity.actors import Actor, check_actor_scope
from tongban.identity.audit import record_action

from .. import selectors
from ..models import Certificate, CertificateType, HolderKind
from .issuing import Holder, _issue, build_fields


def _registry_fields(ctype: CertificateType, record: models.Model) -> dict:
    values = {
        field.name: getattr(record, field.name)
        for field in record._meta.concrete_fields
        if not field.is_relation and field.name not in {"id", "updated_at"}
    }
    for name in ("sex", "status", "kind"):
        if hasattr(record, f"get_{name}_display"):
            values[name] = getattr(record, f"get_{name}_display")()
    values["region"] = record.region.full_name if record.region_id else ""
    return values


def issue_online_proof(*, actor: Actor, item: ServiceItem) -> Certificate:
    """网上开证明: a proof from registry data, no human step; the registry read is logged.

    The read is not in one transaction with the issue: a refused request stays in the log.
    """
    from tongban.registries.models import EnterpriseRecord, PopulationRecord
    from tongban.registries.selectors import read_enterprise, read_person

    ctype = selectors.online_proof_type(item)
    user = actor.user
    if user is None or getattr(user, "kind", "") != "citizen":
        raise PermissionDenied("请使用个人或企业账号登录后开具证明。")
    purpose = f"网上开具{ctype.name}"
    if ctype.registry_source == CertificateType.RegistrySource.POPULATION:
        if actor.enterprise is not None:
            raise InvalidInput("户籍类证明只能以个人身份开具，请切换为个人身份。", code="wrong_actor")
        if user.real_name_level < 2 or not user.id_number:
            raise PermissionDenied("开具证明需要完成实名核验（L2 及以上）。")
        record = read_person(user.id_number, accessor=user, purpose=purpose, department=ctype.department)
        if record is None:
            raise InvalidInput("人口库中没有您的户籍信息，请到户籍窗口办理。", code="not_in_registry")
        if record.status != PopulationRecord.Status.ALIVE:
            raise InvalidInput(
                f"人口库登记状态为“{record.get_status_display()}”，不能网上开具，请到窗口办理。",
                code="registry_status",
            )
        holder = Holder(HolderKind.PERSON, record.name, record.id_number, user=user)
    else:
        if actor.enterprise is None:
            raise InvalidInput("企业类证明需以企业身份开具，请先切换到所代表的企业。", code="wrong_actor")
        check_actor_scope(actor, item)
        record = read_enterprise(
            actor.enterprise.uscc, accessor=user, purpose=purpose, department=ctype.department
        )
        if record is None:
            raise InvalidInput("法人库中没有该企业的登记信息，请到窗口办理。", code="not_in_registry")
        if record.status != EnterpriseRecord.Status.ACTIVE:
            raise InvalidInput(
                f"企业登记状态为“{record.get_status_display()}”，不能网上开具，请到窗口办理。",
                code="registry_status",
            )
        holder = Holder(HolderKind.ENTERPRISE, record.name, record.uscc, enterprise=actor.enterprise)
    today = timezone.localdate()
    sources = {
        "registry": _registry_fields(ctype, record),
        "holder": {"name": holder.name, "number": holder.number},
        "item": item,
        "department": ctype.department,
        "data": {},
    }
    with transaction.atomic():
        certificate = _issue(
            ctype=ctype,
            holder=holder,
            fields=build_fields(ctype, sources),
            valid_from=today,
            valid_until=ctype.valid_until(today),
            origin=Certificate.Origin.PROOF,
            actor=user,
            item=item,
        )
        record_action(
            actor, "certificates.proof", target=certificate, summary=f"{ctype.name} {certificate.identifier}"
        )
    return certificate
