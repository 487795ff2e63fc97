"""Demo step "certificates": what the two demo departments configure so that licences exist.

Through the apps' own services: each department's seal key (``certificates.seals``), the
journey items' own forms (``forms.services``) and processes (``workflow.services``), and
certificate and proof types (``certificates.services.save_certificate_type``, as the
department's demo 事项管理 account; the 公安 proof type, whose department has no demo account,
is saved after the model's ``full_clean()``). Which wallet licences replace which materials
(免提交) has no page yet and is set on the type directly.

The journeys (also printed in the demo summary):

- 人社 ``失业保险金申领`` (承诺件, 5 个工作日): its own form (失业前单位、离职日期、失业原因、
  银行账户…) and process (unemployment_benefit.bpmn); asks for an upload (居民身份证); the
  citizen's 社会保障卡 in the wallet replaces the 社保卡/银行卡 material (免提交); 出证 issues a
  《失业保险待遇核定通知书》 into the wallet.
- 市监 ``药品零售企业经营许可`` (承诺件, 15 个工作日): applied for by the agent 王丽 for
  广安市鑫源商贸有限公司; its own form (经营场所、经营方式、经营范围、执业药师…) and process
  (drug_retail_licence.bpmn, with 现场检查 as special procedure); 出证 issues a 药品经营许可证.
- 行政审批局 for 开办餐饮店一件事: 个体工商户设立登记 issues a 营业执照 (with the 统一社会信用代码
  recorded at its 办结) and 食品经营许可 a 食品经营许可证, both released together (统一出件).
- 网上开证明 (/proofs/): 临时身份证明 (公安) and 个人参保证明 (人社) for a citizen,
  单位参保证明 (人社) for an enterprise, from the population and enterprise registries.
"""

import hashlib
from dataclasses import dataclass, field
from importlib import resources

from django.db import transaction

from tongban.catalog.models import MaterialRequirement, ServiceItem
from tongban.certificates import seals
from tongban.certificates.models import CertificateType, HolderKind
from tongban.certificates.services import FieldSpec, save_certificate_type
from tongban.departments.models import Department
from tongban.forms.models import FormDefinition
from tongban.forms.services import address_property, applicant_properties, save_form_version
from tongban.identity.models import User
from tongban.regions.models import Region
from tongban.workflow.models import ItemProcess
from tongban.workflow.services import save_version

COUNTY = "511602"
RS, SJ, GA = "人力资源和社会保障局", "市场监督管理局", "公安"
# 开办餐饮店一件事: the 行政审批局 registers the 个体工商户 and issues its food licence.
SP = "行政审批局"
# The demo 事项管理 accounts (identity step) that configure their department's licence types.
CATALOGUE_ADMINS = {RS: "rs_shixiang", SJ: "sj_shixiang"}

BENEFIT_ITEM = (RS, "失业保险金申领")
DRUG_ITEM = (SJ, "药品零售企业经营许可")
JOURNEYS = {
    "citizen": BENEFIT_ITEM,
    "enterprise": DRUG_ITEM,
}

BENEFIT_FORM = {
    "type": "object",
    "properties": {
        **applicant_properties(),
        "address": address_property("常住地址", "person.address"),
        "former_employer": {"type": "string", "x-widget": "text", "title": "失业前单位", "maxLength": 100},
        "former_employer_uscc": {
            "type": "string",
            "x-widget": "uscc",
            "title": "失业前单位统一社会信用代码",
        },
        "contribution_years": {
            "type": "number",
            "x-widget": "number",
            "title": "累计缴纳失业保险费年限（年）",
            "minimum": 1,
            "maximum": 50,
        },
        "leave_date": {"type": "string", "x-widget": "date", "title": "离职日期"},
        "reason": {
            "type": "string",
            "x-widget": "choice",
            "title": "失业原因",
            "enum": [
                "劳动合同期满终止",
                "用人单位解除劳动合同",
                "因用人单位过错本人解除劳动合同",
                "用人单位破产、撤销或解散",
                "其他非本人意愿中断就业",
            ],
        },
        "registered": {
            "type": "string",
            "x-widget": "choice",
            "title": "是否已办理失业登记",
            "enum": ["是", "否"],
        },
        "bank_name": {"type": "string", "x-widget": "text", "title": "开户银行", "maxLength": 60},
        "bank_account": {
            "type": "string",
            "x-widget": "text",
            "title": "银行账号（本人社会保障卡金融账户或本人银行卡）",
            "pattern": "^[0-9]{12,19}$",
        },
    },
    "required": [
        "applicant_name",
        "applicant_id_number",
        "mobile",
        "former_employer",
        "contribution_years",
        "leave_date",
        "reason",
        "registered",
        "bank_name",
        "bank_account",
    ],
}
BENEFIT_LAYOUT = {
    "sections": [
        {"title": "申请人信息", "fields": ["applicant_name", "applicant_id_number", "mobile", "address"]},
        {
            "title": "失业情况",
            "help": "按劳动合同解除或终止证明填写；非本人意愿中断就业的才能领取失业保险金。",
            "fields": [
                "former_employer",
                "former_employer_uscc",
                "contribution_years",
                "leave_date",
                "reason",
            ],
        },
        {"title": "失业登记与发放账户", "fields": ["registered", "bank_name", "bank_account"]},
    ]
}

DRUG_FORM = {
    "type": "object",
    "properties": {
        "enterprise_name": {
            "type": "string",
            "x-widget": "text",
            "title": "企业名称",
            "x-prefill": "enterprise.name",
            "x-semantic": "enterprise.name",
        },
        "enterprise_uscc": {
            "type": "string",
            "x-widget": "uscc",
            "title": "统一社会信用代码",
            "x-prefill": "enterprise.uscc",
            "x-semantic": "enterprise.uscc",
        },
        "agent_name": {
            "type": "string",
            "x-widget": "text",
            "title": "经办人",
            "x-prefill": "person.name",
            "x-semantic": "applicant.name",
        },
        "mobile": {
            "type": "string",
            "x-widget": "mobile",
            "title": "联系电话",
            "x-prefill": "person.mobile",
            "x-semantic": "applicant.mobile",
        },
        "premises": address_property("经营场所", "enterprise.address", "premises.address"),
        "floor_area": {
            "type": "number",
            "x-widget": "number",
            "title": "营业场所面积（平方米）",
            "minimum": 40,
            "maximum": 100000,
        },
        "business_mode": {
            "type": "string",
            "x-widget": "choice",
            "title": "经营方式",
            "enum": ["药品零售", "药品零售连锁门店"],
        },
        "business_scope": {
            "type": "array",
            "x-widget": "multichoice",
            "title": "经营范围",
            "items": {
                "type": "string",
                "enum": [
                    "处方药",
                    "甲类非处方药",
                    "乙类非处方药",
                    "中药饮片",
                    "中成药",
                    "生物制品（除疫苗）",
                ],
            },
            "minItems": 1,
        },
        "quality_manager": {"type": "string", "x-widget": "text", "title": "质量负责人", "maxLength": 50},
        "pharmacist_name": {"type": "string", "x-widget": "text", "title": "执业药师姓名", "maxLength": 50},
        "pharmacist_licence": {
            "type": "string",
            "x-widget": "text",
            "title": "执业药师注册证编号",
            "maxLength": 40,
        },
    },
    "required": [
        "enterprise_name",
        "enterprise_uscc",
        "agent_name",
        "mobile",
        "premises",
        "floor_area",
        "business_mode",
        "business_scope",
        "quality_manager",
        "pharmacist_name",
        "pharmacist_licence",
    ],
}
DRUG_LAYOUT = {
    "sections": [
        {"title": "申请企业", "fields": ["enterprise_name", "enterprise_uscc", "agent_name", "mobile"]},
        {"title": "经营场所", "fields": ["premises", "floor_area"]},
        {"title": "经营方式与范围", "fields": ["business_mode", "business_scope"]},
        {
            "title": "质量管理人员",
            "help": "零售企业应配备执业药师，经营处方药、甲类非处方药的须有执业药师在岗。",
            "fields": ["quality_manager", "pharmacist_name", "pharmacist_licence"],
        },
    ]
}

FORMS = {BENEFIT_ITEM: (BENEFIT_FORM, BENEFIT_LAYOUT), DRUG_ITEM: (DRUG_FORM, DRUG_LAYOUT)}
PROCESSES = {BENEFIT_ITEM: "unemployment_benefit.bpmn", DRUG_ITEM: "drug_retail_licence.bpmn"}


def _f(title: str, source: str) -> dict:
    return {"type": "string", "title": title, "x-source": source}


@dataclass(frozen=True)
class TypeSpec:
    code: str
    name: str
    department: str
    item: str
    holder: str
    properties: dict
    template: str = CertificateType.Template.LICENCE
    validity: tuple[str, int] = (CertificateType.Validity.NONE, 0)
    registry: str = ""
    accepted_for: tuple[tuple[str, str, str], ...] = field(default=())  # (department, item, material)


PERSON_FIELDS = {"name": _f("姓名", "holder.name"), "id_number": _f("公民身份号码", "holder.number")}
TYPES = [
    TypeSpec(
        "RSSBK",
        "社会保障卡",
        RS,
        "社会保障卡申领",
        HolderKind.PERSON,
        {**PERSON_FIELDS, "issuer": _f("发卡机构", "department.name"), "case": _f("办件编号", "case.number")},
        validity=(CertificateType.Validity.YEARS, 10),
        accepted_for=((RS, "失业保险金申领", "本人社会保障卡或银行卡"), (RS, "失业登记", "社会保障卡")),
    ),
    TypeSpec(
        "RSJYCYZ",
        "就业创业证",
        RS,
        "失业登记",
        HolderKind.PERSON,
        {
            **PERSON_FIELDS,
            "status": _f("登记类别", "item.name"),
            "registered_on": _f("登记日期", "case.concluded_at"),
            "issuer": _f("登记机构", "department.name"),
        },
    ),
    TypeSpec(
        "RSSYDYHD",
        "失业保险待遇核定通知书",
        RS,
        "失业保险金申领",
        HolderKind.PERSON,
        {
            **PERSON_FIELDS,
            "former_employer": _f("失业前单位", "data.former_employer"),
            "leave_date": _f("离职日期", "data.leave_date"),
            "contribution_years": _f("累计缴费年限（年）", "data.contribution_years"),
            "bank": _f("发放银行", "data.bank_name"),
            "case": _f("办件编号", "case.number"),
        },
        template=CertificateType.Template.PROOF,
        validity=(CertificateType.Validity.MONTHS, 12),
    ),
    TypeSpec(
        "SJYPJYXKZ",
        "药品经营许可证",
        SJ,
        "药品零售企业经营许可",
        HolderKind.ENTERPRISE,
        {
            "name": _f("企业名称", "holder.name"),
            "uscc": _f("统一社会信用代码", "holder.number"),
            "premises": _f("注册地址", "data.premises"),
            "mode": _f("经营方式", "data.business_mode"),
            "scope": _f("经营范围", "data.business_scope"),
            "quality_manager": _f("质量负责人", "data.quality_manager"),
            "issuer": _f("发证机关", "department.name"),
        },
        validity=(CertificateType.Validity.YEARS, 5),
    ),
    TypeSpec(
        "SPYYZZ",
        "营业执照",
        SP,
        "个体工商户设立登记",
        HolderKind.PERSON,
        {
            "name": _f("经营者", "holder.name"),
            "id_number": _f("经营者公民身份号码", "holder.number"),
            "uscc": _f("统一社会信用代码", "data.result_uscc"),
            "registered_on": _f("登记日期", "case.concluded_at"),
            "issuer": _f("登记机关", "department.name"),
        },
    ),
    TypeSpec(
        "SPSPJYXK",
        "食品经营许可证",
        SP,
        "食品经营许可",
        HolderKind.PERSON,
        {
            "name": _f("经营者", "holder.name"),
            "uscc": _f("社会信用代码", "data.prerequisite_uscc"),
            "case": _f("办件编号", "case.number"),
            "issued_on": _f("发证日期", "case.concluded_at"),
            "issuer": _f("发证机关", "department.name"),
        },
        validity=(CertificateType.Validity.YEARS, 5),
    ),
    TypeSpec(
        "GALSSFZM",
        "临时身份证明",
        GA,
        "临时身份证明",
        HolderKind.PERSON,
        {
            "name": _f("姓名", "registry.name"),
            "sex": _f("性别", "registry.sex"),
            "ethnicity": _f("民族", "registry.ethnicity"),
            "birth_date": _f("出生日期", "registry.birth_date"),
            "id_number": _f("公民身份号码", "registry.id_number"),
            "address": _f("户籍地址", "registry.address"),
            "issuer": _f("出具机关", "department.name"),
        },
        template=CertificateType.Template.PROOF,
        validity=(CertificateType.Validity.MONTHS, 3),
        registry=CertificateType.RegistrySource.POPULATION,
    ),
    TypeSpec(
        "RSGRCBZM",
        "个人参保证明",
        RS,
        "个人参保证明查询打印",
        HolderKind.PERSON,
        {
            "name": _f("姓名", "registry.name"),
            "id_number": _f("公民身份号码", "registry.id_number"),
            "region": _f("户籍地", "registry.region"),
            "issuer": _f("社会保险经办机构", "department.name"),
        },
        template=CertificateType.Template.PROOF,
        validity=(CertificateType.Validity.MONTHS, 3),
        registry=CertificateType.RegistrySource.POPULATION,
    ),
    TypeSpec(
        "RSDWCBZM",
        "单位参保证明",
        RS,
        "单位参保证明查询打印",
        HolderKind.ENTERPRISE,
        {
            "name": _f("单位名称", "registry.name"),
            "uscc": _f("统一社会信用代码", "registry.uscc"),
            "legal_rep": _f("法定代表人", "registry.legal_rep_name"),
            "address": _f("住所", "registry.address"),
            "issuer": _f("社会保险经办机构", "department.name"),
        },
        template=CertificateType.Template.PROOF,
        validity=(CertificateType.Validity.MONTHS, 3),
        registry=CertificateType.RegistrySource.ENTERPRISE,
    ),
]


def department(short: str) -> Department:
    """The 广安区 department whose name contains ``short`` and that has the most items."""
    from django.db.models import Count

    county = Region.objects.get(code=COUNTY)
    found = (
        Department.objects.filter(region=county, name__contains=short)
        .annotate(n=Count("items"))
        .order_by("-n", "pk")
        .first()
    )
    if found is None:
        raise LookupError(f"演示目录中没有广安区的“{short}”部门")
    return found


def item(department_short: str, name: str) -> ServiceItem:
    found = (
        ServiceItem.objects.published()
        .filter(department=department(department_short), name=name)
        .order_by("pk")
        .first()
    )
    if found is None:
        raise LookupError(f"演示目录中没有“{name}”")
    return found


def _ensure_form(target: ServiceItem, schema: dict, layout: dict) -> bool:
    active = FormDefinition.objects.filter(item=target, status=FormDefinition.Status.ACTIVE).first()
    if active is not None and active.schema == schema and active.layout == layout:
        return False
    save_form_version(
        actor=None, item=target, title=f"{target.name}申请表", schema=schema, layout=layout, activate=True
    )
    return True


def _ensure_process(target: ServiceItem, filename: str) -> bool:
    xml = resources.files("tongban.workflow").joinpath("bpmn", filename).read_text(encoding="utf-8")
    digest = hashlib.sha256(xml.encode()).hexdigest()
    choice = ItemProcess.objects.filter(item=target).select_related("definition").first()
    if choice is not None and choice.definition.digest == digest:
        return False
    save_version(actor=None, item=target, bpmn=xml)
    return True


def _ensure_type(spec: TypeSpec) -> bool:
    issuer = department(spec.department)
    seals.active_key(issuer)
    ctype = CertificateType.objects.filter(code=spec.code).first()
    created = ctype is None
    admin = User.objects.filter(username=CATALOGUE_ADMINS.get(spec.department, "")).first()
    if created and admin is not None:
        ctype = save_certificate_type(
            actor=admin,
            department=issuer,
            values={
                "name": spec.name,
                "code": spec.code,
                "holder_kind": spec.holder,
                "validity": spec.validity[0],
                "validity_count": spec.validity[1],
                "template": spec.template,
                "registry_source": spec.registry,
            },
            fields=[
                FieldSpec(key, prop["title"], prop["x-source"], required=key == "name")
                for key, prop in spec.properties.items()
            ],
            items=[item(spec.department, spec.item)],
        )
    elif created:
        # No demo account maintains this department's catalogue (公安): saved as the platform
        # would save it, after the same model checks.
        ctype = CertificateType(
            code=spec.code,
            name=spec.name,
            department=issuer,
            holder_kind=spec.holder,
            field_schema={"type": "object", "properties": spec.properties, "required": ["name"]},
            validity=spec.validity[0],
            validity_count=spec.validity[1],
            template=spec.template,
            registry_source=spec.registry,
        )
        ctype.full_clean()
        ctype.save()
    ctype.issued_by_items.add(item(spec.department, spec.item))
    for dept, item_name, material in spec.accepted_for:
        materials = MaterialRequirement.objects.filter(item=item(dept, item_name), name=material)
        ctype.accepted_for.add(*materials)
    return created


def load(**_: object) -> str:
    """The demo step: seal keys, certificate and proof types, the journey items' forms and processes."""
    with transaction.atomic():
        for short in (RS, SJ, GA, SP):
            seals.active_key(department(short))
        types = sum(_ensure_type(spec) for spec in TYPES)
        forms = sum(_ensure_form(item(*key), *value) for key, value in FORMS.items())
        processes = sum(_ensure_process(item(*key), filename) for key, filename in PROCESSES.items())
    return f"证照类型新增 {types}（共 {len(TYPES)}，含网上开证明 3 种）；专用表单更新 {forms}、专用流程更新 {processes}"
