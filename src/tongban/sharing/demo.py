"""Demo step "sharing": the catalogue, grants, a department system and a case whose material
comes by sharing, for the README accounts.

- Catalogue: 人口基础信息 (区公安分局, 有条件), 法人基础信息 (区市监局, 无条件), 办件结果信息 (the
  city's 政务服务和大数据管理局, 无条件) and one entry per certificate type.
- 人社 (``rs_shixiang``) holds grants: 人口基础信息 (name, ID number, sex, birth date, address;
  granted by the platform admin for 公安, which has no demo account) and 法人基础信息; 市监
  (``sj_shixiang``) has a 有条件 request waiting on its clock.
- ``就业困难人员认定`` (人社) takes 申请人居民身份证 from 人口基础信息: 张晓明 (13800000001) has
  applied and uploaded nothing; the case waits in 人社's queue.
- The shipped 一件事 (docs/joint.md, Figures): in 广安区 every item of those bundles takes the
  government-issued documents the base registries really hold from them (``BUNDLE_SOURCES``: the
  applicant's or 经办人's 居民身份证 and 户口簿 from 人口基础信息, an enterprise's 营业执照 and its
  法定代表人's identity from 法人基础信息), with a grant for each department that reads another's
  resource (人口基础信息 is 有条件: the platform admin answers for 公安, as above); the 社会保障卡 the
  applicant holds comes from the wallet (``WALLET_SOURCES``). Documents nobody on the platform
  holds (结婚证, 居民死亡医学证明, 清税证明) and item-specific ones stay asked.
- ``人社业务系统`` (an OIDC client of the platform) calls the exchange API with a demo-only key (``DEMO_CLIENT_SEED``, like the
  shared demo TOTP secret: never in production) and has read 张晓明's name and address once
  without a case, so his "谁用了我的数据" shows both kinds of read.
"""

import datetime as dt
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from tongban.identity.models import User

from . import catalogue, exchange, services, signing
from .models import ConsumerSystem, DataResource, Grant, SharedMaterial, SharingRequest

SHARED_ITEM = "就业困难人员认定"
SHARED_MATERIAL = "申请人居民身份证"
PERSON_FIELDS = ["name", "id_number", "sex", "birth_date", "address"]
DEMO_CLIENT_ID = "gaq-rs-business"
DEMO_CLIENT_SEED = b"tongban demo sharing client (demo only)"
CASE_KEY = "demo:sharing01"
HOUSEHOLD_FIELDS = [*PERSON_FIELDS, "ethnicity", "region_code"]
LICENCE_FIELDS = ["name", "uscc", "legal_rep_name", "kind", "address", "established_on", "status"]
LEGAL_REP_FIELDS = ["name", "uscc", "legal_rep_name", "legal_rep_id_number"]
# Material name (as the bundles' items list it) → (registry, information items it needs). Only
# documents whose content is the registry's record of the subject: the signed-in person (申请人,
# 经办人, the parent applying for a birth) or the enterprise applying.
BUNDLE_SOURCES = {
    "申请人居民身份证": (DataResource.Kind.POPULATION, PERSON_FIELDS),
    "申领人居民身份证": (DataResource.Kind.POPULATION, PERSON_FIELDS),
    "母亲（父亲）居民身份证": (DataResource.Kind.POPULATION, PERSON_FIELDS),
    "经办人身份证件": (DataResource.Kind.POPULATION, PERSON_FIELDS),
    "居民户口簿": (DataResource.Kind.POPULATION, HOUSEHOLD_FIELDS),
    "营业执照或事业单位法人证书": (DataResource.Kind.ENTERPRISE, LICENCE_FIELDS),
    "法定代表人（负责人）身份证明": (DataResource.Kind.ENTERPRISE, LEGAL_REP_FIELDS),
}
# Material name → certificate type (code) of the applicant's own wallet that stands in for it:
# only where the document is the applicant's own card (not the deceased's 社会保障卡 to be
# cancelled, not an enterprise's or a newborn's).
WALLET_SOURCES = {
    ("企业职工基本养老保险正常退休申请", "社会保障卡"): "RSSBK",
    ("住房公积金提取", "本人社会保障卡或银行卡"): "RSSBK",
    ("殡葬补贴申领", "本人社会保障卡或银行卡"): "RSSBK",
}
BUNDLE_REGION = "511602"


def _demo_system(department) -> ConsumerSystem:
    """人社业务系统: registered once as an OIDC client of the platform, then let into the exchange
    with its assertion key."""
    from tongban.identity.oidc.models import Client
    from tongban.identity.oidc.services import create_client

    client = Client.objects.filter(client_id=DEMO_CLIENT_ID).first()
    if client is None:
        client = create_client(
            name="广安区人社业务系统",
            redirect_uris=["https://rs.gaq.example.cn/oidc/callback"],
            department_id=department.pk,
        ).client
        client.client_id = DEMO_CLIENT_ID
        client.save(update_fields=["client_id"])
    return services.register_system(
        actor=None, client=client, public_key=signing.public_hex(demo_client_key())
    )


def demo_client_key() -> Ed25519PrivateKey:
    """The demo system's private key (derived from a published seed: demo data only)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEMO_CLIENT_SEED).digest())


def _departments() -> dict:
    from tongban.demo.configure import GA, RS, SJ, department
    from tongban.departments.models import Department

    return {
        "ga": department(GA),
        "rs": department(RS),
        "sj": department(SJ),
        "city": Department.objects.get(name="广安市政务服务和大数据管理局"),
    }


def _ensure_request(
    actor: User, resource: DataResource, consumer, fields: list[str], purpose: str, basis: str
) -> SharingRequest:
    existing = SharingRequest.objects.filter(resource=resource, consumer=consumer).first()
    if existing is not None:
        return existing
    return services.request_sharing(
        actor=actor,
        resource=resource,
        consumer=consumer,
        fields=fields,
        purpose=purpose,
        legal_basis=basis,
        valid_until=timezone.localdate() + dt.timedelta(days=730),
    )


def _ensure_grant(consumer, resource: DataResource, fields: list[str], admin: User) -> None:
    """A grant in force for ``fields``, else a request filed by the consumer's catalogue
    administrator (the platform admin where it has none) and answered by the platform admin for
    a provider without one (公安)."""
    from tongban.identity.models import StaffRole

    if resource.provider_id == consumer.pk or services.grant_for(consumer, resource, fields) is not None:
        return
    actor = (
        User.objects.filter(
            memberships__department=consumer, memberships__role=StaffRole.CATALOGUE, is_active=True
        )
        .order_by("pk")
        .first()
        or admin
    )
    request = services.request_sharing(
        actor=actor,
        resource=resource,
        consumer=consumer,
        fields=fields,
        purpose="办理“一件事”事项时免于申请人提交本人或本单位的证照材料",
        legal_basis="《国务院关于加快推进政务服务标准化规范化便利化的指导意见》；国务院令第716号第七条",
        valid_until=timezone.localdate() + dt.timedelta(days=730),
    )
    if request.status == SharingRequest.Status.PENDING:
        services.decide_request(actor=admin, request=request, grant=True, note="同意，限办理业务时使用")


def _bundle_sources(admin: User, population: DataResource, enterprise: DataResource) -> tuple[int, int]:
    """免提交 sources for the items of the shipped bundles in 广安区 (see the module docstring):
    the sharing mappings with their grants, and the wallet's 社会保障卡; (mappings, wallet) added."""
    from tongban.catalog.bundle_demo import shipped_bundles
    from tongban.catalog.models import LifeEventItem, MaterialRequirement
    from tongban.certificates.models import CertificateType

    slugs = [f"{spec['slug']}-{BUNDLE_REGION}" for spec in shipped_bundles()]
    items = LifeEventItem.objects.filter(bundle__slug__in=slugs).values_list("item_id", flat=True)
    requirements = MaterialRequirement.objects.filter(
        item_id__in=items, name__in=[*BUNDLE_SOURCES, *(name for _item, name in WALLET_SOURCES)]
    ).select_related("item__department")
    registries = {DataResource.Kind.POPULATION: population, DataResource.Kind.ENTERPRISE: enterprise}
    wanted: dict[tuple[int, int], set[str]] = {}
    mapped = wallet = 0
    for requirement in requirements:
        if requirement.name not in BUNDLE_SOURCES:
            code = WALLET_SOURCES.get((requirement.item.name, requirement.name))
            if code is None:
                continue
            ctype = CertificateType.objects.get(code=code)
            if not ctype.accepted_for.filter(pk=requirement.pk).exists():
                ctype.accepted_for.add(requirement)
                wallet += 1
            continue
        kind, fields = BUNDLE_SOURCES[requirement.name]
        resource = registries[kind]
        _, created = SharedMaterial.objects.get_or_create(
            requirement=requirement, defaults={"resource": resource, "fields": fields}
        )
        mapped += created
        department = requirement.item.department
        wanted.setdefault((department.pk, resource.pk), set()).update(fields)
    departments = {d.pk: d for d in {r.item.department for r in requirements}}
    for (department_id, resource_id), fields in wanted.items():
        resource = next(r for r in registries.values() if r.pk == resource_id)
        _ensure_grant(departments[department_id], resource, sorted(fields), admin)
    return mapped, wallet


def _apply(citizen: User) -> str:
    from tongban.cases import services as cases
    from tongban.cases.models import Case
    from tongban.catalog.models import ServiceItem
    from tongban.demo.cases import GENERIC_DATA

    done = Case.objects.filter(idempotency_key=CASE_KEY).first()
    if done is not None:
        return done.number
    item = ServiceItem.objects.published().get(department=_departments()["rs"], name=SHARED_ITEM)
    draft = cases.start_application(user=citizen, item=item)
    properties = draft.form.schema.get("properties") or {}
    cases.save_draft(
        user=citizen, application=draft, data={k: v for k, v in GENERIC_DATA.items() if k in properties}
    )
    missing = cases.missing_materials(draft)
    if missing:
        raise RuntimeError(f"共享材料未自动获取：{[m.name for m in missing]}")
    return cases.submit_application(user=citizen, application=draft, idempotency_key=CASE_KEY).number


def load(**_: object) -> str:
    from tongban.catalog.models import MaterialRequirement
    from tongban.demo.identity import NAMED_PEOPLE

    d = _departments()
    with transaction.atomic():
        created = catalogue.publish_standard(population=d["ga"], enterprise=d["sj"], case_results=d["city"])
        population = DataResource.objects.get(kind=DataResource.Kind.POPULATION, provider=d["ga"])
        enterprise = DataResource.objects.get(kind=DataResource.Kind.ENTERPRISE, provider=d["sj"])
        rs_admin = User.objects.get(username="rs_shixiang")
        request = _ensure_request(
            rs_admin,
            population,
            d["rs"],
            PERSON_FIELDS,
            "办理社会保险和就业业务时核验申请人身份",
            "《社会保险法》第五十八条；《就业促进法》",
        )
        if request.status == SharingRequest.Status.PENDING:
            services.decide_request(
                actor=User.objects.get(username="admin"),
                request=request,
                grant=True,
                note="同意，限办理业务时使用",
            )
        _ensure_request(
            rs_admin,
            enterprise,
            d["rs"],
            ["name", "uscc", "legal_rep_name", "status"],
            "核验参保单位",
            "《社会保险法》",
        )
        _ensure_request(
            User.objects.get(username="sj_shixiang"),
            population,
            d["sj"],
            ["name", "address"],
            "核验个体工商户经营者身份",
            "《市场主体登记管理条例》",
        )
        requirement = MaterialRequirement.objects.get(
            item__department=d["rs"], item__name=SHARED_ITEM, item__status="published", name=SHARED_MATERIAL
        )
        SharedMaterial.objects.get_or_create(
            requirement=requirement, defaults={"resource": population, "fields": PERSON_FIELDS}
        )
        system = _demo_system(d["rs"])
        mapped, wallet = _bundle_sources(User.objects.get(username="admin"), population, enterprise)
    citizen = User.objects.get(mobile=NAMED_PEOPLE["citizen"][1])
    number = _apply(citizen)
    from tongban.registries.models import DataAccessLog

    if not DataAccessLog.objects.filter(channel="exchange", subject_id_number=citizen.id_number).exists():
        body = json.dumps(
            {
                "resource": population.code,
                "subject": citizen.id_number,
                "fields": ["name", "address"],
                "purpose": "核对失业保险待遇发放地址（失业保险待遇资格复核）",
            },
            ensure_ascii=False,
        ).encode()
        exchange.exchange(f"Bearer {signing.make_assertion(system.client_id, demo_client_key(), body)}", body)
    grants = Grant.objects.count()
    return (
        f"数据资源新增 {len(created)}（共 {DataResource.objects.count()}），授权 {grants} 项；"
        f"一件事材料共享获取新增 {mapped} 项、电子证照免提交新增 {wallet} 项；"
        f"张晓明申请“{SHARED_ITEM}”免提交身份证（办件 {number}）"
    )
