from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services
from .selectors import inbox as inbox_query


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_query(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = services.mark_read(user=request.user, notification_id=pk)
    target = notification.link or "notifications:inbox"
    if notification.link and not url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        target = "notifications:inbox"
    return redirect(target)
