"""Server-rendered SVG charts (pygal): plain functions returning an SVG string, for pages and for
the PDF reports (``supervision.reports``) alike.

Why pygal (docs/supervision.md): it is a maintained pure-Python library that renders SVG on the
server without a browser or Node, so a chart needs no JavaScript on the page and the same call
serves WeasyPrint. Its tooltips script is switched off (``js=[]``: nothing is loaded from
elsewhere). Each chart carries a ``<title>`` and a ``<desc>``; pages show it as an image with
that text as its alternative and its data as a table beside it (``data_uri``: an image keeps
pygal's own ``<style>`` out of the page, whose CSP allows no inline styles).

Colours meet WCAG 2.1 AA on white: text at least 4.5:1, lines and bars at least 3:1.
"""

import base64
import re
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape

import pygal
from pygal.style import Style

# Blue, amber, green, red, violet: each ≥ 4.5:1 on white.
COLOURS = ("#1d4ed8", "#b45309", "#15803d", "#b91c1c", "#6d28d9")
FONT = '"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif'

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
    value_font_size=13,
)

# A narrow canvas with large type: at 390 px the chart is drawn close to its own size.
WIDTH, HEIGHT = 420, 280


def _config(title: str, percent: bool, **extra) -> dict:
    config = {
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "title": None,  # the page shows the title as a heading; the SVG keeps it in <title>
        "show_legend": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "truncate_legend": -1,
        "margin": 8,
        "print_values": False,
        "value_formatter": (lambda v: f"{v:.0%}" if v is not None else "—")
        if percent
        else (lambda v: f"{v:g}" if v is not None else "—"),
        "include_x_axis": True,
        "truncate_label": -1,
        "max_scale": 6,
        "stroke_style": {"width": 2.5},
    }
    if percent:
        config["range"] = (0, 1)
        config["y_labels"] = [0, 0.25, 0.5, 0.75, 1]
    config.update(extra)
    return config


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _accessible(svg: str, title: str, description: str) -> str:
    """Name the chart for assistive technology: role img, <title> and <desc> first; without the
    configuration script pygal writes even when no tooltip script is loaded."""
    head, sep, rest = _SCRIPT.sub("", svg).partition(">")
    return (
        f'{head} role="img" aria-labelledby="t d" lang="zh-Hans"{sep}'
        f'<title id="t">{escape(title)}</title><desc id="d">{escape(description)}</desc>{rest}'
    )


def trend_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    description: str,
    percent: bool = False,
) -> str:
    """A line per series over ``labels`` (months); a None value leaves a gap."""
    chart = pygal.Line(**_config(title, percent, x_label_rotation=0, show_minor_x_labels=False, dots_size=3))
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels)[:: max(1, len(labels) // 4)]
    for name, values in series:
        chart.add(name, list(values))
    return _accessible(chart.render(is_unicode=True), title, description)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    description: str,
    percent: bool = False,
    series: str = "",
) -> str:
    """Horizontal bars, one per label (a ranking), largest at the top as given. A name wider than
    ``LABEL_EM`` is cut with "…"; the full name stays in the bar's tooltip (pygal's label) and in
    the table the page shows beside the chart."""
    full = short_names(labels)
    names = [clip(name) for name in full]
    height = max(160, 70 + 34 * len(labels))
    size = STYLE.label_font_size
    # pygal reserves 0.6 em a character; a full-width (CJK) character takes a whole em.
    extra = max((text_width(n) - 0.6 * len(n) for n in names), default=0) * size
    chart = pygal.HorizontalBar(
        **_config(
            title, percent, height=height, show_legend=False, margin_left=8 + round(extra), margin_right=24
        )
    )
    chart.x_labels = list(reversed(names))
    points = [{"value": v, "label": name} for name, v in zip(full, values, strict=True)]
    chart.add(series or title, list(reversed(points)))
    return _accessible(chart.render(is_unicode=True), title, description)


# The widest name a bar keeps, in em: eight Chinese characters, so at 390 px the bars keep half
# the canvas.
LABEL_EM = 8.0


def text_width(text: str) -> float:
    """Width in em at one font size: full-width and wide characters (Chinese, full-width
    punctuation) one em, others about 0.6 em (pygal's own estimate for Latin text)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.6 for c in text)


def clip(text: str, limit: float = LABEL_EM) -> str:
    """``text`` cut to ``limit`` em with a trailing "…" (one em) when it is wider."""
    if text_width(text) <= limit:
        return text
    out = ""
    for char in text:
        if text_width(out + char) + 1.0 > limit:
            break
        out += char
    return out + "…"


def short_names(labels: Sequence[str]) -> list[str]:
    """Names without the prefix they all share (广安区…局 → …局), so the bars keep their room."""
    names = [str(label) for label in labels]
    if len(names) < 2:
        return names
    prefix = 0
    while all(len(n) > prefix + 2 and n[prefix] == names[0][prefix] for n in names):
        prefix += 1
    return [n[prefix:] for n in names]


def data_uri(svg: str) -> str:
    """The chart as an ``<img src>``: its own document, so its style obeys the page's CSP."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
