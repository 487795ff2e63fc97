"""Certificate and proof types for 事项管理 staff: a form instead of JSON in the Django admin.

A type's fields are rows (标识, 名称, 取值来源, 必填); the page offers a few empty rows, so it works
without JavaScript. The preview renders the type's real document template with sample values,
as HTML and as the PDF the holder would download.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from tongban.core.downloads import file_response
from tongban.core.errors import InvalidInput, NotFound
from tongban.departments.models import Department
from tongban.identity.views import staff_required

from . import access, rendering, selectors, services
from .models import CertificateType, HolderKind

EMPTY_ROWS = 3
MAX_ROWS = 40


class TypeForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    name = forms.CharField(label=gettext_lazy("证照名称"), max_length=100)
    code = forms.CharField(
        label=gettext_lazy("证照类型代码"),
        max_length=40,
        help_text=gettext_lazy("大写字母与数字，2–40 位，写入证照标识，保存后请勿随意更改"),
    )
    holder_kind = forms.ChoiceField(label=gettext_lazy("持证主体"), choices=HolderKind.choices)
    template = forms.ChoiceField(label=gettext_lazy("版式"), choices=CertificateType.Template.choices)
    validity = forms.ChoiceField(label=gettext_lazy("有效期"), choices=CertificateType.Validity.choices)
    validity_count = forms.IntegerField(
        label=gettext_lazy("有效期长度"), min_value=0, max_value=999, required=False, initial=0
    )
    registry_source = forms.ChoiceField(
        label=gettext_lazy("网上开证明数据来源"),
        choices=CertificateType.RegistrySource.choices,
        required=False,
        help_text=gettext_lazy("选择登记库即为证明类型，申请人可在网上直接开具"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


def _departments(request: HttpRequest) -> list[Department]:
    """The departments whose types the user maintains; nobody else sees these pages (404)."""
    departments = access.manageable_departments(request.user)
    if not departments:
        raise NotFound()
    return departments


def _rows_from(ctype: CertificateType | None) -> list[dict[str, object]]:
    rows = []
    required = set(((ctype.field_schema or {}).get("required") or []) if ctype else [])
    for key, prop in ctype.fields if ctype else []:
        source = prop.get("x-source") or f"data.{key}"
        kind, name = _split_source(source)
        rows.append(
            {
                "key": key,
                "title": prop.get("title", key),
                "kind": kind,
                "name": name,
                "required": key in required,
            }
        )
    return rows


def _split_source(source: str) -> tuple[str, str]:
    if source in services.SOURCE_KINDS:
        return source, ""
    head, _, rest = source.partition(".")
    return (head, rest) if head in ("data", "registry") else ("other", source)


def _source_label(source: str) -> str:
    kind, name = _split_source(source)
    label = services.SOURCE_KINDS.get(kind, source)
    return f"{label}：{name}" if name and kind in ("data", "registry") else label


def _rows_from_post(data: QueryDict) -> tuple[list[dict[str, object]], list[services.FieldSpec]]:
    rows, specs = [], []
    for index in range(MAX_ROWS):
        key = data.get(f"field-{index}-key", "").strip()
        title = data.get(f"field-{index}-title", "").strip()
        kind = data.get(f"field-{index}-kind", "data")
        name = data.get(f"field-{index}-name", "").strip()
        if f"field-{index}-key" not in data:
            break
        if not key and not title:
            continue
        if kind in ("data", "registry"):
            source = f"{kind}.{name or key}"
        elif kind == "other":
            source = name
        else:
            source = kind
        required = data.get(f"field-{index}-required") == "on"
        rows.append({"key": key, "title": title, "kind": kind, "name": name, "required": required})
        specs.append(services.FieldSpec(key=key, title=title, source=source, required=required))
    return rows, specs


def _page(
    request: HttpRequest,
    *,
    form: TypeForm,
    rows: list[dict[str, object]],
    department: Department | None,
    ctype: CertificateType | None,
    chosen: set[int],
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    items = selectors.department_items(department) if department else []
    blank = {"key": "", "title": "", "kind": "data", "name": "", "required": False}
    context = {
        "form": form,
        "rows": rows + [dict(blank) for _ in range(EMPTY_ROWS)],
        "source_kinds": list(services.SOURCE_KINDS.items()) + [("other", _("其他路径"))],
        "ctype": ctype,
        "department": department,
        "departments": _departments(request),
        "items": items,
        "chosen": chosen,
        "errors": [line for line in error.split("；") if line.strip()],
        "preview_rows": [
            (prop.get("title", key), _source_label(prop.get("x-source") or f"data.{key}"))
            for key, prop in (ctype.fields if ctype else [])
        ],
    }
    return render(request, "certificates/type_form.html", context, status=status)


@staff_required
@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    types = selectors.types_of(_departments(request))
    return render(request, "certificates/type_list.html", {"types": types})


def _save(request: HttpRequest, ctype: CertificateType | None) -> HttpResponse:
    departments = _departments(request)
    if ctype is not None:
        department = ctype.department
    else:
        wanted = request.POST.get("department") or request.GET.get("department") or departments[0].pk
        department = next((d for d in departments if str(d.pk) == str(wanted)), None)
        if department is None:
            raise NotFound()
    if request.method != "POST":
        initial = {"validity_count": 0, "is_active": True}
        if ctype is not None:
            initial = {
                name: getattr(ctype, name)
                for name in ("name", "code", "holder_kind", "template", "validity", "validity_count")
            } | {"registry_source": ctype.registry_source, "is_active": ctype.is_active}
        chosen = set(ctype.issued_by_items.values_list("pk", flat=True)) if ctype else set()
        return _page(
            request,
            form=TypeForm(initial=initial),
            rows=_rows_from(ctype),
            department=department,
            ctype=ctype,
            chosen=chosen,
        )
    form = TypeForm(request.POST)
    rows, specs = _rows_from_post(request.POST)
    chosen = {int(v) for v in request.POST.getlist("items") if v.isdigit()}
    if not form.is_valid():
        return _page(
            request, form=form, rows=rows, department=department, ctype=ctype, chosen=chosen, status=400
        )
    items = selectors.items_by_id(chosen)
    try:
        saved = services.save_certificate_type(
            actor=request.user,
            department=department,
            values=form.cleaned_data,
            fields=specs,
            items=items,
            ctype=ctype,
        )
    except InvalidInput as exc:
        return _page(
            request,
            form=form,
            rows=rows,
            department=department,
            ctype=ctype,
            chosen=chosen,
            error=exc.message,
            status=400,
        )
    messages.success(request, _("已保存“%(name)s”。") % {"name": saved.name})
    return redirect("certificates:type_edit", pk=saved.pk)


@staff_required
def type_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@staff_required
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, selectors.manageable_type(request.user, pk))


# The document templates carry their own print styles (WeasyPrint reads them); the preview page
# is a document of its own, with no scripts, so it may use them.
@staff_required
@require_GET
@csp_override(
    {
        "default-src": [CSP.NONE],
        "style-src": [CSP.UNSAFE_INLINE],
        "img-src": ["data:"],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.NONE],
    }
)
def type_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(rendering.preview_html(selectors.manageable_type(request.user, pk)))


@staff_required
@require_GET
def type_preview_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    ctype = selectors.manageable_type(request.user, pk)
    return file_response(rendering.preview_pdf(ctype), f"{ctype.code}-样本.pdf", "application/pdf")
