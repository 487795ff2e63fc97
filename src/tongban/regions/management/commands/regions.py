from django.core.management.base import BaseCommand

from tongban.regions.services import load_regions


class Command(BaseCommand):
    help = "行政区划：tongban regions load —— 导入全国省、市、县、乡镇/街道四级区划（可重复执行）。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="导入随软件分发的 GB/T 2260 区划数据")

    def handle(self, *args, **options) -> None:
        if options["action"] == "load":
            report = load_regions()
            self.stdout.write(
                f"区划导入完成：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}"
            )
