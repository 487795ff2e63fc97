"""Every write of the identity app: one function per use case, permission checked inside.

Messages are the Chinese sentences the pages and the API show as they are.
"""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, user_login_failed
from django.contrib.auth import login as django_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.catalog.models import ServiceItem
from tongban.core.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from tongban.core.masking import mask_mobile
from tongban.departments.models import Department
from tongban.registries.models import EnterpriseRecord, PopulationRecord
from tongban.registries.selectors import read_enterprise, read_person
from tongban.registries.validators import check_uscc, parse_id_number

from . import permissions, ratelimit, throttle
from .actors import Actor
from .audit import client_ip, record_action
from .codes import consume_code, issue_code
from .models import (
    AgentAuthorization,
    EnterpriseAccount,
    LoginEvent,
    StaffMembership,
    StaffRole,
    VerificationCode,
)

User = get_user_model()
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_BACKEND = "tongban.identity.backends.MobileOrUsernameBackend"
PENDING_KEY = "tongban_pending_login"
PENDING_SECONDS = 300
# Real-name checks per account and day: enough for typing mistakes, too few to probe the registry.
VERIFY_LIMITS = [(10, 86400)]


class LoginFailed(ServiceError):
    code = "login_failed"
    status = 400
    default_message = "账号或密码不正确。"


class LockedOut(ServiceError):
    code = "locked_out"
    status = 429
    default_message = "登录失败次数过多，账号已临时锁定，请稍后再试或通过短信找回密码。"


class RealNameRefused(ServiceError):
    code = "real_name_refused"
    status = 400


def normalize_mobile(value: str | None, *, field: str = "mobile") -> str:
    mobile = re.sub(r"[\s-]", "", value or "").removeprefix("+86")
    if not MOBILE_RE.match(mobile):
        raise InvalidInput("请输入正确的 11 位手机号码。", code="invalid_mobile", field=field)
    return mobile


def _check_password(password: str, user: Any = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), code="weak_password", field="password") from exc


# --- verification codes -------------------------------------------------------------------


def send_code(mobile: str, purpose: str, *, ip: str | None) -> str:
    """Send a code for ``purpose`` unless rate limits say no; returns the normalised number.

    For login and recovery a number with no account gets no SMS, but the same answer, so the
    form does not reveal who is registered.
    """
    mobile = normalize_mobile(mobile)
    if purpose not in VerificationCode.Purpose.values:
        raise InvalidInput("验证码用途无效。")
    if (
        purpose != VerificationCode.Purpose.REGISTER
        and not User.objects.filter(mobile=mobile, is_active=True).exists()
    ):
        ratelimit.check(f"code:sms:{mobile}", settings.TONGBAN_SMS_LIMITS_PER_TARGET)
        return mobile
    issue_code(mobile, purpose, ip=ip)
    return mobile


# --- citizens ------------------------------------------------------------------------------


def register_citizen(*, mobile: str, code: str, password: str, request: HttpRequest | None = None) -> Any:
    """L1 account from a mobile number proven by an SMS code and a password (argon2)."""
    mobile = normalize_mobile(mobile)
    if User.objects.filter(mobile=mobile).exists() or User.objects.filter(username=mobile).exists():
        raise InvalidInput(
            "该手机号码已注册，请直接登录；忘记密码可通过短信找回。", code="mobile_taken", field="mobile"
        )
    _check_password(password, User(username=mobile, mobile=mobile))
    consume_code(mobile, VerificationCode.Purpose.REGISTER, code)
    try:
        with transaction.atomic():
            user = User(username=mobile, mobile=mobile, kind=User.Kind.CITIZEN)
            user.set_password(password)
            user.save()
    except IntegrityError as exc:
        raise InvalidInput("该手机号码已注册，请直接登录。", code="mobile_taken", field="mobile") from exc
    record_action(user, "identity.register", target=user, summary="注册账号", request=request)
    return user


def verify_real_name(user: Any, *, name: str, id_number: str, request: HttpRequest | None = None) -> Any:
    """L1 → L2 after the population registry confirms name, ID number and that the person is alive."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.CITIZEN:
        raise PermissionDenied("仅公众用户可进行实名核验。")
    if user.real_name_level >= User.RealNameLevel.L2:
        raise InvalidInput("您已完成实名核验。", code="already_verified")
    name = re.sub(r"\s", "", name or "")
    if not name:
        raise InvalidInput("请填写姓名。", code="name_required", field="name")
    facts = parse_id_number(id_number)
    ratelimit.check(f"verify:{user.pk}", VERIFY_LIMITS, "今日实名核验次数已达上限，请明天再试。")
    if User.objects.filter(id_number=facts.number).exclude(pk=user.pk).exists():
        raise RealNameRefused(
            "该身份证号码已绑定其他账号。如非本人操作，请携带身份证到政务服务大厅办理。",
            code="id_number_taken",
            field="id_number",
        )
    record = read_person(facts.number, accessor=user, purpose="本人实名核验")
    if record is None:
        raise RealNameRefused(
            "人口库中没有该身份证号码，请核对后重新输入。", code="id_number_not_found", field="id_number"
        )
    if record.status == PopulationRecord.Status.DECEASED:
        raise RealNameRefused(
            "该身份证号码登记为已死亡人员，无法完成实名核验。如有疑问请到户籍所在地派出所核实。",
            code="person_deceased",
            field="id_number",
        )
    if record.name != name:
        raise RealNameRefused(
            "姓名与身份证号码不一致，请核对后重新输入。", code="name_mismatch", field="name"
        )
    user.real_name = record.name
    user.id_number = record.id_number
    user.real_name_level = User.RealNameLevel.L2
    user.real_name_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["real_name", "id_number", "real_name_level", "real_name_verified_at"])
            record_action(
                user, "identity.verify_real_name", target=user, summary="实名核验通过（L2）", request=request
            )
    except IntegrityError as exc:  # another account bound the number a moment ago
        user.refresh_from_db()
        raise RealNameRefused(
            "该身份证号码已绑定其他账号。", code="id_number_taken", field="id_number"
        ) from exc
    return user


def verify_in_person(
    staff: Any,
    *,
    mobile: str,
    id_number: str,
    department: Department,
    request: HttpRequest | None = None,
) -> Any:
    """Window staff (受理) confirm in person the identity of an L2 account holder → L3."""
    permissions.require_role(staff, StaffRole.INTAKE, department)
    mobile = normalize_mobile(mobile)
    facts = parse_id_number(id_number)
    citizen = User.objects.filter(mobile=mobile, kind=User.Kind.CITIZEN).first()
    if citizen is None or citizen.id_number != facts.number:
        raise InvalidInput("手机号码与身份证号码不属于同一个已实名账号。", code="no_such_account")
    if citizen.real_name_level < User.RealNameLevel.L2:
        raise InvalidInput("该账号尚未完成实名核验（L2），请申请人先在网上完成实名核验。", code="not_l2")
    record = read_person(facts.number, accessor=staff, purpose="窗口现场身份核验", department=department)
    if record is None or record.status == PopulationRecord.Status.DECEASED:
        raise RealNameRefused("人口库核验未通过，不能提升为现场核验等级。", code="registry_refused")
    citizen.real_name_level = User.RealNameLevel.L3
    citizen.in_person_verified_at = timezone.now()
    citizen.in_person_verified_by = staff
    with transaction.atomic():
        citizen.save(update_fields=["real_name_level", "in_person_verified_at", "in_person_verified_by"])
        record_action(
            staff,
            "identity.verify_in_person",
            target=citizen,
            department=department,
            summary="现场核验（L3）",
            request=request,
        )
    return citizen


def reset_password(*, mobile: str, code: str, password: str, request: HttpRequest | None = None) -> Any:
    """Account recovery: a code sent to the registered mobile number sets a new password."""
    mobile = normalize_mobile(mobile)
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    consume_code(mobile, VerificationCode.Purpose.RECOVER, code)
    if user is None:
        raise InvalidInput("验证码不正确或已失效，请重新获取。", code="invalid_code", field="code")
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        AxesProxyHandler.reset_attempts(username=user.username)
        record_action(
            user, "identity.reset_password", target=user, summary="通过短信找回密码", request=request
        )
    return user


# --- logging in ----------------------------------------------------------------------------


def record_login(request: HttpRequest | None, user: Any, method: str, *, success: bool = True) -> None:
    agent = request.headers.get("User-Agent", "")[:200] if request is not None else ""
    LoginEvent.objects.create(
        user=user, method=method, success=success, ip=client_ip(request), user_agent=agent
    )


def _credentials(username: str) -> dict[str, str]:
    return {"username": username}


def _fail(request: HttpRequest, username: str) -> None:
    """Count a failure against the lockout (django-axes) as a wrong password would."""
    user_login_failed.send(sender=__name__, credentials=_credentials(username), request=request)


def ensure_not_locked(request: HttpRequest, username: str) -> None:
    """Refuse a locked account (django-axes) or an address throttled by ``throttle``."""
    refusal = throttle.address_refusal(request)
    if refusal:
        raise LockedOut(refusal)
    if AxesProxyHandler.is_locked(request, _credentials(username)):
        raise LockedOut()


def _has_confirmed_totp(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass
class LoginStep:
    """The outcome of the first factor: logged in, or a second factor still to come."""

    user: Any
    next_step: str  # "done", "totp" (enter a token), "enrol" (staff without a device yet)


def password_login(request: HttpRequest, *, username: str, password: str, staff: bool) -> LoginStep:
    """First factor with a password. Staff (and citizens who enabled TOTP) continue to a token."""
    username = (username or "").strip()
    if not username or not password:
        raise LoginFailed("请输入账号和密码。")
    ensure_not_locked(request, username)
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut()
    if user is None:
        known = User.objects.filter(username=username).first() or User.objects.filter(mobile=username).first()
        if known is not None:
            record_login(request, known, LoginEvent.Method.PASSWORD, success=False)
        raise LoginFailed()
    if staff and user.kind != User.Kind.STAFF:
        raise LoginFailed("该账号不是工作人员账号，请从公众用户入口登录。")
    if not staff and user.kind == User.Kind.STAFF:
        raise LoginFailed("工作人员请从“工作人员登录”入口登录，并使用动态口令。")
    if user.kind == User.Kind.STAFF:
        return _pend(request, user, "totp" if _has_confirmed_totp(user) else "enrol")
    if _has_confirmed_totp(user):
        return _pend(request, user, "totp")
    complete_login(request, user, LoginEvent.Method.PASSWORD)
    return LoginStep(user, "done")


def sms_login(request: HttpRequest, *, mobile: str, code: str) -> LoginStep:
    """First factor with an SMS code; failures count towards the same lockout as passwords."""
    mobile = normalize_mobile(mobile)
    ensure_not_locked(request, mobile)
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    try:
        consume_code(mobile, VerificationCode.Purpose.LOGIN, code)
    except InvalidInput:
        _fail(request, mobile)
        if user is not None:
            record_login(request, user, LoginEvent.Method.SMS, success=False)
        raise
    if user is None:
        raise LoginFailed("验证码不正确或已失效，请重新获取。")
    if user.kind == User.Kind.STAFF:
        raise LoginFailed("工作人员请从“工作人员登录”入口登录，并使用动态口令。")
    if _has_confirmed_totp(user):
        return _pend(request, user, "totp")
    complete_login(request, user, LoginEvent.Method.SMS)
    return LoginStep(user, "done")


def _pend(request: HttpRequest, user: Any, step: str) -> LoginStep:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "at": int(timezone.now().timestamp()), "step": step}
    return LoginStep(user, step)


def pending_user(request: HttpRequest) -> tuple[Any, str] | tuple[None, None]:
    data = request.session.get(PENDING_KEY)
    if not data or int(timezone.now().timestamp()) - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is None:
        return None, None
    return user, data["step"]


def totp_login(request: HttpRequest, *, token: str) -> Any:
    """Second factor: a TOTP token from the pending user's confirmed device."""
    user, step = pending_user(request)
    if user is None or step != "totp":
        raise LoginFailed("登录已超时，请重新输入账号和密码。", code="login_expired")
    ensure_not_locked(request, user.username)
    token = re.sub(r"\s", "", token or "")
    device = _verify_token(user, token, confirmed=True)
    if device is None:
        _fail(request, user.username)
        record_login(request, user, LoginEvent.Method.TOTP, success=False)
        if getattr(request, "axes_locked_out", False):
            raise LockedOut()
        raise LoginFailed("动态口令不正确，请查看身份验证器中的 6 位数字后重试。", code="bad_token")
    request.session.pop(PENDING_KEY, None)
    complete_login(request, user, LoginEvent.Method.TOTP, device=device)
    return user


def _verify_token(user: Any, token: str, *, confirmed: bool) -> TOTPDevice | None:
    if not re.fullmatch(r"\d{6}", token or ""):
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id"):
        if device.verify_token(token):
            return device
    return None


def start_totp_enrolment(user: Any) -> TOTPDevice:
    """A fresh unconfirmed TOTP device (earlier unconfirmed ones are dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


def pending_enrolment_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or start_totp_enrolment(user)


def confirm_totp_enrolment(user: Any, *, token: str, request: HttpRequest | None = None) -> TOTPDevice:
    """Confirm the device whose QR code the user scanned by typing its current token."""
    device = _verify_token(user, re.sub(r"\s", "", token or ""), confirmed=False)
    if device is None:
        raise InvalidInput(
            "动态口令不正确：请用身份验证器扫描二维码后，输入显示的 6 位数字。",
            code="bad_token",
            field="token",
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        record_action(user, "identity.totp_enrolled", target=user, summary="绑定身份验证器", request=request)
    return device


def enrol_and_login(request: HttpRequest, *, token: str) -> Any:
    """Staff first login: confirm the new device and finish logging in with it."""
    user, step = pending_user(request)
    if user is None or step != "enrol":
        raise LoginFailed("登录已超时，请重新输入账号和密码。", code="login_expired")
    device = confirm_totp_enrolment(user, token=token, request=request)
    request.session.pop(PENDING_KEY, None)
    complete_login(request, user, LoginEvent.Method.TOTP, device=device)
    return user


def complete_login(request: HttpRequest, user: Any, method: str, *, device: TOTPDevice | None = None) -> None:
    """Log in (Django rotates the session key), mark the second factor, write the history."""
    django_login(request, user, backend=PASSWORD_BACKEND)
    if device is not None:
        otp_login(request, device)
    record_login(request, user, method)


def remove_totp(user: Any, *, request: HttpRequest | None = None) -> None:
    if user.kind == User.Kind.STAFF:
        raise PermissionDenied("工作人员必须使用动态口令，不能解除绑定。")
    TOTPDevice.objects.filter(user=user).delete()
    record_action(user, "identity.totp_removed", target=user, summary="解除身份验证器", request=request)


# --- enterprises ---------------------------------------------------------------------------


def open_enterprise(user: Any, *, uscc: str, request: HttpRequest | None = None) -> EnterpriseAccount:
    """The legal representative opens the enterprise account after the enterprise registry check."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.CITIZEN:
        raise PermissionDenied("请使用公众用户账号开通企业账号。")
    if user.real_name_level < User.RealNameLevel.L2 or not user.id_number:
        raise PermissionDenied("请先完成实名核验（L2），再开通企业账号。", code="real_name_required")
    code = check_uscc(uscc)
    existing = EnterpriseAccount.objects.filter(uscc=code).first()
    if existing is not None:
        if existing.legal_rep_id == user.pk:
            return existing
        raise InvalidInput(
            "该企业已开通企业账号。如法定代表人已变更，请到政务服务大厅办理。", code="enterprise_taken"
        )
    record = read_enterprise(code, accessor=user, purpose="开通企业账号核验")
    if record is None:
        raise RealNameRefused(
            "法人库中没有该统一社会信用代码，请核对后重新输入。", code="enterprise_not_found", field="uscc"
        )
    if record.status != EnterpriseRecord.Status.ACTIVE:
        raise RealNameRefused(
            f"该企业登记状态为“{record.get_status_display()}”，不能开通企业账号。",
            code="enterprise_inactive",
            field="uscc",
        )
    if record.legal_rep_id_number != user.id_number or record.legal_rep_name != user.real_name:
        raise RealNameRefused(
            "您不是该企业登记的法定代表人，不能开通企业账号。请由法定代表人本人办理。",
            code="not_legal_rep",
            field="uscc",
        )
    with transaction.atomic():
        account = EnterpriseAccount.objects.create(
            record=record, name=record.name, uscc=record.uscc, legal_rep=user
        )
        record_action(
            Actor(user, account),
            "identity.open_enterprise",
            target=account,
            summary="开通企业账号",
            request=request,
        )
    return account


@transaction.atomic
def authorise_agent(
    user: Any,
    enterprise: EnterpriseAccount,
    *,
    mobile: str,
    id_number: str,
    valid_until: datetime.datetime,
    all_items: bool = False,
    items: list[ServiceItem] | None = None,
    valid_from: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> AgentAuthorization:
    """The legal representative names an agent (by mobile + ID number) for a scope and period."""
    if enterprise.legal_rep_id != getattr(user, "pk", None):
        raise NotFound()
    if not enterprise.is_active:
        raise PermissionDenied("该企业账号已停用。")
    mobile = normalize_mobile(mobile)
    facts = parse_id_number(id_number)
    agent = User.objects.filter(mobile=mobile, kind=User.Kind.CITIZEN, is_active=True).first()
    if agent is None or agent.id_number != facts.number:
        raise InvalidInput(
            "手机号码与身份证号码不属于同一个已实名账号，请经办人先注册并完成实名核验。",
            code="agent_not_found",
            field="mobile",
        )
    if agent.pk == user.pk:
        raise InvalidInput("法定代表人无需授权自己。", code="agent_is_rep", field="mobile")
    if agent.real_name_level < User.RealNameLevel.L2:
        raise InvalidInput("经办人尚未完成实名核验（L2）。", code="agent_not_verified", field="mobile")
    now = timezone.now()
    valid_from = valid_from or now
    if valid_until <= max(valid_from, now):
        raise InvalidInput("授权截止时间应晚于现在和生效时间。", code="bad_period", field="valid_until")
    if valid_until - valid_from > datetime.timedelta(days=366 * 3):
        raise InvalidInput("单次授权期限最长 3 年。", code="bad_period", field="valid_until")
    items = list(items or [])
    if not all_items and not items:
        raise InvalidInput("请选择授权事项，或选择“全部事项”。", code="no_scope", field="items")
    if AgentAuthorization.objects.in_force().filter(enterprise=enterprise, agent=agent).exists():
        raise InvalidInput(
            "该经办人已有有效授权，如需调整请先撤销原授权。", code="already_authorised", field="mobile"
        )
    grant = AgentAuthorization.objects.create(
        enterprise=enterprise,
        agent=agent,
        all_items=all_items,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=user,
    )
    if not all_items:
        grant.items.set(items)
    record_action(
        Actor(user, enterprise),
        "identity.authorise_agent",
        target=grant,
        summary=f"授权经办人 {agent.display_name}（{mask_mobile(agent.mobile)}）",
        request=request,
    )
    return grant


@transaction.atomic
def revoke_authorisation(
    user: Any, grant: AgentAuthorization, *, request: HttpRequest | None = None
) -> AgentAuthorization:
    """Revocation takes effect at once: every later ``current_actor``/scope check refuses."""
    grant = (
        AgentAuthorization.objects.select_for_update().select_related("enterprise", "agent").get(pk=grant.pk)
    )
    if grant.enterprise.legal_rep_id != getattr(user, "pk", None):
        raise NotFound()
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by = user
        grant.save(update_fields=["revoked_at", "revoked_by"])
        record_action(
            Actor(user, grant.enterprise),
            "identity.revoke_agent",
            target=grant,
            summary=f"撤销经办人 {grant.agent.display_name} 的授权",
            request=request,
        )
    return grant


# --- staff ---------------------------------------------------------------------------------


def _check_manages_staff(actor: Any, department: Department, message: str) -> None:
    """Department administrators manage their own department's staff only (least privilege):
    holding 系统管理 in one department gives no power over another's accounts."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if not permissions.has_role(actor, StaffRole.PLATFORM_ADMIN, department):
        raise PermissionDenied(message)


@transaction.atomic
def create_staff_account(
    actor: Any,
    *,
    username: str,
    real_name: str,
    department: Department,
    roles: list[str],
    password: str,
    mobile: str | None = None,
) -> Any:
    """A staff account bound to ``department`` with ``roles``; only that department's 系统管理
    (or a superuser, or the system)."""
    _check_manages_staff(actor, department, "只有本部门的系统管理员可以创建本部门的工作人员账号。")
    unknown = set(roles) - set(StaffRole.values)
    if unknown or not roles:
        raise InvalidInput("请选择有效的角色。", code="bad_roles", field="roles")
    username = (username or "").strip()
    if not username or User.objects.filter(username=username).exists():
        raise InvalidInput("用户名为空或已被使用。", code="username_taken", field="username")
    if mobile:
        mobile = normalize_mobile(mobile)
        if User.objects.filter(mobile=mobile).exists():
            raise InvalidInput("该手机号码已被其他账号使用。", code="mobile_taken", field="mobile")
    user = User(
        username=username,
        real_name=real_name,
        mobile=mobile or None,
        kind=User.Kind.STAFF,
        is_staff=StaffRole.PLATFORM_ADMIN in roles,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    StaffMembership.objects.bulk_create(
        [StaffMembership(user=user, department=department, role=r) for r in roles]
    )
    record_action(
        actor, "identity.create_staff", target=user, department=department, summary=f"创建工作人员 {username}"
    )
    return user


@transaction.atomic
def set_staff_roles(actor: Any, staff: Any, *, department: Department, roles: list[str]) -> None:
    """Replace ``staff``'s roles in ``department`` (that department's 系统管理 only)."""
    _check_manages_staff(actor, department, "只有本部门的系统管理员可以调整本部门工作人员的角色。")
    if staff.kind != User.Kind.STAFF:
        raise InvalidInput("只能为工作人员账号设置角色。", code="not_staff")
    unknown = set(roles) - set(StaffRole.values)
    if unknown:
        raise InvalidInput("请选择有效的角色。", code="bad_roles", field="roles")
    StaffMembership.objects.filter(user=staff, department=department).exclude(role__in=roles).delete()
    have = set(
        StaffMembership.objects.filter(user=staff, department=department).values_list("role", flat=True)
    )
    StaffMembership.objects.bulk_create(
        [StaffMembership(user=staff, department=department, role=r) for r in roles if r not in have]
    )
    is_admin = StaffMembership.objects.filter(user=staff, role=StaffRole.PLATFORM_ADMIN).exists()
    if staff.is_staff != is_admin:
        staff.is_staff = is_admin
        staff.save(update_fields=["is_staff"])
    permissions.forget(staff)
    record_action(
        actor, "identity.set_roles", target=staff, department=department, summary="、".join(sorted(roles))
    )
