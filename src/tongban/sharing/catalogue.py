"""The entries Tongban ships for what it already holds (政务信息资源目录, GB/T 21063).

人口基础信息 and 法人基础信息 (the base registries, also whatever ``tongban registries`` imported),
each certificate type (电子证照), and 办件结果信息. ``publish_standard`` is idempotent: it
creates missing entries and keeps existing ones, so the demo and an installation can run it
again after new certificate types appear.
"""

from django.db import transaction

from tongban.certificates.models import CertificateType
from tongban.departments.models import Department

from .models import DataResource, SharingClass


def _items(*rows: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [{"name": n, "label": label, "type": t, "meaning": m} for n, label, t, m in rows]


POPULATION_ITEMS = _items(
    ("name", "姓名", "字符型", "户籍登记的姓名"),
    ("id_number", "公民身份号码", "字符型", "GB 11643 的 18 位号码"),
    ("sex", "性别", "代码型", "GB/T 2261.1"),
    ("birth_date", "出生日期", "日期型", "YYYY-MM-DD"),
    ("ethnicity", "民族", "代码型", "GB/T 3304"),
    ("address", "户籍地址", "字符型", "户籍登记的住址"),
    ("region_code", "户籍地区划代码", "代码型", "GB/T 2260 六位代码"),
    ("status", "人口状态", "代码型", "正常 / 已死亡 / 已迁出"),
)
ENTERPRISE_ITEMS = _items(
    ("name", "名称", "字符型", "登记的名称"),
    ("uscc", "统一社会信用代码", "字符型", "GB 32100 的 18 位代码"),
    ("legal_rep_name", "法定代表人", "字符型", "法定代表人姓名"),
    ("legal_rep_id_number", "法定代表人身份号码", "字符型", "法定代表人的公民身份号码"),
    ("kind", "市场主体类型", "代码型", "有限责任公司、个体工商户等"),
    ("address", "住所", "字符型", "登记的住所"),
    ("region_code", "登记地区划代码", "代码型", "GB/T 2260 六位代码"),
    ("established_on", "成立日期", "日期型", "YYYY-MM-DD"),
    ("status", "登记状态", "代码型", "存续 / 吊销 / 注销"),
)
CERTIFICATE_ITEMS = _items(
    ("identifier", "证照标识", "字符型", "1.2.156.3005.2 开头的电子证照标识"),
    ("holder_name", "持证主体", "字符型", "持证人或持证单位名称"),
    ("holder_number", "持证主体代码", "字符型", "公民身份号码或统一社会信用代码"),
    ("valid_from", "有效期起", "日期型", "YYYY-MM-DD"),
    ("valid_until", "有效期至", "日期型", "YYYY-MM-DD，长期有效为空"),
    ("status", "证照状态", "代码型", "有效 / 注销 / 吊销 / 过期"),
    ("department", "颁发机构", "字符型", "颁证单位名称"),
    ("content", "证照内容", "对象型", "证照照面的信息项"),
)
CASE_RESULT_ITEMS = _items(
    ("number", "办件编号", "字符型", "办件唯一编号"),
    ("item_name", "事项名称", "字符型", "政务服务事项名称"),
    ("department", "办理部门", "字符型", "实施主体名称"),
    ("result", "办结结果", "代码型", "出证、退回、作废等"),
    ("concluded_at", "办结时间", "日期时间型", "ISO 8601"),
)


def _ensure(code: str, **values: object) -> tuple[DataResource, bool]:
    return DataResource.objects.get_or_create(code=code, defaults=values)


@transaction.atomic
def publish_standard(
    *, population: Department, enterprise: Department, case_results: Department
) -> list[DataResource]:
    """Create the shipped entries that are missing (population and enterprise registries, case
    results, one per certificate type); returns the newly created ones."""
    created = []
    for code, values in (
        (
            f"A01/{population.uscc}-00001",
            {
                "name": "人口基础信息",
                "provider": population,
                "summary": "公民的户籍登记信息：姓名、公民身份号码、性别、出生日期、民族、户籍地址。",
                "kind": DataResource.Kind.POPULATION,
                "subject": DataResource.Subject.PERSON,
                "items": POPULATION_ITEMS,
                "sharing_class": SharingClass.CONDITIONAL,
                "condition": "仅限依法履职、办理政务服务事项时核验或使用本人信息",
                "legal_basis": "《中华人民共和国居民身份证法》第十三条；《政务数据共享条例》",
                "update_cycle": "实时",
            },
        ),
        (
            f"A02/{enterprise.uscc}-00001",
            {
                "name": "法人基础信息",
                "provider": enterprise,
                "summary": "市场主体登记信息：名称、统一社会信用代码、法定代表人、类型、住所、成立日期、登记状态。",
                "kind": DataResource.Kind.ENTERPRISE,
                "subject": DataResource.Subject.ENTERPRISE,
                "items": ENTERPRISE_ITEMS,
                "sharing_class": SharingClass.UNCONDITIONAL,
                "legal_basis": "《市场主体登记管理条例》第三十五条；《政务数据共享条例》",
                "openness": DataResource.Openness.OPEN,
                "update_cycle": "实时",
            },
        ),
        (
            f"B01/{case_results.uscc}-00001",
            {
                "name": "办件结果信息",
                "provider": case_results,
                "summary": "已办结政务服务办件的编号、事项、办理部门、办结结果和时间。",
                "kind": DataResource.Kind.CASE_RESULT,
                "subject": DataResource.Subject.ANY,
                "items": CASE_RESULT_ITEMS,
                "sharing_class": SharingClass.UNCONDITIONAL,
                "legal_basis": "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》",
                "update_cycle": "实时",
            },
        ),
    ):
        resource, new = _ensure(code, **values)
        if new:
            created.append(resource)
    for ctype in CertificateType.objects.select_related("department").filter(department__uscc__gt=""):
        if DataResource.objects.filter(certificate_type=ctype).exists():
            continue
        subject = (
            DataResource.Subject.ENTERPRISE
            if ctype.holder_kind == "enterprise"
            else DataResource.Subject.PERSON
        )
        resource, new = _ensure(
            f"C01/{ctype.department.uscc}-{ctype.pk:05d}",
            name=ctype.name,
            provider=ctype.department,
            summary=f"{ctype.department.name}颁发的“{ctype.name}”电子证照信息。",
            kind=DataResource.Kind.CERTIFICATE,
            subject=subject,
            certificate_type=ctype,
            items=CERTIFICATE_ITEMS,
            sharing_class=SharingClass.UNCONDITIONAL,
            legal_basis="《国务院关于在线政务服务的若干规定》第九条（电子证照与纸质证照具有同等法律效力）",
        )
        if new:
            created.append(resource)
    return created
