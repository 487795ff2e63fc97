"""Demo people, enterprises and accounts (`tongban demo`, step "identity").

Fills the base registries with consistent people and enterprises of 广安市 and creates the
accounts listed in README ("Demo accounts"): a verified citizen, an enterprise legal
representative with an agent, staff of two 广安区 departments covering every role, a city
supervisor and a platform admin. All staff share one demo TOTP secret, printed here, so a
developer adds one entry to an authenticator app (demo only — real staff enrol their own).
Idempotent: running it again changes nothing.
"""

import base64
import binascii
import datetime
import functools
import operator
import random
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.departments.models import Department
from tongban.identity.models import AgentAuthorization, EnterpriseAccount, StaffMembership, StaffRole, User
from tongban.regions.models import Region
from tongban.registries.generator import GUANGAN_COUNTIES, RegistryGenerator, organisation_code
from tongban.registries.models import DataAccessLog, EnterpriseRecord
from tongban.registries.selectors import read_person
from tongban.registries.services import import_enterprises, import_people
from tongban.registries.validators import make_uscc

DEMO_PASSWORD = "Tongban-Demo-2026"
# 32 base32 characters = a 20-byte HMAC-SHA1 key, as authenticator apps expect.
DEMO_TOTP_SECRET = "TONGBANDEMOTOTPKEYFORSTAFF234567"
PEOPLE = 600
ENTERPRISES = 150

# Named people the README refers to: (name, mobile or None, birth date, sex, status).
NAMED_PEOPLE = {
    "citizen": ("张晓明", "13800000001", datetime.date(1988, 3, 14), "M", "alive"),
    "legal_rep": ("李建国", "13800000002", datetime.date(1972, 9, 8), "M", "alive"),
    "agent": ("王丽", "13800000003", datetime.date(1993, 11, 21), "F", "alive"),
    "to_register": ("陈静", None, datetime.date(1996, 5, 2), "F", "alive"),
    "deceased": ("赵德明", None, datetime.date(1941, 1, 17), "M", "deceased"),
}
DEMO_ENTERPRISE = "广安市鑫源商贸有限公司"

# (username suffix, roles) for each of the two departments.
DEPARTMENT_ACCOUNTS = [
    ("shouli", [StaffRole.INTAKE]),
    ("shenhe", [StaffRole.REVIEW]),
    ("jueding", [StaffRole.DECIDE]),
    ("zhizheng", [StaffRole.ISSUE]),
    ("shixiang", [StaffRole.CATALOGUE]),
    ("jiancha", [StaffRole.SUPERVISOR]),
    ("caiwu", [StaffRole.FINANCE]),
    ("guanli", [StaffRole.PLATFORM_ADMIN]),
]
DEPARTMENTS = [("rs", "人力资源和社会保障局", "人社"), ("sj", "市场监督管理局", "市监")]
# The other departments of 开办餐饮店一件事 (canyin-511602): one account each that handles a case
# from 受理 to 出证, so the joint journey can be walked (README, docs/joint.md).
PROCESSING_ROLES = [StaffRole.INTAKE, StaffRole.REVIEW, StaffRole.DECIDE, StaffRole.ISSUE]
JOINT_ACCOUNTS = [
    ("sp_banli", "行政审批局", "审批"),
    ("sw_banli", "税务局", "税务"),
    ("zf_banli", "综合行政执法局", "执法"),
    ("xf_banli", "消防救援大队", "消防"),
]


@functools.cache
def _password_hash() -> str:
    """One argon2 hash for every demo account (they share the demo password)."""
    return make_password(DEMO_PASSWORD)


def _hex_key() -> str:
    return binascii.hexlify(base64.b32decode(DEMO_TOTP_SECRET)).decode()


def _registries() -> tuple[dict[str, str], int, int]:
    """Load the generated registries; returns the named people's ID numbers."""
    gen = RegistryGenerator(seed=2026)
    named = {}
    rows = []
    for key, (name, _mobile, birth, sex, status) in NAMED_PEOPLE.items():
        person = gen.person(name=name, region_code="511602", birth_date=birth, sex=sex, status=status)
        named[key] = person
        rows.append(person)
    people = gen.people(PEOPLE)
    rows.extend(people)
    report_p = import_people([p.as_csv() for p in rows])
    enterprise = gen.enterprise(named["legal_rep"], name=DEMO_ENTERPRISE)
    report_e = import_enterprises(
        [enterprise.as_csv()] + [e.as_csv() for e in gen.enterprises(people, ENTERPRISES)]
    )
    return {k: p.id_number for k, p in named.items()}, report_p.created, report_e.created


def _citizen(key: str, id_number: str, level: int = User.RealNameLevel.L2) -> User:
    name, mobile, *_ = NAMED_PEOPLE[key]
    user = User.objects.filter(username=mobile).first()
    if user is None:
        user = User.objects.create(
            username=mobile,
            mobile=mobile,
            kind=User.Kind.CITIZEN,
            password=_password_hash(),
            real_name=name,
            id_number=id_number,
            real_name_level=level,
            real_name_verified_at=timezone.now(),
        )
    return user


def _department(region: Region, full: str, short: str) -> Department:
    """The 广安区 department whose name contains ``full`` (the demo catalogue's), else a new one."""
    found = (
        Department.objects.filter(region=region, name__contains=full)
        .annotate(n=Count("items"))
        .order_by("-n", "pk")
        .first()
    )
    if found is not None:
        return found
    department, _ = Department.objects.get_or_create(
        region=region,
        name=f"{region.name}{full}",
        defaults={
            "short_name": f"区{short}局",
            "uscc": make_uscc(region.code, organisation_code(random.Random(full)), "11"),
        },
    )
    return department


def _city_department(city: Region) -> Department:
    found = Department.objects.filter(region=city).filter(
        Q(name__contains="政务服务") | Q(name__contains="行政审批")
    )
    department = found.order_by("pk").first()
    if department is None:
        department, _ = Department.objects.get_or_create(
            region=city,
            name="广安市政务服务和大数据管理局",
            defaults={
                "short_name": "市政务服务局",
                "uscc": make_uscc(city.code.ljust(6, "0"), organisation_code(random.Random(city.code)), "11"),
            },
        )
    return department


# What a department's 系统管理 may do in the Django admin: its own staff and their roles, and
# removing a lost authenticator. Only the platform's ``admin`` is a superuser (issue 19).
DEPARTMENT_ADMIN_PERMISSIONS = [
    ("identity", "view_user"),
    ("identity", "change_user"),
    ("identity", "view_staffmembership"),
    ("identity", "add_staffmembership"),
    ("identity", "change_staffmembership"),
    ("identity", "delete_staffmembership"),
    ("otp_totp", "view_totpdevice"),
    ("otp_totp", "delete_totpdevice"),
]
PLATFORM_ADMIN_USERNAME = "admin"


def _staff(username: str, real_name: str, department: Department, roles: list[str]) -> tuple[User, bool]:
    admin = StaffRole.PLATFORM_ADMIN in roles
    superuser = admin and username == PLATFORM_ADMIN_USERNAME
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": User.Kind.STAFF,
            "real_name": real_name,
            "password": _password_hash(),
            "is_staff": admin,
            "is_superuser": superuser,
        },
    )
    if user.is_superuser != superuser:  # a demo loaded by an earlier release made every 系统管理 one
        User.objects.filter(pk=user.pk).update(is_superuser=superuser)
        user.is_superuser = superuser
    if admin and not superuser:
        user.user_permissions.set(
            Permission.objects.filter(
                functools.reduce(
                    operator.or_,
                    (Q(content_type__app_label=a, codename=c) for a, c in DEPARTMENT_ADMIN_PERMISSIONS),
                )
            )
        )
    for role in roles:
        StaffMembership.objects.get_or_create(user=user, department=department, role=role)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="演示身份验证器", key=_hex_key(), confirmed=True)
    return user, created


def load(*, out: Callable[[str], None] | None = None, **_: object) -> str:
    """The demo step: registries, citizens, an enterprise with an agent, staff with TOTP."""
    if not Region.objects.filter(code__in=list(GUANGAN_COUNTIES)).count() == len(GUANGAN_COUNTIES):
        return "缺少广安市区划数据，跳过（请先运行 regions 步骤）"
    with transaction.atomic():
        ids, people_created, enterprises_created = _registries()
        citizen = _citizen("citizen", ids["citizen"])
        rep = _citizen("legal_rep", ids["legal_rep"])
        agent = _citizen("agent", ids["agent"])
        record = EnterpriseRecord.objects.get(name=DEMO_ENTERPRISE, legal_rep_id_number=rep.id_number)
        enterprise, _ = EnterpriseAccount.objects.get_or_create(
            record=record, defaults={"name": record.name, "uscc": record.uscc, "legal_rep": rep}
        )
        if not AgentAuthorization.objects.in_force().filter(enterprise=enterprise, agent=agent).exists():
            AgentAuthorization.objects.create(
                enterprise=enterprise,
                agent=agent,
                all_items=True,
                valid_until=timezone.now() + datetime.timedelta(days=365),
                granted_by=rep,
            )
        county = Region.objects.get(code="511602")
        city = Region.objects.get(code="5116")
        accounts = []
        for prefix, full, short in DEPARTMENTS:
            department = _department(county, full, short)
            for suffix, roles in DEPARTMENT_ACCOUNTS:
                label = "、".join(str(StaffRole(r).label) for r in roles)
                user, _ = _staff(f"{prefix}_{suffix}", f"{short}{label}员", department, roles)
                accounts.append((user.username, department.name, label))
        for username, full, short in JOINT_ACCOUNTS:
            department = _department(county, full, short)
            label = "、".join(str(StaffRole(r).label) for r in PROCESSING_ROLES)
            user, _ = _staff(username, f"{short}办理员", department, PROCESSING_ROLES)
            accounts.append((user.username, department.name, label))
        city_department = _city_department(city)
        for username, real_name, role in (
            ("shi_jiancha", "市监察员", StaffRole.SUPERVISOR),
            ("admin", "平台管理员", StaffRole.PLATFORM_ADMIN),
        ):
            user, _ = _staff(username, real_name, city_department, [role])
            accounts.append((username, city_department.name, str(StaffRole(role).label)))
        window = User.objects.get(username="rs_shouli")
        if not citizen_has_logs(citizen):
            read_person(
                citizen.id_number,
                accessor=window,
                purpose="演示：窗口受理核对身份",
                department=window.memberships.first().department,
            )
    if out:
        out(
            f"演示账号（密码均为 {DEMO_PASSWORD}）：公众 {citizen.mobile}（张晓明，L2）、"
            f"法定代表人 {rep.mobile}（李建国，{enterprise.name}）、经办人 {agent.mobile}（王丽）；"
            f"可注册后实名核验：陈静 {ids['to_register']}；已死亡人员（核验会被拒绝）：赵德明 {ids['deceased']}"
        )
        out("工作人员账号（用户名 / 部门 / 角色）：")
        for username, department, label in accounts:
            out(f"  {username:14} {department} · {label}")
        out(
            f"工作人员动态口令（仅演示）：所有演示工作人员共用 TOTP 密钥 {DEMO_TOTP_SECRET}，"
            f"在身份验证器中添加：otpauth://totp/%E9%80%9A%E5%8A%9E:demo?secret={DEMO_TOTP_SECRET}&issuer=%E9%80%9A%E5%8A%9E"
        )
    return f"基础库：新增人口 {people_created}、法人 {enterprises_created}；演示账号 {3 + len(accounts)} 个"


def citizen_has_logs(citizen: User) -> bool:
    return (
        DataAccessLog.objects.filter(subject_id_number=citizen.id_number).exclude(accessor=citizen).exists()
    )
