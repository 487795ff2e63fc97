"""Identity pages: register, verify, log in (password / SMS / TOTP), recover, my account,
enterprises and agents, staff login and the staff pages. Thin: parse, call a service, render."""

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.core.errors import ServiceError
from tongban.core.masking import mask_mobile
from tongban.core.types import User
from tongban.departments.models import Department

from . import forms as f
from . import permissions, selectors, services
from .account_sections import render_sections
from .actors import get_enterprise_for_rep, switch_actor
from .audit import client_ip
from .models import StaffRole, VerificationCode
from .workbench import registered_home


def _fail(form: forms.Form, exc: ServiceError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _send_code(request: HttpRequest, form: forms.Form, purpose: str) -> bool:
    """The "获取验证码" button of a form: validate the number only, then send."""
    mobile_form = f.SendCodeForm(request.POST)
    if not mobile_form.is_valid():
        form.add_error("mobile", mobile_form.errors["mobile"])
        return False
    try:
        mobile = services.send_code(mobile_form.cleaned_data["mobile"], purpose, ip=client_ip(request))
    except ServiceError as exc:
        form.add_error("mobile", exc.message)
        return False
    note = _("验证码已发送至 %(mobile)s，5 分钟内有效。") % {"mobile": mask_mobile(mobile)}
    if settings.TONGBAN_SMS_BACKEND == "outbox":
        note += " " + _("（开发环境：短信写在 var/outbox/sms.jsonl）")
    messages.info(request, note)
    return True


def _unbound_copy(form_class: type[forms.Form], request: HttpRequest) -> forms.Form:
    """After sending a code, show the form again with what was typed but no errors yet."""
    keep = {k: v for k, v in request.POST.items() if k in ("mobile", "username")}
    return form_class(initial=keep)


# --- citizens ------------------------------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("identity:account")
    form = f.RegisterForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "send_code":
            if _send_code(request, form, VerificationCode.Purpose.REGISTER):
                form = _unbound_copy(f.RegisterForm, request)
        elif form.is_valid():
            try:
                user = services.register_citizen(
                    mobile=form.cleaned_data["mobile"],
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password"],
                    request=request,
                )
                services.complete_login(request, user, "password")
                messages.success(request, _("注册成功。请完成实名核验，以便办理需要实名的事项。"))
                return redirect("identity:verify")
            except ServiceError as exc:
                _fail(form, exc)
    return render(request, "identity/register.html", {"form": form}, status=_status(form))


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = f.VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_real_name(
                user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                request=request,
            )
            messages.success(request, _("实名核验通过，您的账号已提升为 L2 实名用户。"))
            return redirect("identity:account")
        except ServiceError as exc:
            _fail(form, exc)
    return render(request, "identity/verify.html", {"form": form}, status=_status(form))


def login_view(request: HttpRequest) -> HttpResponse:
    method = "sms" if (request.POST.get("method") or request.GET.get("method")) == "sms" else "password"
    next_url = _next_url(request, reverse("identity:account"))
    password_form = f.PasswordLoginForm(
        request.POST if method == "password" and request.method == "POST" else None
    )
    sms_form = f.SmsLoginForm(request.POST if method == "sms" and request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        try:
            if method == "sms" and request.POST.get("action") == "send_code":
                if _send_code(request, sms_form, VerificationCode.Purpose.LOGIN):
                    sms_form = _unbound_copy(f.SmsLoginForm, request)
            elif method == "sms" and sms_form.is_valid():
                step = services.sms_login(
                    request, mobile=sms_form.cleaned_data["mobile"], code=sms_form.cleaned_data["code"]
                )
                return _after_first_factor(request, step, next_url)
            elif method == "password" and password_form.is_valid():
                step = services.password_login(
                    request,
                    username=password_form.cleaned_data["username"],
                    password=password_form.cleaned_data["password"],
                    staff=False,
                )
                return _after_first_factor(request, step, next_url)
        except services.LockedOut as exc:
            return render(request, "identity/locked_out.html", {"message": exc.message}, status=429)
        except ServiceError as exc:
            _fail(sms_form if method == "sms" else password_form, exc)
        if (sms_form if method == "sms" else password_form).errors:
            status = 400
    context = {"password_form": password_form, "sms_form": sms_form, "method": method, "next": next_url}
    return render(request, "identity/login.html", context, status=status)


def _after_first_factor(request: HttpRequest, step: services.LoginStep, next_url: str) -> HttpResponse:
    request.session["tongban_login_next"] = next_url
    if step.next_step == "totp":
        return redirect("identity:login_totp")
    if step.next_step == "enrol":
        return redirect("identity:login_enrol")
    return redirect(next_url)


def login_totp(request: HttpRequest) -> HttpResponse:
    user, step = services.pending_user(request)
    if user is None or step != "totp":
        messages.info(request, _("登录已超时，请重新登录。"))
        return redirect("identity:login")
    form = f.TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_login(request, token=form.cleaned_data["token"])
            return redirect(request.session.pop("tongban_login_next", None) or _home_for(request.user))
        except services.LockedOut as exc:
            return render(request, "identity/locked_out.html", {"message": exc.message}, status=429)
        except ServiceError as exc:
            _fail(form, exc)
    return render(request, "identity/login_totp.html", {"form": form, "pending": user}, status=_status(form))


def _qr_svg(device: TOTPDevice) -> str:
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=_("身份验证器二维码")
    )
    return buffer.getvalue().decode()


def _enrolment_context(device: TOTPDevice) -> dict[str, Any]:
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr_svg": mark_safe(_qr_svg(device)), "secret": grouped}  # noqa: S308 - segno's own SVG


def login_enrol(request: HttpRequest) -> HttpResponse:
    """Staff first login: scan the QR code, type the token, and be logged in with it."""
    user, step = services.pending_user(request)
    if user is None or step != "enrol":
        messages.info(request, _("登录已超时，请重新登录。"))
        return redirect("identity:staff_login")
    device = services.pending_enrolment_device(user)
    form = f.TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrol_and_login(request, token=form.cleaned_data["token"])
            messages.success(request, _("身份验证器已绑定。以后每次登录都需要输入动态口令。"))
            return redirect(request.session.pop("tongban_login_next", None) or _home_for(request.user))
        except ServiceError as exc:
            _fail(form, exc)
    context = {"form": form, **_enrolment_context(device), "pending": user}
    return render(request, "identity/login_enrol.html", context, status=_status(form))


def _home_for(user: User) -> str:
    return reverse("identity:staff_home" if user.kind == "staff" else "identity:account")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("web:home")


def recover(request: HttpRequest) -> HttpResponse:
    form = f.RecoverForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "send_code":
            if _send_code(request, form, VerificationCode.Purpose.RECOVER):
                form = _unbound_copy(f.RecoverForm, request)
        elif form.is_valid():
            try:
                services.reset_password(
                    mobile=form.cleaned_data["mobile"],
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password"],
                    request=request,
                )
                messages.success(request, _("密码已重置，请用新密码登录。"))
                return redirect("identity:login")
            except ServiceError as exc:
                _fail(form, exc)
    return render(request, "identity/recover.html", {"form": form}, status=_status(form))


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "profile": selectors.profile(user),
        "logins": selectors.login_history(user),
        "data_uses": selectors.data_use_log(user),
        "enterprises": selectors.represented_enterprises(user),
        "agencies": selectors.my_agencies(user),
        "has_totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "extra_sections": [mark_safe(html) for html in render_sections(request)],  # noqa: S308
    }
    return render(request, "identity/account.html", context)


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Bind (or, for citizens, remove) an authenticator app."""
    user = request.user
    form = f.TokenForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "remove":
        try:
            services.remove_totp(user, request=request)
            messages.info(request, _("已解除身份验证器。"))
            return redirect("identity:account")
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("identity:two_factor")
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_totp_enrolment(user, token=form.cleaned_data["token"], request=request)
            messages.success(request, _("身份验证器已绑定，登录时需要输入动态口令。"))
            return redirect("identity:account")
        except ServiceError as exc:
            _fail(form, exc)
    has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    context: dict[str, Any] = {"form": form, "has_device": has_device}
    if not has_device or request.GET.get("replace"):
        context.update(_enrolment_context(services.pending_enrolment_device(user)))
    return render(request, "identity/two_factor.html", context, status=_status(form))


@login_required
@require_POST
def acting_as(request: HttpRequest) -> HttpResponse:
    """Switch between acting for oneself and for an enterprise (kept in the session)."""
    raw = request.POST.get("enterprise", "")
    actor = switch_actor(request, int(raw) if raw.isdigit() else None)
    if actor.enterprise is not None:
        messages.info(request, _("您现在以“%(name)s”经办人身份办事。") % {"name": actor.enterprise.name})
    else:
        messages.info(request, _("您现在以个人身份办事。"))
    return redirect(_next_url(request, reverse("identity:account")))


@login_required
def enterprise_open(request: HttpRequest) -> HttpResponse:
    form = f.OpenEnterpriseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.open_enterprise(
                request.user, uscc=form.cleaned_data["uscc"], request=request
            )
            messages.success(request, _("企业账号已开通。您可以为企业授权经办人。"))
            return redirect("identity:enterprise", pk=enterprise.pk)
        except ServiceError as exc:
            _fail(form, exc)
    return render(request, "identity/enterprise_open.html", {"form": form}, status=_status(form))


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The legal representative's page of an enterprise: its agents and new authorisations."""
    enterprise = get_enterprise_for_rep(request.user, pk)
    form = f.AuthoriseAgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.authorise_agent(
                request.user,
                enterprise,
                mobile=form.cleaned_data["mobile"],
                id_number=form.cleaned_data["id_number"],
                all_items=form.cleaned_data["all_items"],
                items=form.cleaned_data["items"],
                valid_until=form.valid_until_datetime(),
                request=request,
            )
            messages.success(request, _("已授权经办人。"))
            return redirect("identity:enterprise", pk=enterprise.pk)
        except ServiceError as exc:
            _fail(form, exc)
    query = (request.GET.get("q") or "").strip()[:50]
    if form.is_bound:
        selected = form.selected_item_ids()
    else:  # htmx refreshing the list sends the ticked items along
        selected = {int(v) for v in request.GET.getlist("items") if v.isdigit()}
    groups, shown, hidden = f.item_groups(query, selected)
    context = {
        "enterprise": enterprise,
        "form": form,
        "query": query,
        "groups": groups,
        "shown": shown,
        "hidden_selected": hidden,
        "selected": selected,
    }
    if getattr(request, "htmx", False) and request.method == "GET":
        return render(request, "identity/_agent_items.html", context)
    context["grants"] = selectors.enterprise_authorisations(enterprise)
    return render(request, "identity/enterprise_detail.html", context, status=_status(form))


@login_required
@require_POST
def revoke_agent(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_rep(request.user, pk)
    grant = selectors.get_authorisation_for_rep(request.user, enterprise, grant_pk)
    services.revoke_authorisation(request.user, grant, request=request)
    messages.success(request, _("授权已撤销，立即生效。"))
    return redirect("identity:enterprise", pk=enterprise.pk)


# --- staff ---------------------------------------------------------------------------------


def staff_login(request: HttpRequest) -> HttpResponse:
    form = f.StaffLoginForm(request.POST or None)
    next_url = _next_url(request, reverse("identity:staff_home"))
    if request.method == "POST" and form.is_valid():
        try:
            step = services.password_login(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                staff=True,
            )
            return _after_first_factor(request, step, next_url)
        except services.LockedOut as exc:
            return render(request, "identity/locked_out.html", {"message": exc.message}, status=429)
        except ServiceError as exc:
            _fail(form, exc)
    return render(
        request, "identity/staff_login.html", {"form": form, "next": next_url}, status=_status(form)
    )


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff (the middleware has already made sure the second factor was verified)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('identity:staff_login')}?next={request.path}")
        if request.user.kind != "staff":
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """工作台: the registered workbench (web's, with queue, intake and figures) or the roles."""
    home = registered_home()
    if home is not None:
        return home(request)
    memberships = permissions.memberships(request.user)
    departments: dict[int, dict[str, Any]] = {}
    for membership in memberships:
        entry = departments.setdefault(
            membership.department_id, {"department": membership.department, "roles": []}
        )
        entry["roles"].append(membership.get_role_display())
    context = {
        "departments": list(departments.values()),
        "visible": permissions.staff_departments(request.user).order_by("region__code", "name")[:200],
        "can_verify": permissions.has_role(request.user, StaffRole.INTAKE),
    }
    return render(request, "identity/staff_home.html", context)


@staff_required
def staff_department(request: HttpRequest, pk: int) -> HttpResponse:
    department = Department.objects.select_related("region").filter(pk=pk).first()
    if not permissions.can_see_department(request.user, department):
        raise Http404()
    context = {"department": department, "staff": selectors.department_staff(department)}
    return render(request, "identity/staff_department.html", context)


@staff_required
def in_person_verify(request: HttpRequest) -> HttpResponse:
    """窗口现场核验: intake staff lift an L2 account to L3 after checking the ID card in person."""
    intake = [m.department for m in permissions.memberships(request.user) if m.role == StaffRole.INTAKE]
    if not intake:
        raise Http404()
    form = f.InPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            citizen = services.verify_in_person(
                request.user,
                mobile=form.cleaned_data["mobile"],
                id_number=form.cleaned_data["id_number"],
                department=intake[0],
                request=request,
            )
            messages.success(
                request, _("已完成现场核验：%(name)s 的账号已提升为 L3。") % {"name": citizen.real_name}
            )
            return redirect("identity:in_person_verify")
        except ServiceError as exc:
            _fail(form, exc)
    return render(
        request, "identity/in_person.html", {"form": form, "department": intake[0]}, status=_status(form)
    )
