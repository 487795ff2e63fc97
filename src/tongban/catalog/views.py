"""The catalogue workspace (事项管理): a department's items, their elements and child rows.

Views parse input, call ``catalog.services`` and render; permission is checked by the selectors
(reads) and the services (writes). Every page works without JavaScript.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongban.core.errors import NotFound, ServiceError

from . import selectors, services
from .forms import CHILD_FORMS, ItemElementsForm, add_service_errors, describe_hints
from .models import ItemType, ServiceItem, ServiceObject

ACTIONS = {
    "create": gettext_lazy("创建"),
    "update": gettext_lazy("修改"),
    "publish": gettext_lazy("发布"),
    "withdraw": gettext_lazy("撤回"),
    "return_to_draft": gettext_lazy("退回草稿"),
}


def catalogue_staff(view: Callable) -> Callable:
    """Signed-in staff holding 事项管理 somewhere; others are sent to sign in or get a 404.

    An item outside the user's departments is ``NotFound`` from the selectors, a write the
    services refuse ``PermissionDenied``: the error middleware answers them (404 / 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('identity:staff_login')}?next={request.path}")
        if getattr(request.user, "kind", None) != "staff":
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


def _item(request: HttpRequest, pk: int) -> ServiceItem:
    return selectors.workspace_item(request.user, pk)


@catalogue_staff
def workspace(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.managed_departments(request.user))
    if not departments:
        raise Http404()
    department = request.GET.get("department", "")
    items = selectors.workspace_items(
        request.user,
        query=request.GET.get("q", "")[:100],
        status=request.GET.get("status", ""),
        item_type=request.GET.get("type", "") if request.GET.get("type", "") in ItemType.values else "",
        department=int(department) if department.isdigit() else None,
    )
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "departments": departments,
        "page": page,
        "query": query.urlencode(),
        "q": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "type": request.GET.get("type", ""),
        "department": department,
        "statuses": ServiceItem.Status.choices,
        "types": ItemType.choices,
    }
    return render(request, "catalog/workspace.html", context)


@catalogue_staff
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    changes = list(item.changes.all()[:10])
    for change in changes:
        change.action_label = ACTIONS.get(change.action, change.action)
    context = {
        "item": item,
        "objects": [ServiceObject(o).label for o in item.service_objects or [] if o in ServiceObject.values],
        "changes": changes,
        "children": [
            ("materials", CHILD_FORMS["materials"][1], list(item.materials.all())),
            ("steps", CHILD_FORMS["steps"][1], list(item.steps.all())),
            ("fees", CHILD_FORMS["fees"][1], list(item.fees.all())),
            ("faqs", CHILD_FORMS["faqs"][1], list(item.faqs.all())),
        ],
    }
    return render(request, "catalog/item.html", context)


@catalogue_staff
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ItemElementsForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_item(actor=request.user, item=item, data=form.cleaned())
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("事项要素已保存。"))
            return redirect("catalog:item", pk=item.pk)
    status = 400 if form.errors else 200
    describe_hints(form)
    return render(request, "catalog/item_edit.html", {"item": item, "form": form}, status=status)


@catalogue_staff
def child_edit(request: HttpRequest, pk: int, kind: str, row: int | None = None) -> HttpResponse:
    if kind not in CHILD_FORMS:
        raise Http404()
    item = _item(request, pk)
    form_class, title, add_title = CHILD_FORMS[kind]
    instance = None
    if row is not None:
        instance = getattr(item, kind).filter(pk=row).first()
        if instance is None:
            raise Http404()
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_child(actor=request.user, item=item, kind=kind, data=form.cleaned(), row_id=row)
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(what)s已保存。") % {"what": title})
            return redirect(f"{reverse('catalog:item', args=[item.pk])}#{kind}")
    context = {
        "item": item,
        "form": form,
        "kind": kind,
        "title": add_title if row is None else _("修改%(what)s") % {"what": title},
    }
    describe_hints(form)
    return render(request, "catalog/child_edit.html", context, status=400 if form.errors else 200)


@require_POST
@catalogue_staff
def child_remove(request: HttpRequest, pk: int, kind: str, row: int) -> HttpResponse:
    if kind not in CHILD_FORMS:
        raise Http404()
    item = _item(request, pk)
    services.remove_child(actor=request.user, item=item, kind=kind, row_id=row)
    messages.success(request, _("已删除。"))
    return redirect(f"{reverse('catalog:item', args=[item.pk])}#{kind}")


@require_POST
@catalogue_staff
def child_move(request: HttpRequest, pk: int, kind: str, row: int) -> HttpResponse:
    if kind not in {"materials", "steps", "faqs"}:
        raise Http404()
    item = _item(request, pk)
    try:
        services.move_child(
            actor=request.user, item=item, kind=kind, row_id=row, direction=request.POST.get("direction", "")
        )
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('catalog:item', args=[item.pk])}#{kind}")


_TRANSITIONS = {
    "publish": (services.publish_item, gettext_lazy("事项已发布。")),
    "return_to_draft": (services.return_to_draft, gettext_lazy("事项已退回草稿。")),
}


@require_POST
@catalogue_staff
def item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish, withdraw (with a reason) or send back to draft."""
    item = _item(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "withdraw":
            services.withdraw_item(actor=request.user, item=item, reason=request.POST.get("reason", ""))
            messages.success(request, _("事项已撤回。"))
        elif action in _TRANSITIONS:
            function, done = _TRANSITIONS[action]
            function(actor=request.user, item=item)
            messages.success(request, done)
        else:
            raise Http404()
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("catalog:item", pk=item.pk)
