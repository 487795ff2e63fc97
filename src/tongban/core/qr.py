"""QR codes of page addresses as inline SVG (no image request, allowed by the CSP).

In ``core`` because several apps show them (certificates, ratings, web) and apps never import
from ``web``. The per-process memo below is safe: a code depends only on its arguments.
"""

from functools import lru_cache

import segno
from django.utils.html import escape


@lru_cache(maxsize=4096)
def qr_svg(url: str, label: str) -> str:
    """An accessible inline SVG QR code of ``url``.

    The mask is fixed: choosing the best of eight masks costs ~6 ms per code for a barely
    better symbol, and every mask gives a valid, scannable code.
    """
    code = segno.make_qr(url, error="m", mask=3)
    svg = code.svg_inline(scale=4, border=2, svgclass="qr-code", lineclass="qr-line", omitsize=False)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
