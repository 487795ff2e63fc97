"""Demo step "decisions": one 秒批 item and one 免申即享 policy working for the README accounts.

- 人社's ``ITEM`` is 秒批: its table (FIRST) grants an adult applicant verified at L2 whose
  registry record is 正常 and denies the rest; a grant issues a ``LICENCE`` into the wallet.
  张晓明 (13800000001) applies and has the licence in his wallet on the confirmation page.
- 民政 delivers 高龄津贴 (``POLICY``, through its item ``POLICY_ITEM``): 80 and over, alive, 100 元 a month (300 at 90). 王秀英
  (13800000004) turns 80 on the day the demo is loaded; the step's sweep offers it to her (and to
  the registry's other people of 80 and over, as letter records: they have no account).
- 人社 and 民政 hold grants for the population registry's fields the tables read (requested by
  ``rs_shixiang`` and, for 民政, which has no demo account, the platform admin; granted for
  公安 by the platform admin, as the sharing demo does).

Everything through the apps' services, as ``rs_shixiang`` for 人社 and ``admin`` for 民政.
"""

import datetime as dt

from django.utils import timezone

from tongban.certificates.models import CertificateType, HolderKind
from tongban.certificates.services import FieldSpec, save_certificate_type
from tongban.identity.models import User

from . import offers, services
from .inputs import FIELDS, KNOWN
from .models import InstantApproval, Policy

ADMIN = "rs_shixiang"
ITEM = "电子社会保障卡签发"
LICENCE = ("RSDZSBKQF", "电子社会保障卡签发凭证")
ITEM_KEY = "item:rs-miaopi"
POLICY_KEY = "policy:gaoling"
POLICY = ("GA-GLJT", "高龄津贴")
POLICY_ITEM = "高龄津贴申领"
ELDER = ("王秀英", "13800000004")

ITEM_TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="rs_miaopi" name="秒批规则" namespace="urn:tongban:demo">
  <decision id="miaopi" name="秒批">
    <decisionTable id="miaopi_table" hitPolicy="FIRST">
      <input id="age" label="申请人年龄"><inputExpression typeRef="number"><text>申请人.年龄</text></inputExpression></input>
      <input id="level" label="实名等级"><inputExpression typeRef="number"><text>申请人.实名等级</text></inputExpression></input>
      <input id="status" label="户籍状态"><inputExpression typeRef="string"><text>户籍.状态</text></inputExpression></input>
      <output id="decision" name="决定" typeRef="string"><outputValues><text>"准予","不予"</text></outputValues></output>
      <output id="reason" name="理由" typeRef="string"/>
      <rule id="r1"><inputEntry><text>&lt;16</text></inputEntry><inputEntry><text>-</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"不予"</text></outputEntry><outputEntry><text>"申请人未满 16 周岁"</text></outputEntry></rule>
      <rule id="r2"><inputEntry><text>-</text></inputEntry><inputEntry><text>&lt;2</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"不予"</text></outputEntry><outputEntry><text>"未完成实名核验（L2）"</text></outputEntry></rule>
      <rule id="r3"><inputEntry><text>[16..65)</text></inputEntry><inputEntry><text>&gt;=2</text></inputEntry><inputEntry><text>"正常"</text></inputEntry>
        <outputEntry><text>"准予"</text></outputEntry><outputEntry><text>"年龄、实名核验和户籍状态均符合条件"</text></outputEntry></rule>
      <rule id="r4"><inputEntry><text>-</text></inputEntry><inputEntry><text>-</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"不予"</text></outputEntry><outputEntry><text>"不符合自动审批条件，转人工审查"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""

POLICY_TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="gaoling" name="高龄津贴" namespace="urn:tongban:demo">
  <decision id="gaoling_decision" name="高龄津贴">
    <decisionTable id="gaoling_table" hitPolicy="FIRST">
      <input id="age" label="年龄"><inputExpression typeRef="number"><text>户籍.年龄</text></inputExpression></input>
      <input id="status" label="户籍状态"><inputExpression typeRef="string"><text>户籍.状态</text></inputExpression></input>
      <output id="decision" name="决定" typeRef="string"/>
      <output id="amount" name="金额" typeRef="number"/>
      <rule id="g1"><inputEntry><text>&gt;=90</text></inputEntry><inputEntry><text>"正常"</text></inputEntry>
        <outputEntry><text>"准予"</text></outputEntry><outputEntry><text>300</text></outputEntry></rule>
      <rule id="g2"><inputEntry><text>[80..90)</text></inputEntry><inputEntry><text>"正常"</text></inputEntry>
        <outputEntry><text>"准予"</text></outputEntry><outputEntry><text>100</text></outputEntry></rule>
      <rule id="g3"><inputEntry><text>-</text></inputEntry><inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"不予"</text></outputEntry><outputEntry><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def _item(department, name: str):
    from tongban.catalog.models import ServiceItem

    found = ServiceItem.objects.published().filter(department=department, name=name).order_by("pk").first()
    if found is None:
        raise LookupError(f"演示目录中没有“{name}”")
    return found


def _table(actor: User, key: str, name: str, xml: str, department) -> None:
    from tongban.workflow.dmn import services as dmn

    current = dmn.published(key)
    if current is not None and current.dmn == xml:
        return
    table = dmn.upload_table(actor=actor, key=key, name=name, dmn=xml, department=department, known=KNOWN)
    dmn.publish_table(actor=actor, table=table)


def _grant(actor: User, department) -> None:
    from tongban.sharing import services as sharing
    from tongban.sharing.models import DataResource, SharingRequest

    resource = DataResource.objects.get(kind=DataResource.Kind.POPULATION)
    if sharing.grant_for(department, resource, FIELDS):
        return
    request = SharingRequest.objects.filter(resource=resource, consumer=department, fields=FIELDS).first()
    if request is None:
        request = sharing.request_sharing(
            actor=actor,
            resource=resource,
            consumer=department,
            fields=FIELDS,
            purpose="秒批与免申即享：核验申请人及待遇对象的出生日期、户籍状态和户籍地",
            legal_basis="《国务院关于加快推进政务服务标准化规范化便利化的指导意见》（国发〔2022〕5号）",
            valid_until=timezone.localdate() + dt.timedelta(days=365),
        )
    if request.status == SharingRequest.Status.PENDING:
        sharing.decide_request(
            actor=User.objects.get(username="admin"), request=request, grant=True, note="演示数据"
        )


def _licence_type(actor: User, department, item) -> None:
    if CertificateType.objects.filter(code=LICENCE[0]).exists():
        return
    save_certificate_type(
        actor=actor,
        department=department,
        values={
            "name": LICENCE[1],
            "code": LICENCE[0],
            "holder_kind": HolderKind.PERSON,
            "validity": CertificateType.Validity.NONE,
        },
        fields=[
            FieldSpec("name", "持证人", "holder.name", required=True),
            FieldSpec("id_number", "公民身份号码", "holder.number"),
            FieldSpec("case_number", "办件编号", "case.number"),
            FieldSpec("issuer", "发证机关", "department.name"),
        ],
        items=[item],
    )


def _elder(today: dt.date) -> None:
    """王秀英: in the registry, turning 80 today, with a verified account."""
    from tongban.registries.generator import RegistryGenerator
    from tongban.registries.models import PopulationRecord
    from tongban.registries.services import import_people

    name, mobile = ELDER
    user = User.objects.filter(username=mobile).first()
    if user is not None:
        return
    try:
        birth = today.replace(year=today.year - 80)
    except ValueError:  # 29 February
        birth = today.replace(year=today.year - 80, day=28)
    person = RegistryGenerator(seed=8080).person(
        name=name, region_code="511602", birth_date=birth, sex="F", status="alive"
    )
    if not PopulationRecord.objects.filter(id_number=person.id_number).exists():
        import_people([person.as_csv()])
    from tongban.demo.identity import _password_hash

    User.objects.create(
        username=mobile,
        mobile=mobile,
        kind=User.Kind.CITIZEN,
        password=_password_hash(),
        real_name=name,
        id_number=person.id_number,
        real_name_level=User.RealNameLevel.L2,
        real_name_verified_at=timezone.now(),
    )


def load(**_: object) -> str:
    from tongban.demo.configure import RS, department

    rs, mz = department(RS), department("民政")
    actor, platform = User.objects.get(username=ADMIN), User.objects.get(username="admin")
    today = timezone.localdate()
    item, policy_item = _item(rs, ITEM), _item(mz, POLICY_ITEM)
    _grant(actor, rs)
    _grant(platform, mz)
    _licence_type(actor, rs, item)
    _table(actor, ITEM_KEY, f"{item.name}秒批规则", ITEM_TABLE, rs)
    if not InstantApproval.objects.filter(item=item).exists():
        services.mark_instant(actor=actor, item=item, table_key=ITEM_KEY)
    _table(platform, POLICY_KEY, POLICY[1], POLICY_TABLE, mz)
    policy = Policy.objects.filter(code=POLICY[0]).first() or services.save_policy(
        actor=platform,
        code=POLICY[0],
        name=POLICY[1],
        item=policy_item,
        table_key=POLICY_KEY,
        period=Policy.Period.YEAR,
        summary="年满 80 周岁的本区户籍老年人，每月 100 元；90 周岁以上每月 300 元。",
    )
    _elder(today)
    counts = offers.sweep(policy, today=today)
    return f"秒批：{item.name}；免申即享：{policy.name}（新发起 {counts['offered']} 项，其中书面告知 {counts['letters']} 项）"
