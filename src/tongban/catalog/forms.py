"""Django forms of the catalogue workspace: they parse input; the services validate and write.

The national cross-checks live in ``ServiceItem.check_rules``; a broken rule comes back from the
service as ``InvalidInput`` with messages per field, which ``add_service_errors`` puts on the form.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ServiceError

from .models import (
    FAQ,
    Channel,
    FeeItem,
    ItemType,
    MaterialRequirement,
    ProcessStep,
    ServiceItem,
    ServiceObject,
)
from .services import GUIDE_ELEMENTS, MATERIAL_ELEMENTS

ELEMENT_FIELDS = ("name", "item_type", "service_objects", *GUIDE_ELEMENTS)

# Groups of the element form, so the long page reads as the guide does.
ELEMENT_GROUPS = (
    (_("基本信息"), ("name", "item_type", "service_objects", "summary", "keywords")),
    (_("设定依据与受理条件"), ("legal_basis", "conditions", "prohibited")),
    (
        _("办理时限"),
        (
            "case_kind",
            "legal_limit",
            "legal_limit_unit",
            "promised_limit",
            "promised_limit_unit",
        ),
    ),
    (_("收费"), ("is_charged", "fee_basis")),
    (
        _("办理方式"),
        (
            "handling_place",
            "handling_hours",
            "channels",
            "visits_required",
            "online_depth",
            "supports_appointment",
            "supports_online_payment",
            "supports_delivery",
        ),
    ),
    (_("咨询与投诉"), ("consult_phone", "consult_channels", "complaint_phone", "complaint_channels")),
    (_("办理结果"), ("result_type", "result_name")),
)


def describe_hints(form: forms.BaseForm) -> None:
    """Tie each field's hint and error list to its input, so screen readers read them with it."""
    for name, field in form.fields.items():
        ids = []
        if field.help_text:
            ids.append(f"hint-{form.add_prefix(name)}")
        if form.is_bound and name in form.errors:
            ids.append(f"err-{form.add_prefix(name)}")
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)


def add_service_errors(form: forms.Form, exc: ServiceError) -> None:
    """Put a service error's messages on the fields they name (the rest above the form)."""
    errors: dict[str, list[str]] = getattr(exc, "errors", None) or {exc.field or "__all__": [exc.message]}
    for name, messages in errors.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class ItemElementsForm(forms.ModelForm):
    """The elements of an item; never saved by itself (``cleaned`` goes to ``update_item``)."""

    service_objects = forms.MultipleChoiceField(
        label=_("服务对象"), choices=ServiceObject.choices, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        label=_("办理渠道"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    item_type = forms.ChoiceField(label=_("事项类型"), choices=ItemType.choices)

    class Meta:
        model = ServiceItem
        fields = ELEMENT_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "summary",
                "legal_basis",
                "conditions",
                "prohibited",
                "fee_basis",
                "handling_place",
                "consult_channels",
                "complaint_channels",
            )
        } | {
            "consult_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "complaint_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def _post_clean(self) -> None:
        """Model validation is the service's job (it reports every rule in Chinese)."""

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in ELEMENT_GROUPS]

    def cleaned(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["service_objects"] = list(data.get("service_objects") or [])
        data["channels"] = list(data.get("channels") or [])
        for name in ("name", "consult_phone", "complaint_phone"):
            data[name] = (data.get(name) or "").strip()
        return data


class MaterialForm(forms.ModelForm):
    forms = forms.MultipleChoiceField(
        label=_("材料形式"),
        choices=MaterialRequirement.Form.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = MaterialRequirement
        fields = (*MATERIAL_ELEMENTS, "material_code")
        widgets = {"requirements": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        """Validated by the service."""

    def cleaned(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["forms"] = list(data.get("forms") or [])
        return data


class StepForm(forms.ModelForm):
    class Meta:
        model = ProcessStep
        fields = ("name", "description", "time_limit")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        """Validated by the service."""

    def cleaned(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class FeeForm(forms.ModelForm):
    class Meta:
        model = FeeItem
        fields = ("name", "standard", "basis", "may_reduce")
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An empty basis gets the national rule's own message from the service.
        self.fields["basis"].required = False

    def _post_clean(self) -> None:
        """Validated by the service (收费依据 is required)."""

    def cleaned(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class FAQForm(forms.ModelForm):
    class Meta:
        model = FAQ
        fields = ("question", "answer")
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}

    def _post_clean(self) -> None:
        """Validated by the service."""

    def cleaned(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


CHILD_FORMS: dict[str, tuple[type[forms.ModelForm], Any, Any]] = {
    "materials": (MaterialForm, _("申请材料"), _("添加申请材料")),
    "steps": (StepForm, _("办理流程"), _("添加办理环节")),
    "fees": (FeeForm, _("收费项目"), _("添加收费项目")),
    "faqs": (FAQForm, _("常见问题"), _("添加常见问题")),
}
