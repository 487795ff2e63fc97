"""Forms of the identity pages: parsing only; every rule lives in ``services``."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ServiceItem


class Form(forms.Form):
    """Labels without a trailing colon: they sit above their fields."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _attrs(autocomplete: str, **extra: str) -> dict[str, str]:
    return {"autocomplete": autocomplete, **extra}


class MobileField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("手机号码"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs=_attrs("tel", type="tel", inputmode="numeric")))
        super().__init__(**kwargs)


class CodeField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("短信验证码"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs=_attrs("one-time-code", inputmode="numeric", pattern=r"\d{6}"))
        )
        super().__init__(**kwargs)


def password_field(label: str, autocomplete: str = "new-password", required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=128,
        required=required,
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs(autocomplete)),
    )


class RegisterForm(Form):
    mobile = MobileField()
    code = CodeField()
    password = password_field(_("设置密码"))
    password2 = password_field(_("再次输入密码"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class SendCodeForm(Form):
    mobile = MobileField()


class PasswordLoginForm(Form):
    username = forms.CharField(
        label=_("手机号码或用户名"), max_length=150, widget=forms.TextInput(attrs=_attrs("username"))
    )
    password = password_field(_("密码"), "current-password")


class StaffLoginForm(Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, widget=forms.TextInput(attrs=_attrs("username"))
    )
    password = password_field(_("密码"), "current-password")


class SmsLoginForm(Form):
    mobile = MobileField()
    code = CodeField()


class TokenForm(Form):
    token = forms.CharField(
        label=_("动态口令"),
        max_length=6,
        min_length=6,
        help_text=_("身份验证器应用中显示的 6 位数字。"),
        widget=forms.TextInput(attrs=_attrs("one-time-code", inputmode="numeric", pattern=r"\d{6}")),
    )


class RecoverForm(Form):
    mobile = MobileField()
    code = CodeField()
    password = password_field(_("新密码"))
    password2 = password_field(_("再次输入新密码"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class VerifyForm(Form):
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs=_attrs("name")))
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=20,
        help_text=_("18 位居民身份证号码，末位可能是 X。"),
        widget=forms.TextInput(attrs=_attrs("off")),
    )


class OpenEnterpriseForm(Form):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=20,
        help_text=_("营业执照上的 18 位代码。"),
        widget=forms.TextInput(attrs=_attrs("off")),
    )


class AuthoriseAgentForm(Form):
    """Who, until when, and for which items; the items are shown grouped by department and can be
    narrowed with a search (``q``) — about 2,300 enterprise items in the demo."""

    mobile = MobileField(label=_("经办人手机号码"))
    id_number = forms.CharField(
        label=_("经办人身份证号码"), max_length=20, widget=forms.TextInput(attrs=_attrs("off"))
    )
    valid_until = forms.DateField(
        label=_("授权截止日期"),
        help_text=_("到期当日 24 时起授权失效。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),  # what type=date reads
    )
    all_items = forms.BooleanField(label=_("授权办理本企业的全部事项"), required=False)
    items = forms.ModelMultipleChoiceField(
        label=_("或选择授权事项"),
        queryset=ServiceItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = enterprise_items()
        if not self.is_bound:
            self.initial.setdefault("valid_until", (timezone.localdate() + datetime.timedelta(days=365)))

    def clean_items(self):
        return list(self.cleaned_data["items"])

    def valid_until_datetime(self) -> datetime.datetime:
        day = self.cleaned_data["valid_until"] + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def selected_item_ids(self) -> set[int]:
        values = self["items"].value() or []
        return {int(v) for v in values if str(v).isdigit()}


def enterprise_items():
    return ServiceItem.objects.published().filter(for_enterprise=True)


@dataclass
class ItemGroup:
    """One department's items on the authorisation page."""

    key: str
    label: str
    items: list = field(default_factory=list)
    selected: int = 0


@dataclass
class RegionGroup:
    """The departments of one region (city or county): the outer, collapsible level."""

    key: str
    label: str
    departments: list[ItemGroup] = field(default_factory=list)
    count: int = 0
    selected: int = 0


def item_groups(query: str, selected: set[int]) -> tuple[list[RegionGroup], int, list[int]]:
    """Enterprise items grouped by region, then department, filtered by ``query`` on the item's
    name or code or the department's name; returns the groups, the number of items shown and
    the selected items the filter hides (kept as hidden inputs so a search loses no choice)."""
    items = enterprise_items().select_related("department", "department__region")
    query = (query or "").strip()[:50]
    if query:
        items = items.filter(
            Q(name__icontains=query) | Q(code__icontains=query) | Q(department__name__icontains=query)
        )
    items = items.order_by("department__region__code", "department__name", "name", "code")
    regions: dict[int | None, RegionGroup] = {}
    departments: dict[int, ItemGroup] = {}
    shown: set[int] = set()
    for item in items:
        department = item.department
        region = department.region
        outer = regions.get(department.region_id)
        if outer is None:
            label = (region.full_name or region.name) if region else _("其他")
            outer = regions[department.region_id] = RegionGroup(
                key=f"region-{department.region_id}", label=label
            )
        group = departments.get(department.pk)
        if group is None:
            group = departments[department.pk] = ItemGroup(key=f"dept-{department.pk}", label=department.name)
            outer.departments.append(group)
        group.items.append(item)
        hit = item.pk in selected
        group.selected += hit
        outer.selected += hit
        outer.count += 1
        shown.add(item.pk)
    return list(regions.values()), len(shown), sorted(selected - shown)


class InPersonForm(Form):
    mobile = MobileField(label=_("申请人手机号码"))
    id_number = forms.CharField(
        label=_("申请人身份证号码"), max_length=20, widget=forms.TextInput(attrs=_attrs("off"))
    )
    checked = forms.BooleanField(label=_("已当面核对身份证原件与本人相貌一致"))
