"""事项管理 · 一件事: catalogue admins of the lead department edit bundles (entries, essential
flags, prerequisites, refusal rules, guidance questions) and publish them as new versions.

Every form posts to one view with an ``action``; a refused input re-renders the page with its
Chinese message (status 400) and changes nothing (the services own the transaction).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongban.core.errors import InvalidInput

from . import bundle_services, selectors
from .models import LifeEventItem
from .views import catalogue_staff

ACTION_LABELS = {
    "create": gettext_lazy("创建"),
    "update": gettext_lazy("修改"),
    "publish": gettext_lazy("发布"),
    "withdraw": gettext_lazy("撤回"),
}


@catalogue_staff
def bundle_list(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.managed_departments(request.user))
    if not departments:
        raise Http404()
    error = ""
    status = 200
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "slug": request.POST.get("slug", ""),
            "audience": request.POST.get("audience", "person"),
            "lead_department": request.POST.get("lead_department", ""),
            "joint_limit_days": request.POST.get("joint_limit_days", "0"),
        }
        try:
            bundle = bundle_services.create_bundle(actor=request.user, data=data)
        except InvalidInput as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("已创建草稿，请加入事项后发布。"))
            return redirect("catalog:bundle", pk=bundle.pk)
    context = {
        "bundles": list(selectors.workspace_bundles(request.user)),
        "departments": departments,
        "error": error,
        "posted": request.POST,
    }
    return render(request, "catalog/bundle_list.html", context, status=status)


def _page(request: HttpRequest, pk: int, error: str = "", status: int = 200) -> HttpResponse:
    bundle = selectors.workspace_bundle(request.user, pk)
    history = list(bundle.versions.all()[:10])
    for row in history:
        row.action_label = ACTION_LABELS.get(row.action, row.action)
    entries = list(bundle.entries.all())
    context = {
        "bundle": bundle,
        "entries": entries,
        "questions": list(bundle.questions.all()),
        "history": history,
        "editable": bundle.status in bundle_services.EDITABLE,
        "on_refusal": LifeEventItem.OnRefusal.choices,
        "error": error,
    }
    return render(request, "catalog/bundle_edit.html", context, status=status)


@catalogue_staff
def bundle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@require_POST
@catalogue_staff
def bundle_action(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = selectors.workspace_bundle(request.user, pk)
    post, actor = request.POST, request.user
    action = post.get("action", "")
    calls = {
        "settings": lambda: bundle_services.update_bundle(
            actor=actor,
            bundle=bundle,
            data={
                "name": post.get("name", ""),
                "summary": post.get("summary", ""),
                "joint_limit_days": post.get("joint_limit_days", "0"),
                "cross_region": post.get("cross_region") == "on",
            },
        ),
        "add_entry": lambda: bundle_services.add_entry(
            actor=actor,
            bundle=bundle,
            item_code=post.get("item_code", ""),
            essential=post.get("essential") == "on",
        ),
        "entry": lambda: bundle_services.update_entry(
            actor=actor,
            bundle=bundle,
            entry_id=post.get("entry", ""),
            essential=post.get("essential") == "on",
            order=post.get("order", ""),
            after=post.getlist("after"),
            on_refusal=post.get("on_refusal", ""),
        ),
        "remove_entry": lambda: bundle_services.remove_entry(
            actor=actor, bundle=bundle, entry_id=post.get("entry", "")
        ),
        "add_question": lambda: bundle_services.add_question(
            actor=actor,
            bundle=bundle,
            text=post.get("text", ""),
            help=post.get("help", ""),
            default_answer=post.get("default_answer") == "on",
            if_yes=post.getlist("if_yes"),
            if_no=post.getlist("if_no"),
        ),
        "remove_question": lambda: bundle_services.remove_question(
            actor=actor, bundle=bundle, question_id=post.get("question", "")
        ),
        "publish": lambda: bundle_services.publish_bundle(actor=actor, bundle=bundle),
        "withdraw": lambda: bundle_services.withdraw_bundle(actor=actor, bundle=bundle),
    }
    if action not in calls:
        raise Http404()
    try:
        calls[action]()
    except InvalidInput as exc:
        return _page(request, pk, exc.message, 400)
    messages.success(request, _("已保存。") if action not in {"publish", "withdraw"} else _("状态已更新。"))
    return redirect("catalog:bundle", pk=pk)
