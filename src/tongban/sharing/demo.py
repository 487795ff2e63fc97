"""Demo step "sharing": the catalogue, grants, a department system and a case whose material
comes by sharing, for the README accounts.

- Catalogue: 人口基础信息 (区公安分局, 有条件), 法人基础信息 (区市监局, 无条件), 办件结果信息 (the
  city's 政务服务和大数据管理局, 无条件) and one entry per certificate type.
- 人社 (``rs_shixiang``) holds grants: 人口基础信息 (name, ID number, sex, birth date, address;
  granted by the platform admin for 公安, which has no demo account) and 法人基础信息; 市监
  (``sj_shixiang``) has a 有条件 request waiting on its clock.
- ``就业困难人员认定`` (人社) takes 申请人居民身份证 from 人口基础信息: 张晓明 (13800000001) has
  applied and uploaded nothing; the case waits in 人社's queue.
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
        f"张晓明申请“{SHARED_ITEM}”免提交身份证（办件 {number}）"
    )
