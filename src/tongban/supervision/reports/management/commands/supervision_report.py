"""``tongban supervision_report --region 5116 [--kind month|quarter] [--period 2026-11]``: make
one region's report now (the worker and ``tongban tick`` do it on their own each period)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tongban.core.errors import ServiceError


class Command(BaseCommand):
    help = "立即生成一个地区的月报或季报（PDF 与 XLSX），并通知该地区的监察人员"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True, help="区划代码，如 5116")
        parser.add_argument("--kind", default="month", help="month（月报，默认）或 quarter（季报）")
        parser.add_argument("--period", default="", help="如 2026-11 或 2026-Q4（默认：本月 / 本季度）")

    def handle(self, *args: Any, **options: Any) -> None:
        from tongban.supervision.reports import services
        from tongban.supervision.reports.models import Report

        period = options["period"]
        if not period:
            today = timezone.localdate()
            period = (
                f"{today.year}-Q{(today.month - 1) // 3 + 1}"
                if options["kind"] == "quarter"
                else f"{today:%Y-%m}"
            )
        try:
            report = services.make_report(options["region"], options["kind"], period)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if report.status != Report.Status.READY:
            raise CommandError(f"通报生成失败：{report.error}")
        self.stdout.write(
            f"{report.region_name}{report.title}通报已生成：{report.pdf.name}、{report.xlsx.name}；已通知 {report.mailed_to} 人。"
        )
