"""Demo step "consult": the 12345 centre of 广安市 with its call-taker, dispatch rules to the two
demo departments, and sample requests in several states, all made through the services.

The centre's account ``rx_zuoxi`` (12345 坐席员) works in the centre's department; the
departments' 受理 accounts (``rs_shouli``, ``sj_shouli``) handle what is dispatched to them.
Idempotent: the sample requests carry fixed titles and are made only once.
"""

import random
from collections.abc import Callable

from django.db import transaction

from tongban.demo.configure import RS, SJ, department, item
from tongban.demo.identity import _staff
from tongban.departments.models import Department
from tongban.identity.models import StaffRole, User
from tongban.regions.models import Region
from tongban.registries.generator import organisation_code
from tongban.registries.validators import make_uscc

from . import services
from .models import Category, Centre, DispatchRule, Petition

CENTRE_NAME = "广安市12345政务服务便民热线中心"
CENTRE_ACCOUNT = ("rx_zuoxi", "12345坐席员")


def _centre() -> Centre:
    city = Region.objects.get(code="5116")
    dept, _ = Department.objects.get_or_create(
        region=city,
        name=CENTRE_NAME,
        defaults={
            "short_name": "市12345中心",
            "uscc": make_uscc("511600", organisation_code(random.Random(CENTRE_NAME)), "12"),
        },
    )
    centre, _ = Centre.objects.get_or_create(department=dept, defaults={"region": city})
    return centre


def _rules(rs: Department, sj: Department) -> None:
    if DispatchRule.objects.exists():
        return
    categories = {c.code: c for c in Category.objects.all()}
    for code, dept in (("social-security", rs), ("market", sj), ("gov-window", rs), ("gov-guide", rs)):
        DispatchRule.objects.create(category=categories[code], department=dept, region_code="5116")
    DispatchRule.objects.create(kind="complain", category=categories["market"], department=sj, priority=1)


def _sample(title: str, make: Callable[[], Petition], steps: list[Callable[[Petition], object]]) -> bool:
    if Petition.objects.filter(title=title).exists():
        return False
    petition = make()
    for step in steps:
        step(petition)
        petition.refresh_from_db()
    return True


def load(*, out: Callable[[str], None] | None = None, **_: object) -> str:
    if (
        not Region.objects.filter(code="5116").exists()
        or not User.objects.filter(username="rs_shouli").exists()
    ):
        return "缺少区划或演示账号，跳过（请先运行 regions、identity 步骤）"
    with transaction.atomic():
        centre = _centre()
        operator, _ = _staff(CENTRE_ACCOUNT[0], CENTRE_ACCOUNT[1], centre.department, [StaffRole.INTAKE])
        rs, sj = department(RS), department(SJ)
        _rules(rs, sj)
        citizen = User.objects.get(username="13800000001")
        handler_rs = User.objects.get(username="rs_shouli")
        market = Category.objects.get(code="market")
        social = Category.objects.get(code="social-security")
        benefit = item(RS, "失业保险金申领")
        made = 0
        made += _sample(
            "失业保险金申领需要本人到窗口吗",
            lambda: services.submit(
                user=citizen,
                kind="consult",
                title="失业保险金申领需要本人到窗口吗",
                body="我在外地，失业保险金申领能不能全程网上办理？需要本人到窗口吗？",
                category=social,
                item=benefit,
            ),
            [
                lambda p: services.dispatch(actor=operator, petition=p),
                lambda p: services.accept(actor=handler_rs, petition=p),
                lambda p: services.answer(
                    actor=handler_rs,
                    petition=p,
                    text="失业保险金申领可全程网上办理，无需到窗口：登录后在线填写申请并上传材料即可。",
                ),
                lambda p: services.rate(user=citizen, petition=p, satisfaction="satisfied"),
                lambda p: services.publish_answer(
                    actor=operator,
                    petition=p,
                    question="失业保险金申领需要本人到窗口吗？",
                    answer="可全程网上办理，无需到窗口：登录后在线填写申请并上传材料即可。",
                ),
            ],
        )
        made += _sample(
            "超市出售过期食品",
            lambda: services.submit(
                user=None,
                kind="report",
                title="超市出售过期食品",
                body="广安区某超市货架上有过期的酸奶在售，请市场监管部门查处。",
                category=market,
                region_code="511602",
                address="广安区建设路",
                recorded_by=operator,
                anonymous=True,
            ),
            [lambda p: services.dispatch(actor=operator, petition=p)],
        )
        made += _sample(
            "社保窗口让我跑了两次",
            lambda: services.submit(
                user=citizen,
                kind="complain",
                title="社保窗口让我跑了两次",
                body="办理社保卡补领时窗口说材料不全，第二次去又要求另一份证明，希望一次告知。",
                category=Category.objects.get(code="gov-window"),
                region_code="511602",
            ),
            [],
        )
    total = Petition.objects.count()
    if out:
        out(f"12345 热线中心：{centre.department.name}，坐席账号 {CENTRE_ACCOUNT[0]}")
    return f"新增演示诉求 {made}（共 {total}，含已公开的咨询、待签收的举报、待派单的投诉）"
