"""Absolute addresses of the public site, for links and QR codes that leave the page.

Every absolute link (certificate verification, rating QR codes, the guide page's QR code, links
printed in documents) comes from the one setting ``TONGBAN_PUBLIC_URL``, never from the request's
Host header: a PDF or a cached page outlives the request, and a Host header can be forged.
``tongban serve`` (and so ``make run PORT=…``) sets the setting from its port unless it was given.
"""

from django.conf import settings
from django.urls import reverse


def public_url(path: str = "/") -> str:
    """``path`` (starting with "/") on the configured public address."""
    return settings.TONGBAN_PUBLIC_URL.rstrip("/") + path


def public_reverse(viewname: str, *args: object) -> str:
    return public_url(reverse(viewname, args=args or None))
