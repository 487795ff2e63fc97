"""Pages: the wallet (卡包), 亮证, 用证, public verification, online proofs and the staff page.

Buttons are offered by the rules the services check (``certificates.access``); a certificate
that is not the caller's, or an unknown code, is the site's 404 page (the service error
middleware maps ``NotFound``), so the views only catch what they show beside a form.
"""

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.core.downloads import file_response
from tongban.core.errors import ServiceError
from tongban.core.masking import mask_id_number
from tongban.core.qr import qr_svg
from tongban.identity.actors import current_actor
from tongban.identity.selectors import log_certificate_read

from . import access, selectors, services
from .documents import document_bytes
from .models import Certificate, HolderKind
from .rendering import field_rows

SHARE_PERIODS = [(1, _("1 天")), (7, _("7 天")), (30, _("30 天")), (90, _("90 天"))]


def _own(request: HttpRequest, identifier: str) -> Certificate:
    return selectors.wallet_certificate(current_actor(request), identifier)


def _display(certificate: Certificate) -> dict:
    content = json.loads(certificate.payload)
    state = certificate.state_on(timezone.localdate())
    return {
        "certificate": certificate,
        "content": content,
        "rows": field_rows(certificate, content),
        "state": state,
        "state_label": Certificate.Status(state).label,
    }


# ---------------------------------------------------------------- wallet


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    actor = current_actor(request)
    today = timezone.localdate()
    certificates = [(c, c.state_on(today)) for c in selectors.wallet(actor)]
    return render(
        request,
        "certificates/wallet.html",
        {"actor": actor, "certificates": certificates, "proofs": selectors.proof_items()[:20]},
    )


@login_required
def wallet_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    certificate = _own(request, identifier)
    verify = services.verify_url(certificate.identifier)
    return render(
        request,
        "certificates/wallet_detail.html",
        {
            **_display(certificate),
            "verify_url": verify,
            "verify_qr": qr_svg(verify, _("核验二维码：%(name)s") % {"name": certificate.type.name}),
            "shares": [(s, s.in_force_at(timezone.now())) for s in selectors.shares(certificate)],
            "events": selectors.history(certificate)[:50],
            "periods": SHARE_PERIODS,
            "can_use": access.can_use(current_actor(request), certificate),
        },
    )


@login_required
@require_POST
def present(request: HttpRequest, identifier: str) -> HttpResponse:
    certificate = _own(request, identifier)
    try:
        shown = services.present_certificate(actor=current_actor(request), certificate=certificate)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("certificates:wallet_detail", identifier=identifier)
    return render(
        request,
        "certificates/present.html",
        {
            "certificate": certificate,
            "shown": shown,
            "qr": qr_svg(shown.url, _("亮证二维码：%(name)s") % {"name": certificate.type.name}),
            "minutes": max(1, services.present_seconds() // 60),
        },
    )


@login_required
@require_POST
def share(request: HttpRequest, identifier: str) -> HttpResponse:
    certificate = _own(request, identifier)
    try:
        days = int(request.POST.get("days", "0"))
    except ValueError:
        days = 0
    if days not in dict(SHARE_PERIODS):
        messages.error(request, _("请选择授权期限。"))
        return redirect("certificates:wallet_detail", identifier=identifier)
    try:
        services.share_certificate(
            actor=current_actor(request),
            certificate=certificate,
            recipient=request.POST.get("recipient", ""),
            purpose=request.POST.get("purpose", ""),
            valid_until=timezone.now() + dt.timedelta(days=days),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已生成用证链接，请将链接发给使用方。"))
    return redirect("certificates:wallet_detail", identifier=identifier)


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = current_actor(request)
    found = selectors.get_share_for(actor, pk)
    services.revoke_share(actor=actor, share=found)
    messages.success(request, _("已撤销该用证授权。"))
    return redirect("certificates:wallet_detail", identifier=found.certificate.identifier)


@login_required
def download_pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    from .rendering import render_pdf

    certificate = _own(request, identifier)
    return file_response(
        render_pdf(certificate), f"{certificate.type.name}-{identifier}.pdf", "application/pdf"
    )


@login_required
def download_json(request: HttpRequest, identifier: str) -> HttpResponse:
    certificate = _own(request, identifier)
    return file_response(document_bytes(certificate), f"{identifier}.json", "application/json; charset=utf-8")


# ---------------------------------------------------------------- public


def verify_page(request: HttpRequest) -> HttpResponse:
    """Type an identifier, or upload a downloaded JSON file, to check a certificate."""
    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("document")
        if upload is None:
            error = _("请选择要核验的证照文件（.json）。")
        elif upload.size > selectors.MAX_DOCUMENT_BYTES:
            error = _("文件过大，电子证照文件不超过 256 KB。")
        else:
            result = selectors.verify_document(upload.read())
    elif request.GET.get("identifier", "").strip():
        identifier = request.GET["identifier"].strip()
        if "/" not in identifier:
            return redirect("certificates:verify_identifier", identifier=identifier)
        result = selectors.verify_identifier(identifier)
    return render(request, "certificates/verify.html", {"result": result, "error": error})


def verify_identifier(request: HttpRequest, identifier: str) -> HttpResponse:
    result = selectors.verify_identifier(identifier)
    return render(request, "certificates/verify.html", {"result": result, "identifier": identifier})


def presented(request: HttpRequest, token: str) -> HttpResponse:
    """Where a 亮证 code leads: the certificate and its verification, for a few minutes only."""
    try:
        certificate = services.open_presentation(token, viewer=request.user)
    except services.Gone as exc:
        return render(request, "certificates/gone.html", {"message": exc.message}, status=410)
    return render(
        request,
        "certificates/presented.html",
        {**_display(certificate), "result": selectors.verify_identifier(certificate.identifier)},
    )


def shared(request: HttpRequest, token: str) -> HttpResponse:
    """A 用证 link: the certificate for the stated purpose until the link's end; every use logged."""
    download = request.GET.get("download", "")
    what = {"pdf": "下载 PDF", "json": "下载签名文件"}.get(download, "查看")
    try:
        found = services.open_share(token, viewer=request.user, what=what)
    except services.Gone as exc:
        return render(request, "certificates/gone.html", {"message": exc.message}, status=410)
    certificate = found.certificate
    if download == "pdf":
        from .rendering import render_pdf

        return file_response(
            render_pdf(certificate),
            f"{certificate.type.name}-{certificate.identifier}.pdf",
            "application/pdf",
        )
    if download == "json":
        return file_response(
            document_bytes(certificate), f"{certificate.identifier}.json", "application/json; charset=utf-8"
        )
    return render(
        request,
        "certificates/shared.html",
        {
            **_display(certificate),
            "share": found,
            "result": selectors.verify_identifier(certificate.identifier),
        },
    )


# ---------------------------------------------------------------- online proofs


def proofs(request: HttpRequest) -> HttpResponse:
    return render(request, "certificates/proofs.html", {"items": selectors.proof_items()})


@login_required
def proof_item(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.item_by_code(code)
    ctype = selectors.online_proof_type(item)
    actor = current_actor(request)
    if request.method == "POST":
        try:
            certificate = services.issue_online_proof(actor=actor, item=item)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("证明已开具，已放入卡包。"))
            return redirect("certificates:wallet_detail", identifier=certificate.identifier)
    return render(request, "certificates/proof_item.html", {"item": item, "ctype": ctype, "actor": actor})


# ---------------------------------------------------------------- staff


@login_required
def staff_certificate(request: HttpRequest, identifier: str) -> HttpResponse:
    """The issuing department's view: content, history, revoke (吊销/注销) and replace (换发/补发)."""
    certificate = selectors.staff_certificate(request.user, identifier)
    if request.method == "POST":
        action = request.POST.get("action")
        reason = request.POST.get("reason", "")
        try:
            if action in ("revoke", "cancel"):
                services.revoke_certificate(
                    actor=request.user, certificate=certificate, reason=reason, cancel=action == "cancel"
                )
                messages.success(request, _("证照已注销。") if action == "cancel" else _("证照已吊销。"))
            elif action in ("renew", "reissue"):
                new = services.replace_certificate(
                    actor=request.user, certificate=certificate, reason=reason, renew=action == "renew"
                )
                messages.success(request, _("已换发/补发新证照。"))
                return redirect("certificates:staff_certificate", identifier=new.identifier)
            else:
                messages.error(request, _("请选择要执行的操作。"))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("certificates:staff_certificate", identifier=identifier)
    log_certificate_read(request.user, certificate, "查看证照", (certificate.type.name, "持证人信息"))
    may_act = access.can_revoke(request.user, certificate) or access.can_replace(request.user, certificate)
    return render(
        request,
        "certificates/staff_certificate.html",
        {
            **_display(certificate),
            "events": selectors.history(certificate),
            "may_act": may_act,
            "result": selectors.verify_identifier(certificate.identifier),
            # A person's ID number masked here as everywhere on staff pages; an enterprise's
            # 统一社会信用代码 is public and stays in full.
            "holder_number": mask_id_number(certificate.holder_number)
            if certificate.holder_kind == HolderKind.PERSON
            else certificate.holder_number,
        },
    )
