"""Charts: SVG with a title and a description, no script, colours that meet WCAG contrast."""

import re

from tongban.supervision import charts


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_colours_meet_text_contrast_on_white():
    for colour in (*charts.COLOURS, charts.STYLE.foreground, charts.STYLE.foreground_strong):
        assert (1.05) / (_luminance(colour) + 0.05) >= 4.5, colour


def test_trend_chart_is_named_and_scriptless():
    svg = charts.trend_chart(
        ["1月", "2月"], [("收件", [3, 4]), ("办结", [1, None])], title="收件<趋势>", description="数据见表格"
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="t">收件&lt;趋势&gt;</title>' in svg and '<desc id="d">数据见表格</desc>' in svg
    assert "<script" not in svg and "http://kozea" not in svg.split("-->")[-1]
    assert charts.data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_bar_chart_shortens_shared_prefixes():
    assert charts.short_names(["广安区民政局", "广安区人社局"]) == ["民政局", "人社局"]
    svg = charts.bar_chart(
        ["广安区民政局", "广安区人社局"], [0.5, None], title="排名", description="d", percent=True
    )
    assert "民政局" in svg and "<script" not in svg


def test_a_chinese_name_takes_an_em_a_character():
    assert charts.text_width("民政局") == 3.0
    assert charts.text_width("ABC") == 3 * 0.6
    assert charts.text_width("（）") == 2.0  # full-width punctuation


def test_long_names_are_cut_with_an_ellipsis_within_the_limit():
    assert charts.clip("民政局") == "民政局"
    cut = charts.clip("市场监督管理局行政审批科")
    assert cut == "市场监督管理局…" and charts.text_width(cut) <= charts.LABEL_EM
    assert charts.clip("ABCDEFGHIJKLMNOP").endswith("…")
    assert charts.clip("ABCDEFGHIJKLM") == "ABCDEFGHIJKLM"  # 7.8 em fits


def test_bar_chart_keeps_the_full_name_in_the_tooltip_and_room_for_wide_labels():
    long = "广安区市场监督管理局行政审批科"
    svg = charts.bar_chart([long, "广安区民政局"], [0.9, 0.5], title="排名", description="d", percent=True)
    assert ">市场监督管理局…</text>" in svg
    assert '<desc class="label">市场监督管理局行政审批科</desc>' in svg
    assert '<desc class="label">民政局</desc>' in svg
    # The plot starts right of the widest label at full width: 8 em of 13 px and the tick gap.
    plot_x = float(re.search(r'<g transform="translate\(([\d.]+), [\d.]+\)" class="plot">', svg).group(1))
    assert plot_x >= charts.LABEL_EM * charts.STYLE.label_font_size
    short = charts.bar_chart(["甲局", "乙局"], [0.9, 0.5], title="排名", description="d", percent=True)
    short_x = float(re.search(r'<g transform="translate\(([\d.]+), [\d.]+\)" class="plot">', short).group(1))
    assert short_x < plot_x
