"""检索词分析: the catalogue admin's weekly list of queries people did not find or did not open,
with one-click "add as synonym" and "mark as dealt with". Pages work without JavaScript.

Guard: signed-in staff who maintain the catalogue (``search_log.selectors.can_review``); others
are sent to sign in (anonymous) or refused (403 through the service-error middleware).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongban.core.errors import InvalidInput, PermissionDenied

from .forms import add_service_errors
from .models import SearchQueryReview, SearchSynonym
from .search_log import selectors, services


def search_reviewer(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(
                f"{reverse('identity:staff_login')}?{urlencode({'next': request.get_full_path()})}"
            )
        if not selectors.can_review(request.user):
            raise PermissionDenied(_("只有事项管理员可以查看检索词分析。"))
        return view(request, *args, **kwargs)

    return wrapper


def _period(request: HttpRequest) -> str:
    period = request.GET.get("period", "")
    return period if period in selectors.PERIODS else selectors.DEFAULT_PERIOD


@search_reviewer
def search_queries(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    start, end = selectors.period_range(period)
    include_reviewed = request.GET.get("reviewed") == "1"
    context = {
        "period": period,
        "periods": list(selectors.PERIODS.items()),
        "start": start,
        "end": end,
        "include_reviewed": include_reviewed,
        "zero_results": selectors.zero_result_queries(start, end, include_reviewed=include_reviewed),
        "no_clicks": selectors.no_click_queries(start, end, include_reviewed=include_reviewed),
        "back": request.get_full_path(),
    }
    return render(request, "catalog/search_queries.html", context)


class SynonymForm(forms.Form):
    phrase = forms.CharField(
        label=gettext_lazy("群众说法"),
        max_length=100,
        help_text=gettext_lazy("人们搜索时用的词，检索词里出现这个说法时就会用到下面的规范用语。"),
    )
    expansions = forms.CharField(
        label=gettext_lazy("对应规范用语"),
        max_length=300,
        help_text=gettext_lazy("事项名称里的概念词，例如“最低生活保障”“犬”“食品经营”；多个用空格分隔。"),
    )


@search_reviewer
def add_synonym(request: HttpRequest) -> HttpResponse:
    """GET: the form with the everyday phrase prefilled; POST: save it through the service."""
    back = _safe_back(request)
    if request.method == "POST":
        form = SynonymForm(request.POST)
        if form.is_valid():
            try:
                synonym = services.add_synonym(
                    actor=request.user,
                    phrase=form.cleaned_data["phrase"],
                    expansions=form.cleaned_data["expansions"],
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已保存同义词：“%(phrase)s”→ %(expansions)s。搜索立即生效。")
                    % {"phrase": synonym.phrase, "expansions": synonym.expansions},
                )
                return redirect(back)
    else:
        phrase = services.clean_phrase(request.GET.get("phrase", ""))[:100]
        existing = SearchSynonym.objects.filter(phrase=phrase).first() if phrase else None
        form = SynonymForm(initial={"phrase": phrase, "expansions": existing.expansions if existing else ""})
    status = 400 if form.errors else 200
    return render(request, "catalog/search_synonym.html", {"form": form, "back": back}, status=status)


@require_POST
@search_reviewer
def review_query(request: HttpRequest) -> HttpResponse:
    back = _safe_back(request)
    outcome = request.POST.get("outcome", "")
    try:
        services.review_query(
            actor=request.user, normalized=request.POST.get("normalized", ""), outcome=outcome
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        label = SearchQueryReview.Outcome(outcome).label
        messages.success(request, _("已标记为%(outcome)s。") % {"outcome": label})
    return redirect(back)


def _safe_back(request: HttpRequest) -> str:
    """Where to return: the list page (with its period), never another site."""
    target = request.POST.get("back") or request.GET.get("back") or ""
    listing = reverse("catalog:search_queries")
    return target if target.startswith(listing) and "//" not in target else listing
