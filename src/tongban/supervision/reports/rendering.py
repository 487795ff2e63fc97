"""A report's files: the PDF (WeasyPrint with the Noto CJK fonts, as cases' letters are made,
the charts from ``supervision.charts`` embedded as SVG images) and the XLSX (openpyxl)."""

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from tongban.supervision import charts

from .models import Report
from .selectors import DEPARTMENT_COLUMNS, FIGURES, LABELS, show


def _charts(figures: dict[str, Any], report: Report) -> list[dict[str, str]]:
    trend = figures["trend"]
    labels = [f"{int(row['month'][5:])}月" for row in trend]
    out = [
        {
            "title": "近 12 个月收件与办结",
            "svg": charts.trend_chart(
                labels,
                [("收件", [r["received"] for r in trend]), ("办结", [r["concluded"] for r in trend])],
                title="近 12 个月收件与办结",
                description=f"{report.region_name}截至{report.title}的每月收件数和办结数。",
            ),
        }
    ]
    ranked = [d for d in figures["departments"] if d["on_time_promised_rate"] is not None][:12]
    if ranked:
        out.append(
            {
                "title": "各部门承诺时限内办结率",
                "svg": charts.bar_chart(
                    [d.get("short") or d["name"] for d in ranked],
                    [d["on_time_promised_rate"] for d in ranked],
                    title="各部门承诺时限内办结率",
                    description=f"{report.region_name}{report.title}各部门在承诺时限内办结的比例。",
                    percent=True,
                ),
            }
        )
    return out


def rows_for_display(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures as printed (strings), shared by the PDF and the page."""
    return {
        "totals": [
            {
                "label": str(label),
                "value": show(key, figures["totals"][key]),
                "previous": show(key, figures["previous"][key]),
            }
            for key, label, _kind in FIGURES
        ],
        "department_head": [str(LABELS[key]) for key in DEPARTMENT_COLUMNS],
        "departments": [
            {"name": d["name"], "cells": [show(key, d[key]) for key in DEPARTMENT_COLUMNS]}
            for d in figures["departments"]
        ],
        "worst_items": [
            {
                "name": i["name"],
                "rate": show("on_time_promised_rate", i["on_time_promised_rate"]),
                "with_promised": i["with_promised"],
            }
            for i in figures["worst_items"]
        ],
    }


def to_pdf(report: Report) -> bytes:
    html = render_to_string(
        "supervision_reports/report_pdf.html",
        {
            "report": report,
            "rows": rows_for_display(report.figures),
            "charts": [
                {"title": c["title"], "src": charts.data_uri(c["svg"])}
                for c in _charts(report.figures, report)
            ],
            "made_at": timezone.localtime(),
        },
    )
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def to_xlsx(report: Report) -> bytes:
    figures = report.figures
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = "总体指标"
    sheet.append([f"{report.region_name}政务服务{report.title}通报"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["指标", report.title, "上期"])
    for key, label, kind in FIGURES:
        sheet.append([str(label), figures["totals"][key], figures["previous"][key]])
        if kind == "rate":
            for cell in sheet[sheet.max_row][1:]:
                cell.number_format = "0.0%"
    departments = book.create_sheet("部门")
    departments.append(["部门"] + [str(label) for _key, label, _kind in FIGURES])
    for d in figures["departments"]:
        departments.append([d["name"]] + [d[key] for key, _label, _kind in FIGURES])
    items = book.create_sheet("承诺时限办结率最低的事项")
    items.append(["事项", "承诺件数", "承诺时限内办结率"])
    for i in figures["worst_items"]:
        items.append([i["name"], i["with_promised"], i["on_time_promised_rate"]])
    trend = book.create_sheet("近12个月")
    trend.append(["月份", "收件", "办结", "承诺时限内办结率"])
    for row in figures["trend"]:
        trend.append([row["month"], row["received"], row["concluded"], row["on_time_promised_rate"]])
    for ws in book.worksheets:
        for cell in ws[2 if ws is sheet else 1]:
            cell.font = bold
        ws.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
