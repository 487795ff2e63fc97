"""The form editor's Django form for one field (parsing only; ``editing`` checks the rules)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .editing import EDITOR_WIDGETS, FieldSpec, condition_choices, condition_value
from .schema import WIDGETS

NEW_SECTION = "__new__"


class FieldForm(forms.Form):
    title = forms.CharField(
        label=_("字段名称"), max_length=100, error_messages={"required": _("请填写字段名称。")}
    )
    widget = forms.ChoiceField(label=_("控件类型"), choices=[(w, WIDGETS[w]) for w in EDITOR_WIDGETS])
    required = forms.BooleanField(label=_("必填"), required=False)
    help = forms.CharField(label=_("填写说明"), max_length=300, required=False)
    options = forms.CharField(
        label=_("选项（单选、多选用，每行一个）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    min_length = forms.IntegerField(
        label=_("最少字数（文字用）"), min_value=0, max_value=10000, required=False
    )
    max_length = forms.IntegerField(
        label=_("最多字数（文字用）"), min_value=1, max_value=10000, required=False
    )
    pattern = forms.CharField(
        label=_("格式（正则表达式，单行文字用）"),
        max_length=200,
        required=False,
        help_text=_("例如 ^[0-9]{6}$ 表示 6 位数字；不懂可留空。"),
    )
    minimum = forms.DecimalField(label=_("最小值（数字用）"), required=False, max_digits=16, decimal_places=4)
    maximum = forms.DecimalField(label=_("最大值（数字用）"), required=False, max_digits=16, decimal_places=4)
    section = forms.ChoiceField(label=_("所在步骤"), required=False)
    new_section = forms.CharField(
        label=_("新步骤名称（选择“新建步骤”时填写）"), max_length=60, required=False
    )
    condition = forms.ChoiceField(label=_("显示条件"), required=False)
    name = forms.CharField(
        label=_("字段标识（可不填）"),
        max_length=40,
        required=False,
        help_text=_("小写英文字母、数字和下划线，不填则自动生成；对接其他系统时使用。"),
    )

    def __init__(self, *args, schema: dict, layout: dict, original: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.schema, self.layout = schema, layout
        titles = [s["title"] for s in layout.get("sections") or []]
        self.fields["section"].choices = [(t, t) for t in titles] + [(NEW_SECTION, _("新建步骤"))]
        self.fields["condition"].choices = [("", _("总是显示"))] + condition_choices(schema, layout, original)
        self.fields["title"].widget.attrs["maxlength"] = 100
        for name in ("min_length", "max_length", "minimum", "maximum"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        if not self.is_bound and titles:
            self.initial.setdefault("section", titles[-1])
        self.original = original

    @classmethod
    def initial_for(cls, schema: dict, spec: FieldSpec) -> dict:
        return {
            "name": spec.name,
            "title": spec.title,
            "widget": spec.widget,
            "required": spec.required,
            "help": spec.help,
            "options": "\n".join(spec.options),
            "min_length": spec.min_length,
            "max_length": spec.max_length,
            "pattern": spec.pattern,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "section": spec.section,
            "condition": condition_value(schema, spec),
        }

    def section_title(self) -> str:
        if self.cleaned_data.get("section") == NEW_SECTION:
            return (self.cleaned_data.get("new_section") or "").strip()
        return self.cleaned_data.get("section") or ""
